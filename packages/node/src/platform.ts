/**
 * The Node.js implementation of `@httpserver/core`'s {@link Platform}: `node:net` and `node:tls`
 * sockets, `node:fs` files, `node:child_process` processes, timers and the standard streams.
 * @module
 */

import * as childProcess from "node:child_process";
import * as crypto from "node:crypto";
import * as net from "node:net";
import * as stream from "node:stream";
import * as tls from "node:tls";
import * as zlib from "node:zlib";
import { nodeFileSystem } from "./fs.ts";
import { processServices } from "./process.ts";
import { clusterWorkers, hasReusePort } from "./workers.ts";
import {
  type Address,
  type ListenOptions,
  type Listener,
  type Platform,
  type Socket,
  type SocketEvents,
  type SpawnOptions,
  type Subprocess,
  type TLSListenOptions,
  checkTLSConfig,
  listenDualStack,
  tlsConfigError,
  zlibCompression,
  zlibRawDeflate,
} from "@httpserver/core/platform";

/** A `node:net` socket behind the core's {@link Socket} interface. */
class NodeSocket implements Socket {
  readonly remoteAddress: Address;
  readonly localAddress: Address;
  readonly alpnProtocol: string | null;
  readonly #socket: net.Socket;

  constructor(socket: net.Socket) {
    this.#socket = socket;
    // Errors (ECONNRESET, EPIPE) are followed by 'close', which is what the core listens to.
    socket.on("error", () => {});
    // Read now, at the accept: a peer that has reset the connection already has none (`""`).
    this.remoteAddress = [socket.remoteAddress ?? "", socket.remotePort ?? 0];
    this.localAddress = [socket.localAddress ?? "", socket.localPort ?? 0];
    this.alpnProtocol = (socket as tls.TLSSocket).alpnProtocol || null;
  }

  get bufferedAmount(): number {
    return this.#socket.writableLength;
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

  write(chunk: Uint8Array, more?: Uint8Array): boolean {
    const socket = this.#socket;
    if (!socket.writable) return false;
    if (more === undefined) return socket.write(chunk);
    // Both in one writev(2).
    socket.cork();
    socket.write(chunk);
    const ok = socket.write(more);
    socket.uncork();
    return ok;
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
      socket.remoteAddress !== undefined ? [socket.remoteAddress, socket.remotePort ?? 0] : ((raw ? peers.get(raw) : undefined) ?? ["", 0]);
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
  // Its own socket in the port's SO_REUSEPORT group, also in a node:cluster worker (where
  // `exclusive` keeps the primary from sharing one handle); where Node lacks reusePort, a cluster
  // worker gets the primary's shared handle instead.
  if (options.reusePort && hasReusePort()) Object.assign(base, { reusePort: true, exclusive: true });
  await listenDualStack(options.host, (host) => listenOn(server, { ...base, host, ipv6Only: false }));
  // After listening, 'error' reports a failed accept (libuv itself absorbs ECONNABORTED, and
  // EMFILE/ENFILE by accepting and closing the connection); the server goes on accepting.
  server.on("error", (error: NodeJS.ErrnoException) => options.onAcceptError(error));
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

/** A `node:child_process` child behind the core's {@link Subprocess} interface. */
class NodeSubprocess implements Subprocess {
  readonly pid: number;
  readonly stdout: AsyncIterable<Uint8Array>;
  readonly stderr: AsyncIterable<Uint8Array>;
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  readonly #child: childProcess.ChildProcessWithoutNullStreams;

  constructor(child: childProcess.ChildProcessWithoutNullStreams, exited: NodeSubprocess["exited"]) {
    this.#child = child;
    this.pid = child.pid ?? 0;
    this.stdout = child.stdout;
    this.stderr = child.stderr;
    this.exited = exited;
    // EPIPE when the process stops reading: the bytes are dropped, as the interface says.
    child.stdin.on("error", () => {});
    child.stdout.on("error", () => {});
    child.stderr.on("error", () => {});
  }

  writeStdin(chunk: Uint8Array): Promise<void> {
    const stdin = this.#child.stdin;
    if (!stdin.writable) return Promise.resolve();
    if (stdin.write(chunk)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        stdin.off("drain", done).off("close", done).off("error", done);
        resolve();
      };
      stdin.on("drain", done).on("close", done).on("error", done);
    });
  }

  async closeStdin(): Promise<void> {
    this.#child.stdin.end();
  }

  kill(): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill("SIGKILL");
  }
}

function spawn(options: SpawnOptions): Promise<Subprocess> {
  return new Promise((resolve, reject) => {
    let child: childProcess.ChildProcessWithoutNullStreams;
    try {
      // A refused uid/gid (EPERM) throws here; a missing or non-executable file arrives as 'error'.
      child = childProcess.spawn(options.file, options.args, {
        env: options.env,
        cwd: options.cwd,
        uid: options.uid,
        gid: options.gid,
        stdio: "pipe",
      });
    } catch (error) {
      reject(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    const exited = new Promise<{ code: number | null; signal: string | null }>((done) =>
      child.once("exit", (code, signal) => done({ code, signal })),
    );
    child.once("error", reject);
    child.once("spawn", () => {
      child.off("error", reject);
      child.on("error", () => {});
      resolve(new NodeSubprocess(child, exited));
    });
  });
}

/** The Node.js platform. */
export const nodePlatform: Platform = {
  name: "Node",
  version: process.versions.node,
  listen,
  fs: nodeFileSystem(),
  ...processServices,
  ...clusterWorkers,
  ...zlibCompression(zlib, stream),
  ...zlibRawDeflate(zlib),
  sha1: (data) => crypto.createHash("sha1").update(data).digest(),
  randomBytes: (size) => crypto.randomBytes(size),
  spawn,
};
