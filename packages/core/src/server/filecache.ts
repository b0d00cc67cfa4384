/**
 * A cache of small files' bytes, validated on every use (nginx's `open_file_cache`, for bytes):
 * an entry is used only when the `stat` made for the request still gives the same size,
 * modification and change times and inode as when the bytes were read, so that no response ever
 * differs from what a fresh read would give. A hit costs the request no `open`, `read` or `close`.
 * The same class keeps the rendered entries of directory listings, validated by the directory's
 * `stat` (see `SimpleHTTPRequestHandler.listingCache`).
 *
 * A file changed within {@link RACY_MS} before it is read is served but not kept (git's "racily
 * clean" rule): a file system keeps times to a second or a millisecond (Deno gives milliseconds),
 * so a later change within the same tick could otherwise leave every time as it was.
 * @module
 */

import type { FileHandle, FileStat } from "../platform/types.ts";

/** Files changed this recently (milliseconds) are not kept: their next change might not show in their times. */
export const RACY_MS = 2000;

/** What identifies one version of a file's contents. */
function sameVersion(a: FileStat, b: FileStat): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino;
}

interface Entry {
  stat: FileStat;
  bytes: Uint8Array;
}

/**
 * Bytes of files up to {@link maxFileBytes}, at most {@link maxTotalBytes} in all, least recently
 * used first out. Keys are the paths as the handler resolved them.
 */
export class FileCache {
  /** Largest file kept, in bytes (default 64 KiB). */
  readonly maxFileBytes: number;
  /** Most bytes kept in all (default 16 MiB). */
  readonly maxTotalBytes: number;
  /** Map order is recency: the first entry is the least recently used. */
  readonly #entries = new Map<string, Entry>();
  #total = 0;

  constructor(maxFileBytes = 64 * 1024, maxTotalBytes = 16 * 1024 * 1024) {
    this.maxFileBytes = maxFileBytes;
    this.maxTotalBytes = maxTotalBytes;
  }

  /** Bytes held, in all. */
  get size(): number {
    return this.#total;
  }

  /**
   * The bytes of `path` if they were read when the file was as `stat` describes it now, else
   * `null` (and a stale entry is dropped).
   */
  get(path: string, stat: FileStat): Uint8Array | null {
    const entry = this.#entries.get(path);
    if (entry === undefined) return null;
    this.#entries.delete(path);
    if (!sameVersion(entry.stat, stat)) {
      this.#total -= entry.bytes.length;
      return null;
    }
    this.#entries.set(path, entry);
    return entry.bytes;
  }

  /**
   * Reads the whole file from `handle` (opened after `stat` was made) and keeps it, if it is small
   * enough; returns the bytes, or `null` when the file is too large or did not have `stat.size`
   * bytes (it changed meanwhile: nothing is kept). Bytes of a file changed within
   * {@link RACY_MS} of `now` (milliseconds since the epoch) are returned but not kept.
   */
  async load(path: string, stat: FileStat, handle: FileHandle, now: number): Promise<Uint8Array | null> {
    if (stat.size > this.maxFileBytes || stat.size > this.maxTotalBytes) return null;
    const bytes = await handle.read(0, stat.size);
    if (bytes.length !== stat.size) return null;
    this.keep(path, stat, bytes, now);
    return bytes;
  }

  /**
   * Keeps `bytes`, made from `path` when it was as `stat` describes it, if they are small enough
   * and `path` did not change within {@link RACY_MS} of `now` (milliseconds since the epoch);
   * least recently used entries make room.
   */
  keep(path: string, stat: FileStat, bytes: Uint8Array, now: number): void {
    if (bytes.length > this.maxFileBytes || bytes.length > this.maxTotalBytes) return;
    if (now - Math.max(stat.mtimeMs, stat.ctimeMs) < RACY_MS) return;
    const old = this.#entries.get(path);
    if (old !== undefined) {
      this.#entries.delete(path);
      this.#total -= old.bytes.length;
    }
    this.#entries.set(path, { stat, bytes });
    this.#total += bytes.length;
    for (const [key, entry] of this.#entries) {
      if (this.#total <= this.maxTotalBytes) break;
      this.#entries.delete(key);
      this.#total -= entry.bytes.length;
    }
  }

  /** Forgets every entry. */
  clear(): void {
    this.#entries.clear();
    this.#total = 0;
  }
}

/** Bytes in memory as a {@link FileHandle}, so that every file source can read a cached file. */
export class BytesHandle implements FileHandle {
  readonly #bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }
  /** The whole file. */
  get bytes(): Uint8Array {
    return this.#bytes;
  }
  async read(position: number, length: number): Promise<Uint8Array> {
    return this.#bytes.subarray(position, Math.min(this.#bytes.length, position + length));
  }
  async close(): Promise<void> {}
}
