/**
 * The Deno implementation of `@httpserver/core`'s {@link Platform}: `Deno.listen` and
 * `Deno.listenTls` connections read with `read()` and written with `write()` (4× faster than
 * their web streams for small messages), with the file system of `fs.ts` and the process
 * services of `process.ts`.
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
  type TLSListenOptions,
  WRITE_HIGH_WATER_MARK,
  acceptBackoff,
  allocBytes,
  checkTLSConfig,
  listenDualStack,
  zlibCompression,
  zlibRawDeflate,
} from "@httpserver/core/platform";
import { fileSystem } from "./fs.ts";
import { processServices, spawn } from "./process.ts";
import { threadWorkers } from "./workers.ts";
/**
 * Size of the buffer each `read()` fills at first. Every connection holds one while it waits for
 * bytes, so this bounds the memory of idle connections (1,000 of them: 16 MiB). A read that fills
 * it doubles the next one's, up to {@link MAX_READ_SIZE} (fewer reads for a large body or
 * message); a read of less than a quarter halves it again.
 */
const READ_SIZE = 16 * 1024;
const MAX_READ_SIZE = 256 * 1024;
/** `write(chunk, more)` with both together below this is one `write()` of both joined (no writev in Deno). */
const JOIN_LIMIT = 64 * 1024;
/** Chunks waiting for a write under way are joined into one of up to this many bytes. */
const MAX_JOINED = 256 * 1024;

function hostOf(addr: Deno.Addr): Address {
  return addr.transport === "tcp" || addr.transport === "udp" ? [addr.hostname, addr.port] : ["", 0];
}

/** A `Deno.Conn` behind the core's {@link Socket} interface. */
class DenoConnection implements Socket {
  readonly remoteAddress: Address;
  readonly localAddress: Address;
  readonly #conn: Deno.Conn;
  #events: SocketEvents | null = null;
  #paused = false;
  #resume: (() => void) | null = null;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #writing = false;
  #ending = false;
  #closed = false;
  #overHighWater = false;

  constructor(
    conn: Deno.Conn,
    readonly alpnProtocol: string | null = null,
  ) {
    this.#conn = conn;
    this.remoteAddress = hostOf(conn.remoteAddr);
    this.localAddress = hostOf(conn.localAddr);
    try {
      (conn as Deno.TcpConn).setNoDelay?.(true);
    } catch {
      // not a TCP connection
    }
  }

  get bufferedAmount(): number {
    return this.#queued;
  }

  start(events: SocketEvents): void {
    this.#events = events;
    void this.#readLoop(events);
  }

  async #readLoop(events: SocketEvents): Promise<void> {
    let buffer = new Uint8Array(READ_SIZE);
    try {
      for (;;) {
        if (this.#paused) await new Promise<void>((resolve) => (this.#resume = resolve));
        const n = await this.#conn.read(buffer);
        if (n === null) break;
        const size = buffer.length;
        if (n >= size / 2) {
          // Mostly full: hand the buffer itself over and read into a new one (of twice the size
          // when this one filled up).
          events.data(buffer.subarray(0, n));
          buffer = new Uint8Array(n === size ? Math.min(size * 2, MAX_READ_SIZE) : size);
          continue;
        }
        // The buffer is reused by the next read: hand over a copy, carved from a shared slab
        // when small (a new ArrayBuffer per request costs more than the copy).
        const chunk = allocBytes(n);
        chunk.set(buffer.subarray(0, n));
        if (n < size / 4 && size > READ_SIZE) buffer = new Uint8Array(size / 2);
        events.data(chunk);
      }
      if (!this.#closed) events.end();
    } catch {
      this.#close();
    }
  }

  write(chunk: Uint8Array, more?: Uint8Array): boolean {
    if (this.#closed || this.#ending) return false;
    if (more !== undefined && chunk.length + more.length <= JOIN_LIMIT) {
      const both = new Uint8Array(chunk.length + more.length);
      both.set(chunk);
      both.set(more, chunk.length);
      this.#enqueue(both);
    } else {
      this.#enqueue(chunk);
      if (more !== undefined) this.#enqueue(more);
    }
    if (!this.#writing) {
      this.#writing = true;
      void this.#flush();
    }
    const ok = this.#queued < WRITE_HIGH_WATER_MARK;
    if (!ok) this.#overHighWater = true;
    return ok;
  }

  #enqueue(chunk: Uint8Array): void {
    this.#queue.push(chunk);
    this.#queued += chunk.length;
  }

  /** Writes the queued chunks one after another, as they were given; `drain` below the mark. */
  async #flush(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        // Chunks queued while the last write was under way go out together, in one write
        // (Deno has no writev): one round trip through the event loop for all of them.
        if (this.#queue.length > 1 && this.#queue[0].length < JOIN_LIMIT) this.#joinQueued();
        const chunk = this.#queue[0];
        let written = 0;
        while (written < chunk.length) {
          const n = await this.#conn.write(chunk.subarray(written));
          written += n;
          // Counted as it goes: a slow reader of a large chunk is still making progress.
          this.#queued -= n;
        }
        this.#queue.shift();
        if (this.#overHighWater && this.#queued < WRITE_HIGH_WATER_MARK) {
          this.#overHighWater = false;
          this.#events?.drain();
        }
      }
      this.#writing = false;
      if (this.#ending) await this.#conn.closeWrite();
    } catch {
      this.#writing = false;
      this.#close();
    }
  }

