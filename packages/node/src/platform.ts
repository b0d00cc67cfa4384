/**
 * The Node.js implementation of `@httpserver/core`'s {@link Platform}: `node:net` and `node:tls`
 * sockets, `node:fs` files, timers and the standard streams.
 * @module
 */

import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as net from "node:net";
import * as os from "node:os";
import * as tls from "node:tls";
import {
  type Address,
  type FileHandle,
  type FileStat,
  type FileSystem,
  type ListenOptions,
  type Listener,
  type Platform,
  type Socket,
  type SocketEvents,
  type TLSListenOptions,
  type Timer,
  checkTLSConfig,
  tlsConfigError,
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

/** The core's code and a short reason for a `'tlsClientError'`. */
function handshakeError(error: Error & { code?: string; reason?: string }): Error & { code?: string } {
  const code = error.code === "ERR_SSL_HTTP_REQUEST" ? "ERR_TLS_HTTP_REQUEST" : error.code;
  return Object.assign(new Error(error.reason ?? error.message, { cause: error }), { code });
}

/**
 * A `tls.Server` that hands sockets over after their handshake. Node's `handshakeTimeout` counts
 * from the accept (handshake bytes do not restart it) but only reports the timeout: the socket
 * is destroyed here, as after any other handshake failure.
 */
function createTLSServer(options: TLSListenOptions, onConnection: (socket: Socket) => void): tls.Server {
  checkTLSConfig(options, crypto);
  const { onHandshakeError } = options;
  let server: tls.Server;
  try {
    server = tls.createServer(
      {
        cert: options.cert,
        key: options.key,
        passphrase: options.passphrase,
        ALPNProtocols: options.alpnProtocols.length > 0 ? options.alpnProtocols : undefined,
        handshakeTimeout: options.handshakeTimeoutMs,
        // Half-open only once the handshake is done: a FIN before it must close the connection
        // (with allowHalfOpen it would wait for the handshake timeout).
        allowHalfOpen: false,
        noDelay: true,
      },
      (socket) => {
        socket.allowHalfOpen = true;
        onConnection(new NodeSocket(socket));
      },
    );
  } catch (error) {
    // What node:crypto accepted and OpenSSL still refuses ("ee key too small" …).
    throw tlsConfigError("ERR_TLS_BAD_CERTIFICATE", error);
  }
  // The peer's address, taken on accept: when a handshake fails, the connection may already be
  // reset (a client that sent an alert), and a closed socket no longer knows its peer.
  const peers = new WeakMap<net.Socket, Address>();
  server.on("connection", (raw: net.Socket) => peers.set(raw, [raw.remoteAddress ?? "", raw.remotePort ?? 0]));
  server.on("tlsClientError", (error: Error & { code?: string }, socket: tls.TLSSocket) => {
    // `_parent` is the accepted TCP socket the TLS socket wraps (not in Node's docs, but there
    // since TLSSocket exists).
    const raw = (socket as unknown as { _parent?: net.Socket | null })._parent;
    const address: Address =
      socket.remoteAddress !== undefined
        ? [socket.remoteAddress, socket.remotePort ?? 0]
        : ((raw ? peers.get(raw) : undefined) ?? ["", 0]);
    socket.destroy();
    // ECONNRESET: the client closed first; nothing to report.
    if (error.code !== "ECONNRESET") onHandshakeError(address, handshakeError(error));
  });
  return server;
}

async function listen(options: ListenOptions, onConnection: (socket: Socket) => void): Promise<Listener> {
  const server =
    options.tls === undefined
      ? net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => onConnection(new NodeSocket(socket)))
      : createTLSServer(options.tls, onConnection);
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

/**
 * Reads up to this many bytes with a synchronous `read(2)`; larger reads go through libuv's thread
 * pool so that a read from disk (not the page cache) does not hold up other connections for long.
 */
const SYNC_READ_BYTES = 64 * 1024;

/** `open(2)` flags: read-only, and never blocking on a FIFO that was swapped in after the `stat`. */
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

/**
 * An open file descriptor. `stat`, `close` and small reads are synchronous system calls (see
 * {@link fileSystem}).
 */
class NodeFileHandle implements FileHandle {
  readonly #fd: number;
  constructor(fd: number) {
    this.#fd = fd;
  }
  async stat(): Promise<FileStat> {
    return toStat(fs.fstatSync(this.#fd));
  }
  async read(position: number, length: number): Promise<Uint8Array> {
    const buffer = Buffer.allocUnsafe(length);
    const bytesRead =
      length <= SYNC_READ_BYTES
        ? fs.readSync(this.#fd, buffer, 0, length, position)
        : await new Promise<number>((resolve, reject) =>
            fs.read(this.#fd, buffer, 0, length, position, (error, n) => (error ? reject(error) : resolve(n))),
          );
    return bytesRead === length ? buffer : buffer.subarray(0, bytesRead);
  }
  async close(): Promise<void> {
    fs.closeSync(this.#fd);
  }
}

/**
 * node:fs behind the core's {@link FileSystem}. `stat`, `lstat`, `open`, `fstat`, `close` and
 * reads up to {@link SYNC_READ_BYTES} are synchronous system calls: on a local file system they
 * take a few microseconds, while a round trip through libuv's thread pool costs 20–40 µs of CPU
 * (measured: `fs.promises.stat` 40 µs against `fs.statSync` 3 µs), which made a 1 KiB file cost
 * six such trips per request. Directory listings and larger reads stay asynchronous.
 */
const fileSystem: FileSystem = {
  stat: async (path) => toStat(fs.statSync(path)),
  lstat: async (path) => toStat(fs.lstatSync(path)),
  scandir: async (path) =>
    (await fsp.readdir(path, { withFileTypes: true })).map((entry) => ({
      name: entry.name,
      isDirectory: entry.isDirectory(),
      isSymbolicLink: entry.isSymbolicLink(),
    })),
  open: async (path) => new NodeFileHandle(fs.openSync(path, OPEN_FLAGS)),
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
