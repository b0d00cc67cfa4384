/**
 * The Bun implementation of `@httpserver/core`'s {@link Platform}: `Bun.listen` sockets,
 * `Bun.file` reads, `Bun.spawn` processes, timers and the standard streams.
 * @module
 */

import * as crypto from "node:crypto";
import * as stream from "node:stream";
import * as zlib from "node:zlib";
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
  WRITE_HIGH_WATER_MARK,
  checkTLSConfig,
  listenDualStack,
  readableChunks,
  zlibCompression,
  zlibRawDeflate,
} from "@httpserver/core/platform";
import { NodeFileHandle, nodeFileSystem, SYNC_READ_BYTES } from "@httpserver/node/fs";
import { processServices } from "@httpserver/node/process";
import { clusterWorkers } from "@httpserver/node/workers";
import type { FileSink, Socket as BunSocket, SocketHandler } from "bun";

/**
 * A `Bun.listen` socket behind the core's {@link Socket} interface. Bun's `write` sends what the
 * kernel takes at once and returns the count (0 when full, -1 when closed), so unsent bytes wait in
 * a queue here until `drain`. Events that arrive before {@link start} are held back.
 */
class BunConnection implements Socket {
  readonly remoteAddress: Address;
  readonly localAddress: Address;
  readonly #socket: BunSocket<BunConnection>;
  #events: SocketEvents | null = null;
  #early: Uint8Array[] = [];
  #earlyEnd = false;
  #closed = false;
  #ending = false;
  #queue: Uint8Array[] = [];
  #queued = 0;
  /** For TLS: set until the handshake completes or fails. */
  pendingHandshake: ReturnType<typeof setTimeout> | null = null;
  /** For TLS: the protocol ALPN chose, read when the handshake completes. */
  alpnProtocol: string | null = null;

  constructor(socket: BunSocket<BunConnection>) {
    this.#socket = socket;
    // Read now, at the accept: a peer that has reset the connection already has none (`""`).
    this.remoteAddress = [socket.remoteAddress ?? "", socket.remotePort ?? 0];
    this.localAddress = [socket.localAddress ?? "", socket.localPort ?? 0];
  }

  get bufferedAmount(): number {
    return this.#queued;
  }

  /** Bun's `data` handler. */
  onData(data: Uint8Array): void {
    if (this.#events !== null) this.#events.data(data);
    else this.#early.push(data);
  }

  /** Bun's `end` handler: the peer sent FIN. */
  onEnd(): void {
    if (this.#events !== null) this.#events.end();
    else this.#earlyEnd = true;
  }

  /** Bun's `close` handler. */
  onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.pendingHandshake !== null) clearTimeout(this.pendingHandshake);
    this.#queue = [];
    this.#queued = 0;
    this.#events?.close();
  }

