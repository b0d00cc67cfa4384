/**
 * The Bun implementation of `@httpserver/core`'s {@link Platform}: `Bun.listen` sockets,
 * `Bun.file` reads, timers and the standard streams.
 * @module
 */

import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
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
  TLSListenOptions,
  Timer,
} from "@httpserver/core";
import { checkTLSConfig } from "@httpserver/core";
import type { Socket as BunSocket, SocketHandler } from "bun";

/** Bytes queued in JavaScript before `write` reports backpressure. */
const HIGH_WATER_MARK = 64 * 1024;

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

  constructor(socket: BunSocket<BunConnection>) {
    this.#socket = socket;
    this.remoteAddress = [socket.remoteAddress, socket.remotePort];
    this.localAddress = [socket.localAddress, socket.localPort];
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

  write(chunk: Uint8Array): boolean {
    if (this.#closed || this.#ending) return false;
    if (this.#queue.length === 0) {
      const n = this.#socket.write(chunk);
      if (n === chunk.length) return true;
      if (n < 0) return false;
      this.#queue.push(chunk.subarray(n));
      this.#queued += chunk.length - n;
    } else {
      this.#queue.push(chunk);
      this.#queued += chunk.length;
    }
    return this.#queued < HIGH_WATER_MARK;
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
  const wildcard = options.host === "" || options.host === "::";
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
  let server;
  try {
    server = Bun.listen<BunConnection>({ ...config, hostname: wildcard ? "::" : options.host });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (!wildcard || (code !== "EAFNOSUPPORT" && code !== "EADDRNOTAVAIL")) throw error;
    server = Bun.listen<BunConnection>({ ...config, hostname: "0.0.0.0" });
  }
  const listener = server;
  return {
    address: [listener.hostname, listener.port],
    close: async () => listener.stop(false),
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

/** Reads up to this many bytes with a synchronous `read(2)`; larger ones through `Bun.file`. */
const SYNC_READ_BYTES = 64 * 1024;

/** `open(2)` flags: read-only, and never blocking on a FIFO that was swapped in after the `stat`. */
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

/**
 * An open file descriptor: the file that was opened even if its name is removed or replaced
 * meanwhile. `stat`, `close` and small reads are synchronous (see {@link fileSystem}); larger reads
 * go through `Bun.file(fd).slice(…)`.
 */
class BunFileHandle implements FileHandle {
  readonly #fd: number;
  constructor(fd: number) {
    this.#fd = fd;
  }
  async stat(): Promise<FileStat> {
    return toStat(fs.fstatSync(this.#fd));
  }
  async read(position: number, length: number): Promise<Uint8Array> {
    if (length > SYNC_READ_BYTES) return Bun.file(this.#fd).slice(position, position + length).bytes();
    const buffer = new Uint8Array(length);
    const n = fs.readSync(this.#fd, buffer, 0, length, position);
    return n === length ? buffer : buffer.subarray(0, n);
  }
  async close(): Promise<void> {
    fs.closeSync(this.#fd);
  }
}

/**
 * node:fs behind the core's {@link FileSystem}. `stat`, `lstat`, `open`, `fstat`, `close` and
 * reads up to {@link SYNC_READ_BYTES} are synchronous system calls: on a local file system they
 * take a few microseconds, against ~18 µs for each asynchronous round trip (measured:
 * `fs.promises.stat` 18 µs, `fs.statSync` 2 µs). Directory listings and larger reads stay
 * asynchronous.
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
  open: async (path) => new BunFileHandle(fs.openSync(path, OPEN_FLAGS)),
  isExecutable: (path) =>
    fsp.access(path, fs.constants.X_OK).then(
      () => true,
      () => false,
    ),
  readFileSync: (path) => fs.readFileSync(path),
};

/** The Bun platform. */
export const bunPlatform: Platform = {
  name: "Bun",
  version: Bun.version,
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
