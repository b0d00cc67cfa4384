/**
 * The small-file cache never serves what a fresh read would not: on every runtime, a file the
 * server has cached (older than the "racily clean" window, so that it is kept) is rewritten in
 * each way a cache could miss — same size with its modification time put back, a new size,
 * replaced by another file of the same size and time, by a directory, deleted — and the next
 * request sees the change. The same for the listing cache: entries added, removed and renamed, an
 * entry replaced by a directory, and a symbolic link whose target changes kind (which leaves the
 * listed directory's times as they were).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type RunningServer, runtimes } from "./support/runtimes.js";
import { request, startCli } from "./support/simple.js";

/** packages/core/src/server/filecache.ts RACY_MS, and a margin. */
const SETTLE_MS = 2200;
const OLD = new Date("2024-03-05T06:07:08Z");
let root: string;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "httpserver-filecache-"));
  for (const rt of runtimes()) {
    const dir = path.join(root, rt.name);
    fs.mkdirSync(dir);
    for (const name of ["same.txt", "size.txt", "renamed.txt", "dir.txt", "gone.txt"]) {
      fs.writeFileSync(path.join(dir, name), "version 1\n");
      fs.utimesSync(path.join(dir, name), OLD, OLD);
    }
    fs.mkdirSync(path.join(dir, "list"));
    fs.writeFileSync(path.join(dir, "list", "a.txt"), "a\n");
    fs.mkdirSync(path.join(dir, "links"));
    fs.writeFileSync(path.join(dir, "target"), "a file, then a directory\n");
    fs.symlinkSync("../target", path.join(dir, "links", "link"));
  }
  // Older than the window: the first request keeps them.
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
}, 30_000);
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

for (const rt of runtimes()) {
  describe(`the small-file cache serves nothing stale [${rt.name}]`, () => {
    let srv: RunningServer;
    let dir: string;
    beforeAll(async () => {
      dir = path.join(root, rt.name);
      srv = await startCli(rt, ["0", "-b", "127.0.0.1", "-d", dir]);
    });
    afterAll(() => srv?.stop());

    /** GETs `name` twice (the second from the cache when it is kept) and returns the body. */
    const get = async (name: string) => {
      const first = await request(srv.port, `/${name}`);
      const again = await request(srv.port, `/${name}`);
      expect(again.body.equals(first.body)).toBe(true);
      return first;
    };

    test("rewritten in place with the same size and its modification time put back", async () => {
      expect((await get("same.txt")).body.toString()).toBe("version 1\n");
      fs.writeFileSync(path.join(dir, "same.txt"), "version 2\n");
      fs.utimesSync(path.join(dir, "same.txt"), OLD, OLD);
      expect((await get("same.txt")).body.toString()).toBe("version 2\n");
    });

    test("rewritten with another size", async () => {
      expect((await get("size.txt")).body.toString()).toBe("version 1\n");
      fs.writeFileSync(path.join(dir, "size.txt"), "version 2, longer\n");
      expect((await get("size.txt")).body.toString()).toBe("version 2, longer\n");
    });

    test("replaced by another file of the same size and modification time (a new inode)", async () => {
      expect((await get("renamed.txt")).body.toString()).toBe("version 1\n");
      fs.writeFileSync(path.join(dir, "incoming"), "version 3\n");
      fs.utimesSync(path.join(dir, "incoming"), OLD, OLD);
      fs.renameSync(path.join(dir, "incoming"), path.join(dir, "renamed.txt"));
      expect((await get("renamed.txt")).body.toString()).toBe("version 3\n");
    });

    test("replaced by a directory, then deleted", async () => {
      expect((await get("dir.txt")).status).toBe(200);
      fs.rmSync(path.join(dir, "dir.txt"));
      fs.mkdirSync(path.join(dir, "dir.txt"));
      const res = await request(srv.port, "/dir.txt");
      expect([res.status, res.header("Location")]).toEqual([301, "/dir.txt/"]);
      expect((await get("gone.txt")).status).toBe(200);
      fs.rmSync(path.join(dir, "gone.txt"));
      expect((await request(srv.port, "/gone.txt")).status).toBe(404);
    });

    /** The entries of the listing of `name` (GET twice, the second from the cache when kept). */
    const listing = async (name: string) => {
      const body = (await get(name)).body.toString();
      return [...body.matchAll(/<li>(.*)<\/li>/g)].map((m) => m[1]);
    };

    test("a listing shows each entry added, renamed, replaced by a directory and removed", async () => {
      const list = path.join(dir, "list");
      expect(await listing("list/")).toEqual(['<a href="a.txt">a.txt</a>']);
      fs.writeFileSync(path.join(list, "b.txt"), "b\n");
      expect(await listing("list/")).toEqual(['<a href="a.txt">a.txt</a>', '<a href="b.txt">b.txt</a>']);
      fs.renameSync(path.join(list, "a.txt"), path.join(list, "c.txt"));
      expect(await listing("list/")).toEqual(['<a href="b.txt">b.txt</a>', '<a href="c.txt">c.txt</a>']);
      fs.rmSync(path.join(list, "b.txt"));
      fs.mkdirSync(path.join(list, "b.txt"));
      expect(await listing("list/")).toEqual(['<a href="b.txt/">b.txt/</a>', '<a href="c.txt">c.txt</a>']);
      fs.rmSync(path.join(list, "b.txt"), { recursive: true });
      fs.rmSync(path.join(list, "c.txt"));
      expect(await listing("list/")).toEqual([]);
    });

    test("a listing with a symbolic link follows its target from a file to a directory", async () => {
      expect(await listing("links/")).toEqual(['<a href="link">link@</a>']);
      fs.rmSync(path.join(dir, "target"));
      fs.mkdirSync(path.join(dir, "target"));
      expect(await listing("links/")).toEqual(['<a href="link/">link@</a>']);
    });
  });
}