  /** Bun's `drain` handler: the kernel takes bytes again. */
  onDrain(): void {
    const socket = this.#socket;
    while (this.#queue.length > 0) {
      const chunk = this.#queue[0];
      const n = socket.write(chunk);
      if (n < 0) return;
      this.#queued -= Math.max(n, 0);
      if (n < chunk.length) {
        this.#queue[0] = chunk.subarray(n);
        return;
      }
      this.#queue.shift();
    }
    if (this.#ending) socket.shutdown();
    this.#events?.drain();
  }

  start(events: SocketEvents): void {
    this.#events = events;
    for (const chunk of this.#early.splice(0)) events.data(chunk);
    if (this.#earlyEnd) events.end();
    if (this.#closed) queueMicrotask(events.close);
  }

  write(chunk: Uint8Array, more?: Uint8Array): boolean {
    if (this.#closed || this.#ending) return false;
    this.#send(chunk);
    if (more !== undefined) this.#send(more);
    return this.#queued < WRITE_HIGH_WATER_MARK;
  }

  /** Writes what the kernel takes now; the rest waits in the queue for `drain`. */
  #send(chunk: Uint8Array): void {
    if (this.#queue.length === 0) {
      const n = this.#socket.write(chunk);
      if (n === chunk.length || n < 0) return;
      this.#queue.push(chunk.subarray(n));
      this.#queued += chunk.length - n;
    } else {
      this.#queue.push(chunk);
      this.#queued += chunk.length;
    }
  }

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  end(): void {
    if (this.#closed || this.#ending) return;
    this.#ending = true;
    // FIN once the queue is empty; reading continues (Bun 1.4: shutdown() without argument).
    if (this.#queue.length === 0) this.#socket.shutdown();
  }

  destroy(): void {
    if (this.#closed) return;
    this.#socket.terminate();
  }
}

const handlers: SocketHandler<BunConnection> = {
  data: (socket, data) => socket.data.onData(data),
  end: (socket) => socket.data.onEnd(),
  close: (socket) => socket.data.onClose(),
  drain: (socket) => socket.data.onDrain(),
  error: (socket) => socket.data?.onClose(),
};

/** ALPN protocol names in TLS wire format (length-prefixed), which Bun requires. */
function alpnWireFormat(names: string[]): Uint8Array {
  const encoder = new TextEncoder();
  const parts = names.map((name) => encoder.encode(name));
  const out = new Uint8Array(parts.reduce((n, p) => n + 1 + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out[at++] = part.length;
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Socket handlers for a TLS listener: the core gets the socket from Bun's `handshake` callback;
 * a timer from the accept bounds the handshake; a failed or late one is closed and reported.
 */
function tlsHandlers(options: TLSListenOptions, onConnection: (socket: Socket) => void) {
  const fail = (connection: BunConnection, code: string | undefined, message: string) => {
    if (connection.pendingHandshake === null) return;
    clearTimeout(connection.pendingHandshake);
    connection.pendingHandshake = null;
    options.onHandshakeError(connection.remoteAddress, Object.assign(new Error(message), { code }));
    connection.destroy();
  };
  return {
    ...handlers,
    open(socket: BunSocket<BunConnection>) {
      const connection = new BunConnection(socket);
      socket.data = connection;
      connection.pendingHandshake = setTimeout(
        () => fail(connection, "ERR_TLS_HANDSHAKE_TIMEOUT", "handshake timed out"),
        options.handshakeTimeoutMs,
      );
      connection.pendingHandshake.unref();
    },
    handshake(socket: BunSocket<BunConnection>, success: boolean, error: Error | null) {
      const connection = socket.data;
      if (connection.pendingHandshake === null) return;
      if (!success) {
        // BoringSSL's "error:1000009c:SSL routines:OPENSSL_internal:HTTP_REQUEST" → "http request".
        const raw = error?.message ?? "handshake failed";
        const reason = /^error:[0-9a-f]+:[^:]*:[^:]*:(.+)$/i.exec(raw)?.[1]?.replace(/_/g, " ").toLowerCase() ?? raw;
        const code = reason === "http request" ? "ERR_TLS_HTTP_REQUEST" : (error as { code?: string } | null)?.code;
        return fail(connection, code, reason);
      }
      clearTimeout(connection.pendingHandshake);
      connection.pendingHandshake = null;
      connection.alpnProtocol = socket.alpnProtocol || null;
      onConnection(connection);
    },
    close(socket: BunSocket<BunConnection>) {
      const connection = socket.data;
      // Closed before the handshake: by the client (not reported) or by a TLS error.
      if (connection?.pendingHandshake != null) {
        clearTimeout(connection.pendingHandshake);
        connection.pendingHandshake = null;
      }
      connection?.onClose();
    },
  };
}

async function listen(options: ListenOptions, onConnection: (socket: Socket) => void): Promise<Listener> {
  const tls = options.tls;
  let socket: SocketHandler<BunConnection>;
  let tlsConfig: object | undefined;
  if (tls === undefined) {
    const open = (bunSocket: BunSocket<BunConnection>) => {
      bunSocket.data = new BunConnection(bunSocket);
      onConnection(bunSocket.data);
    };
    socket = { ...handlers, open };
  } else {
    checkTLSConfig(tls, crypto);
    socket = tlsHandlers(tls, onConnection);
    tlsConfig = {
      cert: tls.cert,
      key: tls.key,
      passphrase: tls.passphrase,
      ALPNProtocols: tls.alpnProtocols.length > 0 ? alpnWireFormat(tls.alpnProtocols) : undefined,
    };
  }
  const config = { port: options.port, allowHalfOpen: true, reusePort: options.reusePort, socket, tls: tlsConfig };
  const server = await listenDualStack(options.host, (hostname) => Bun.listen<BunConnection>({ ...config, hostname }));
  const listener = server;
  return {
    address: [listener.hostname, listener.port],
    close: async () => listener.stop(false),
  };
}

/** {@link NodeFileHandle} reading more than {@link SYNC_READ_BYTES} through `Bun.file(fd).slice(…)`. */
class BunFileHandle extends NodeFileHandle {
  override read(position: number, length: number): Promise<Uint8Array> {
    if (length <= SYNC_READ_BYTES) return super.read(position, length);
    return Bun.file(this.fd)
      .slice(position, position + length)
      .bytes();
  }
}

/** A `Bun.spawn` process behind the core's {@link Subprocess} interface. */
class BunSubprocess implements Subprocess {
  readonly pid: number;
  readonly stdout: AsyncIterable<Uint8Array>;
  readonly stderr: AsyncIterable<Uint8Array>;
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  readonly #stdin: FileSink;
  readonly #kill: () => void;
  #ended = false;

  constructor(proc: Bun.Subprocess<"pipe", "pipe", "pipe">) {
    this.pid = proc.pid;
    this.stdout = readableChunks(proc.stdout);
    this.stderr = readableChunks(proc.stderr);
    this.#stdin = proc.stdin;
    this.exited = proc.exited.then((code) => {
      const signal = proc.signalCode;
      return signal === null ? { code, signal: null } : { code: null, signal: String(signal) };
    });
    this.#kill = () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
    };
  }

  async writeStdin(chunk: Uint8Array): Promise<void> {
    if (this.#ended) return;
    try {
      // write() buffers what the pipe does not take; flush() waits until the pipe took it.
      await this.#stdin.write(chunk);
      await this.#stdin.flush();
    } catch {
      // the process closed its input or exited
    }
  }

  async closeStdin(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    try {
      await this.#stdin.end();
    } catch {
      // already closed
    }
  }

  kill(): void {
    this.#kill();
  }
}

async function spawn(options: SpawnOptions): Promise<Subprocess> {
  // Throws synchronously (ENOENT, EACCES, EPERM …) when the process cannot be started.
  const proc = Bun.spawn({
    cmd: [options.file, ...options.args],
    env: options.env,
    cwd: options.cwd,
    uid: options.uid,
    gid: options.gid,
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
  });
  return new BunSubprocess(proc);
}

/** The Bun platform. */
export const bunPlatform: Platform = {
  name: "Bun",
  version: Bun.version,
  listen,
  fs: nodeFileSystem(BunFileHandle),
  ...processServices,
  ...clusterWorkers,
  ...zlibCompression(zlib, stream),
  ...zlibRawDeflate(zlib),
  sha1: (data) => crypto.createHash("sha1").update(data).digest(),
  // Bun.serve sends a Bun.file with its length, without the bytes passing through JavaScript.
  fileBody: (path, first, last) => Bun.file(path).slice(first, last + 1),
  randomBytes: (size) => crypto.randomBytes(size),
  spawn,
};
