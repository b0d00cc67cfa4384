/**
 * The Node.js implementation of `@httpserver/core`'s {@link Platform}: `node:net` sockets,
 * `node:fs` files, timers and the standard streams.
 * @module
 */

import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as net from "node:net";
import * as os from "node:os";
import type {
  Address,
  FileHandle,
  FileStat,
  FileSystem,
  ListenOptions,
  Listener,
  Platform,
  Socket,
  SocketEvents,
  Timer,
} from "@httpserver/core";

/** A `node:net` socket behind the core's {@link Socket} interface. */
class NodeSocket implements Socket {
  readonly remoteAddress: Address;
  readonly localAddress: Address;
  readonly #socket: net.Socket;
  #corked = false;
  readonly #uncork = () => {
    this.#corked = false;
    this.#socket.uncork();
  };

  constructor(socket: net.Socket) {
    this.#socket = socket;
    // Errors (ECONNRESET, EPIPE) are followed by 'close', which is what the core listens to.
    socket.on("error", () => {});
    this.remoteAddress = [socket.remoteAddress ?? "", socket.remotePort ?? 0];
    this.localAddress = [socket.localAddress ?? "", socket.localPort ?? 0];
  }

  start(events: SocketEvents): void {
    const socket = this.#socket;
    socket.on("data", events.data);
    socket.on("end", events.end);
    socket.on("drain", events.drain);
    socket.on("close", events.close);
    // A connection that died while waiting to be handled has already emitted 'close'.
    if (socket.destroyed) queueMicrotask(events.close);
  }

  write(chunk: Uint8Array): boolean {
    const socket = this.#socket;
    if (!socket.writable) return false;
    // Writes of one tick (status line and fields, then the body) leave in a single writev.
    if (!this.#corked) {
      this.#corked = true;
      socket.cork();
      process.nextTick(this.#uncork);
    }
    return socket.write(chunk);
  }

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  end(): void {
    this.#socket.end();
  }

  destroy(): void {
    this.#socket.destroy();
  }
}

function listenOn(server: net.Server, options: net.ListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once("error", onError);
    server.listen(options, () => {
      server.off("error", onError);
      resolve();
    });
  });
}

async function listen(options: ListenOptions, onConnection: (socket: Socket) => void): Promise<Listener> {
  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => onConnection(new NodeSocket(socket)));
  const base: net.ListenOptions = { port: options.port, backlog: options.backlog };
  if (options.reusePort) (base as { reusePort?: boolean }).reusePort = true;
  const wildcard = options.host === "" || options.host === "::";
  try {
    await listenOn(server, { ...base, host: wildcard ? "::" : options.host, ipv6Only: false });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // No IPv6 on this machine: serve IPv4 only.
    if (!wildcard || (code !== "EAFNOSUPPORT" && code !== "EADDRNOTAVAIL")) throw error;
    await listenOn(server, { ...base, host: "0.0.0.0" });
  }
  const address = server.address() as net.AddressInfo;
  return {
    address: [address.address, address.port],
    close: () =>
      new Promise<void>((resolve) => {
        // close() stops accepting at once; its callback waits for every connection, so don't.
        server.close();
        setImmediate(resolve);
      }),
  };
}

function toStat(stats: fs.Stats): FileStat {
  return {
    isFile: stats.isFile(),
    isDirectory: stats.isDirectory(),
    isSymbolicLink: stats.isSymbolicLink(),
    size: stats.size,
    mtimeMs: stats.mtimeMs,
    mode: stats.mode,
  };
}

class NodeFileHandle implements FileHandle {
  readonly #handle: fsp.FileHandle;
  constructor(handle: fsp.FileHandle) {
    this.#handle = handle;
  }
  async stat(): Promise<FileStat> {
    return toStat(await this.#handle.stat());
  }
  async read(position: number, length: number): Promise<Uint8Array> {
    const buffer = Buffer.allocUnsafe(length);
    const { bytesRead } = await this.#handle.read(buffer, 0, length, position);
    return bytesRead === length ? buffer : buffer.subarray(0, bytesRead);
  }
  close(): Promise<void> {
    return this.#handle.close();
  }
}

const fileSystem: FileSystem = {
  stat: async (path) => toStat(await fsp.stat(path)),
  lstat: async (path) => toStat(await fsp.lstat(path)),
  scandir: async (path) =>
    (await fsp.readdir(path, { withFileTypes: true })).map((entry) => ({
      name: entry.name,
      isDirectory: entry.isDirectory(),
      isSymbolicLink: entry.isSymbolicLink(),
    })),
  open: async (path) => new NodeFileHandle(await fsp.open(path, "r")),
  isExecutable: (path) =>
    fsp.access(path, fs.constants.X_OK).then(
      () => true,
      () => false,
    ),
  readFileSync: (path) => fs.readFileSync(path),
};

/** The Node.js platform. */
export const nodePlatform: Platform = {
  name: "Node",
  version: process.versions.node,
  listen,
  fs: fileSystem,
  now: () => Date.now(),
  setTimer(ms: number, fn: () => void): Timer {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
  stderr: (text) => void process.stderr.write(text),
  stdout: (text) => void process.stdout.write(text),
  hostname: () => os.hostname(),
  cwd: () => process.cwd(),
  onSignal: (signal, handler) => void process.on(signal, handler),
};
