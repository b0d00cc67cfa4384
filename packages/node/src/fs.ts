/**
 * The core's {@link FileSystem} on `node:fs`. Bun implements `node:fs` too, so its adapter reuses
 * this module (`@httpserver/node/fs`) and replaces only how an open file is read.
 * @module
 */
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import type { FileHandle, FileStat, FileSystem } from "@httpserver/core";

/** The parts of `fs.Stats` the core uses (sizes in bytes, times in milliseconds since the epoch). */
export function toStat(stats: fs.Stats): FileStat {
  return {
    isFile: stats.isFile(),
    isDirectory: stats.isDirectory(),
    isSymbolicLink: stats.isSymbolicLink(),
    size: stats.size,
    mtimeMs: stats.mtimeMs,
    mode: stats.mode,
  };
}

/**
 * An open file, read with positional `read` calls: the descriptor keeps the file that was opened
 * even if its name is removed or replaced meanwhile.
 */
export class NodeFileHandle implements FileHandle {
  /** The `node:fs/promises` handle; subclasses may read it their own way. */
  protected readonly handle: fsp.FileHandle;
  constructor(handle: fsp.FileHandle) {
    this.handle = handle;
  }
  async stat(): Promise<FileStat> {
    return toStat(await this.handle.stat());
  }
  /** Up to `length` bytes from byte offset `position`; fewer only at the end of the file. */
  async read(position: number, length: number): Promise<Uint8Array> {
    const buffer = Buffer.allocUnsafe(length);
    const { bytesRead } = await this.handle.read(buffer, 0, length, position);
    return bytesRead === length ? buffer : buffer.subarray(0, bytesRead);
  }
  close(): Promise<void> {
    return this.handle.close();
  }
}

/**
 * A {@link FileSystem} on `node:fs`; files are opened read-only as `Handle` (default
 * {@link NodeFileHandle}). Errors are `node:fs`'s, with their `code` (`ENOENT`, `EACCES` …).
 */
export function nodeFileSystem(Handle: new (handle: fsp.FileHandle) => FileHandle = NodeFileHandle): FileSystem {
  return {
    stat: async (path) => toStat(await fsp.stat(path)),
    lstat: async (path) => toStat(await fsp.lstat(path)),
    scandir: async (path) =>
      (await fsp.readdir(path, { withFileTypes: true })).map((entry) => ({
        name: entry.name,
        isDirectory: entry.isDirectory(),
        isSymbolicLink: entry.isSymbolicLink(),
      })),
    open: async (path) => new Handle(await fsp.open(path, "r")),
    isExecutable: (path) =>
      fsp.access(path, fs.constants.X_OK).then(
        () => true,
        () => false,
      ),
    readFileSync: (path) => fs.readFileSync(path),
  };
}
