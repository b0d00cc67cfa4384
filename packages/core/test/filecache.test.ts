/**
 * The small-file cache on its own: validation by size, times and inode, the "racily clean" rule,
 * and its bounds.
 */
import { describe, expect, test } from "vitest";
import type { FileHandle, FileStat } from "../src/platform/types.js";
import { BytesHandle, FileCache, RACY_MS } from "../src/server/filecache.js";

const T = 1_700_000_000_000;
const stat = (size: number, more: Partial<FileStat> = {}): FileStat => ({
  isFile: true,
  isDirectory: false,
  isSymbolicLink: false,
  size,
  mtimeMs: T,
  ctimeMs: T,
  ino: 42,
  mode: 0o644,
  ...more,
});
/** A handle over `text` that counts its reads. */
function handle(text: string): FileHandle & { reads: number } {
  const inner = new BytesHandle(new TextEncoder().encode(text));
  return {
    reads: 0,
    read(position, length) {
      this.reads++;
      return inner.read(position, length);
    },
    close: () => inner.close(),
  };
}
const LATER = T + RACY_MS;

describe("FileCache", () => {
  test("a file read once is served from memory while its stat is unchanged", async () => {
    const cache = new FileCache();
    const file = handle("hello");
    expect(new TextDecoder().decode((await cache.load("/a", stat(5), file, LATER))!)).toBe("hello");
    expect(new TextDecoder().decode(cache.get("/a", stat(5))!)).toBe("hello");
    expect(file.reads).toBe(1);
    expect(cache.size).toBe(5);
  });

  test("any change of size, modification time, change time or inode is a miss, and drops the entry", async () => {
    for (const changed of [stat(6), stat(5, { mtimeMs: T + 0.001 }), stat(5, { ctimeMs: T + 1 }), stat(5, { ino: 43 })]) {
      const cache = new FileCache();
      await cache.load("/a", stat(5), handle("hello"), LATER);
      expect(cache.get("/a", changed)).toBeNull();
      expect(cache.size).toBe(0);
      expect(cache.get("/a", stat(5))).toBeNull();
    }
  });

  test("a file changed less than RACY_MS before it was read is served but not kept", async () => {
    const cache = new FileCache();
    expect(await cache.load("/a", stat(5), handle("hello"), T + RACY_MS - 1)).not.toBeNull();
    expect(cache.get("/a", stat(5))).toBeNull();
  });

  test("files over maxFileBytes, and files that came out shorter than their stat, are not kept", async () => {
    const cache = new FileCache(4, 100);
    expect(await cache.load("/big", stat(5), handle("hello"), LATER)).toBeNull();
    expect(await cache.load("/short", stat(9), handle("hello"), LATER)).toBeNull();
    expect(cache.size).toBe(0);
  });

  test("at most maxTotalBytes, the least recently used out first", async () => {
    const cache = new FileCache(4, 10);
    await cache.load("/a", stat(4), handle("aaaa"), LATER);
    await cache.load("/b", stat(4), handle("bbbb"), LATER);
    expect(cache.get("/a", stat(4))).not.toBeNull(); // /a is now the most recent
    await cache.load("/c", stat(4), handle("cccc"), LATER);
    expect(cache.size).toBe(8);
    expect(cache.get("/b", stat(4))).toBeNull();
    expect(cache.get("/a", stat(4))).not.toBeNull();
    expect(cache.get("/c", stat(4))).not.toBeNull();
  });

  test("keep: what is made from a path (a listing) is kept under the same rules", () => {
    const cache = new FileCache(4, 10);
    const bytes = new TextEncoder().encode("list");
    cache.keep("/dir", stat(0), bytes, LATER);
    expect(cache.get("/dir", stat(0))).toBe(bytes);
    cache.keep("/racy", stat(0), bytes, stat(0).mtimeMs + 10);
    cache.keep("/big", stat(0), new TextEncoder().encode("large"), LATER);
    expect([cache.get("/racy", stat(0)), cache.get("/big", stat(0))]).toEqual([null, null]);
  });
});
