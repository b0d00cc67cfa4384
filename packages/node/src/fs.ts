/**
 * The core's {@link FileSystem} on `node:fs`. Bun implements `node:fs` too, so its adapter reuses
 * this module (`@httpserver/node/fs`) and replaces only how large reads are done.
 *
 * `stat`, `lstat`, `open`, `close` and reads up to {@link SYNC_READ_BYTES} are
 * synchronous system calls: on a local file system they take a few microseconds, while a round
 * trip through libuv's thread pool costs 20–40 µs of CPU (measured on Node: `fs.promises.stat`
 * 40 µs against `fs.statSync` 3 µs; on Bun 18 µs against 2 µs), which made a 1 KiB file cost six
 * such trips per request. Directory listings and larger reads stay asynchronous.
 * @module
 */
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import {
  type DirEntry,
  type FileHandle,
  type FileStat,
  type FileSystem,
  fsdecode,
  fsencode,
  hasLoneSurrogate,
} from "@httpserver/core/platform";

/**
 * Reads up to this many bytes (64 KiB) with a synchronous `read(2)`; larger reads are asynchronous
 * so that a read from disk (not the page cache) does not hold up other connections for long.
 */
export const SYNC_READ_BYTES = 64 * 1024;

/** `open(2)` flags: read-only, and never blocking on a FIFO that was swapped in after the `stat`. */
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

/** The parts of `fs.Stats` the core uses (sizes in bytes, times in milliseconds since the epoch). */
export function toStat(stats: fs.Stats): FileStat {
  return {
    isFile: stats.isFile(),
    isDirectory: stats.isDirectory(),
    isSymbolicLink: stats.isSymbolicLink(),
    size: stats.size,
    mtimeMs: stats.mtimeMs,
    ctimeMs: stats.ctimeMs,
    ino: stats.ino,
    mode: stats.mode,
  };
}

/**
 * An open file descriptor: the file that was opened, even if its name is removed or replaced
 * meanwhile. `close` and small reads are synchronous; larger reads go through libuv's thread pool
 * (subclasses may read them their own way).
 */
export class NodeFileHandle implements FileHandle {
  /** The file descriptor. */
  protected readonly fd: number;
  constructor(fd: number) {
    this.fd = fd;
  }
  /** Up to `length` bytes from byte offset `position`; fewer only at the end of the file. */
  async read(position: number, length: number): Promise<Uint8Array> {
    const buffer = Buffer.allocUnsafe(length);
    const bytesRead =
      length <= SYNC_READ_BYTES
        ? fs.readSync(this.fd, buffer, 0, length, position)
        : await new Promise<number>((resolve, reject) =>
            fs.read(this.fd, buffer, 0, length, position, (error, n) => (error ? reject(error) : resolve(n))),
          );
    return bytesRead === length ? buffer : buffer.subarray(0, bytesRead);
  }
  async close(): Promise<void> {
    fs.closeSync(this.fd);
  }
}

/**
 * A path as `node:fs` takes it: the string, or its bytes when it names a file whose name is not
 * UTF-8 (held as lone surrogates, Python's `surrogateescape`).
 */
function osPath(path: string): string | Buffer {
  return hasLoneSurrogate(path) ? Buffer.from(fsencode(path)) : path;
}

function toEntry(entry: fs.Dirent): DirEntry {
  return { name: entry.name, isDirectory: entry.isDirectory(), isSymbolicLink: entry.isSymbolicLink() };
}

/**
 * The entries of a directory. Names are read as text; if one is not UTF-8 (the text holds
 * U+FFFD), the names are read again as bytes and decoded as Python does (`surrogateescape`), so
 * that each leads back to its file; their types then come from `lstat` (Bun gives no names for
 * typed entries read as bytes). An entry removed meanwhile is left out.
 */
async function scandir(path: string): Promise<DirEntry[]> {
  const entries = await fsp.readdir(osPath(path), { withFileTypes: true });
  if (!entries.some((entry) => entry.name.includes("\uFFFD"))) return entries.map(toEntry);
  const dir = Buffer.from(fsencode(path.endsWith("/") ? path : path + "/"));
  const out: DirEntry[] = [];
  for (const raw of await fsp.readdir(osPath(path), { encoding: "buffer" })) {
    try {
      const stats = fs.lstatSync(Buffer.concat([dir, raw]));
      out.push({ name: fsdecode(raw), isDirectory: stats.isDirectory(), isSymbolicLink: stats.isSymbolicLink() });
    } catch {
      // removed since it was listed
    }
  }
  return out;
}

/**
 * A {@link FileSystem} on `node:fs`; files are opened read-only as `Handle` (default
 * {@link NodeFileHandle}). Paths may name files that are not UTF-8 (see {@link scandir}). Errors are `node:fs`'s, with their `code` (`ENOENT`, `EACCES` …).
 */
export function nodeFileSystem(Handle: new (fd: number) => FileHandle = NodeFileHandle): FileSystem {
  return {
    stat: async (path) => toStat(fs.statSync(osPath(path))),
    lstat: async (path) => toStat(fs.lstatSync(osPath(path))),
    scandir,
    open: async (path) => new Handle(fs.openSync(osPath(path), OPEN_FLAGS)),
    isExecutable: (path) =>
      fsp.access(osPath(path), fs.constants.X_OK).then(
        () => true,
        () => false,
      ),
    readFileSync: (path) => fs.readFileSync(osPath(path)),
  };
}