  /** Joins the first queued chunks, up to {@link MAX_JOINED} bytes, into one. */
  #joinQueued(): void {
    const queue = this.#queue;
    let count = 0;
    let total = 0;
    while (count < queue.length && (count < 2 || total + queue[count].length <= MAX_JOINED)) total += queue[count++].length;
    const joined = new Uint8Array(total);
    let at = 0;
    for (const chunk of queue.splice(0, count)) {
      joined.set(chunk, at);
      at += chunk.length;
    }
    queue.unshift(joined);
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    const resume = this.#resume;
    this.#resume = null;
    resume?.();
  }

  end(): void {
    if (this.#closed || this.#ending) return;
    this.#ending = true;
    if (!this.#writing) this.#conn.closeWrite().catch(() => this.#close());
  }

  destroy(): void {
    this.#close();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#queued = 0;
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
    this.resume();
    const events = this.#events;
    if (events !== null) queueMicrotask(events.close);
  }
}

/**
 * Completes one TLS handshake, bounded by the timeout, then hands the connection over; runs for
 * each connection on its own, so a stalled handshake delays no one else.
 */
async function handshake(conn: Deno.TlsConn, options: TLSListenOptions, onConnection: (socket: Socket) => void) {
  const address = hostOf(conn.remoteAddr);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      conn.close();
    } catch {
      // already closed
    }
    options.onHandshakeError(address, Object.assign(new Error("handshake timed out"), { code: "ERR_TLS_HANDSHAKE_TIMEOUT" }));
  }, options.handshakeTimeoutMs) as unknown as number;
  Deno.unrefTimer(timer);
  let alpnProtocol: string | null = null;
  try {
    alpnProtocol = (await conn.handshake()).alpnProtocol;
  } catch (error) {
    clearTimeout(timer);
    if (timedOut) return;
    try {
      conn.close();
    } catch {
      // already closed
    }
    // The client closed before finishing: not worth a log line (as ECONNRESET elsewhere).
    if (error instanceof Deno.errors.UnexpectedEof || error instanceof Deno.errors.ConnectionReset) return;
    const message = error instanceof Error ? error.message : String(error);
    options.onHandshakeError(address, Object.assign(new Error(message), { code: (error as Error).name }));
    return;
  }
  clearTimeout(timer);
  if (!timedOut) onConnection(new DenoConnection(conn, alpnProtocol));
}

/** `Deno.listenTls` takes no passphrase: an encrypted key is decrypted to PKCS#8 first. */
function plainKey(options: TLSListenOptions): string {
  if (options.passphrase === undefined) return options.key;
  return crypto
    .createPrivateKey({ key: options.key, passphrase: options.passphrase, format: "pem" })
    .export({ type: "pkcs8", format: "pem" }) as string;
}

async function listen(options: ListenOptions, onConnection: (socket: Socket) => void): Promise<Listener> {
  const tls = options.tls;
  if (tls !== undefined) checkTLSConfig(tls, crypto);
  // SO_REUSEPORT (for --workers) is unstable in Deno: asked for only when wanted.
  const reuse = options.reusePort ? { reusePort: true } : {};
  const open = (hostname: string): Deno.Listener => {
    try {
      return tls === undefined
        ? Deno.listen({ hostname, port: options.port, tcpBacklog: options.backlog, ...reuse })
        : Deno.listenTls({
            hostname,
            port: options.port,
            tcpBacklog: options.backlog,
            cert: tls.cert,
            key: plainKey(tls),
            alpnProtocols: tls.alpnProtocols.length > 0 ? tls.alpnProtocols : undefined,
            ...reuse,
          });
    } catch (error) {
      if (options.reusePort && error instanceof Error && /unstable-net/.test(error.message)) {
        throw new Error("sharing the port between workers needs Deno's --unstable-net (Deno.listen's reusePort)", { cause: error });
      }
      throw error;
    }
  };
  const listener = await listenDualStack(options.host, open, (error) => error instanceof Deno.errors.AddrNotAvailable);
  let closed = false;
  // Not `for await (… of listener)`: its iterator ends for good on the first failed accept (a
  // client that reset first: ENOTCONN; no descriptor left: EMFILE). Only close() ends this loop.
  const accept = async () => {
    let delay = 0;
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (closed) return;
        const code = (error as { code?: string }).code;
        // "Too many open files (os error 24)": the code says the rest.
        const message = error instanceof Error ? error.message.replace(/ \(os error \d+\)$/, "") : String(error);
        options.onAcceptError(Object.assign(new Error(message, { cause: error }), { code }));
        // The listener itself is gone: nothing left to accept from.
        if (error instanceof Deno.errors.BadResource) return;
        delay = acceptBackoff(delay, code);
        if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
        continue;
      }
      delay = 0;
      if (tls === undefined) onConnection(new DenoConnection(conn));
      else void handshake(conn as Deno.TlsConn, tls, onConnection);
    }
  };
  void accept();
  return {
    address: hostOf(listener.addr),
    close: async () => {
      closed = true;
      try {
        listener.close();
      } catch {
        // already closed
      }
    },
  };
}

/** The Deno platform. */
export const denoPlatform: Platform = {
  name: "Deno",
  version: Deno.version.deno,
  listen,
  fs: fileSystem,
  ...processServices,
  ...threadWorkers(),
  ...zlibCompression(zlib, stream),
  ...zlibRawDeflate(zlib),
  sha1: (data) => crypto.createHash("sha1").update(data).digest(),
  // A whole file's own stream: Deno.serve sends it from Rust. A range goes through the core's stream.
  fileBody: (path, first, last, size) => (first === 0 && last === size - 1 ? Deno.openSync(path).readable : undefined),
  randomBytes: (size) => crypto.randomBytes(size),
  spawn,
};
