/**
 * A `Channel` binds one platform {@link Socket} to one sans-IO {@link ServerConnection} and owns
 * it: received bytes go into the connection and come out as events (promises); response heads,
 * body bytes and the end of a response go through the connection (which checks and frames them)
 * to the socket, with backpressure (small writes are batched by its {@link BatchedWriter}, the
 * one layer that does), and it bounds every wait in time.
 * @module
 */

import { ByteQueue } from "../http/bytequeue.ts";
import { type ConnectionLimits, ServerConnection } from "../http/connection.ts";
import { LocalProtocolError, ProtocolError } from "../http/errors.ts";
import { type ConnectionEvent, NEED_DATA, type RequestEvent } from "../http/events.ts";
import type { ResponseHead } from "../http/response.ts";
import type { Address, Platform, Socket, Timer } from "../platform/types.ts";
import { BatchedWriter } from "./batching.ts";
import { DeadlineTimer, readExpiry } from "./deadlines.ts";
import { ConnectionClosedError, SendTimeoutError, SocketTimeoutError, asError } from "./errors.ts";
import type { ExchangeSource } from "./exchange.ts";
import { BODY_WAIT, HEAD_WAIT, NO_WAIT, RAW_WAIT, TimeLimits } from "./timelimits.ts";

/** Tuning of a {@link Channel}; sizes in bytes, times in milliseconds (`null`: no limit). */
export interface ChannelOptions extends ConnectionLimits {
  /** Pause reading while this many received bytes wait unconsumed (default 64 KiB). */
  readHighWaterMark?: number;
  /** Inactivity timeout of reads and writes, or `null` for none (the handler's `timeout`). */
  timeoutMs?: number | null;
  /**
   * A request head must be complete this long after its first byte (after the accept for the
   * first request); then 408 if part of it came, else a silent close (Node's `headersTimeout`).
   */
  headersTimeoutMs?: number | null;
  /** A persistent connection idle this long between requests is closed (`keepAliveTimeout`). */
  keepAliveTimeoutMs?: number | null;
  /** A request body the handler waits for may stall this long; then 408 (`requestTimeout`). */
  requestTimeoutMs?: number | null;
  /**
   * A response the client takes nothing of for this long is aborted (`sendTimeout`); checked at
   * each deadline, so the abort comes one to two limits after the client last took bytes.
   */
  sendTimeoutMs?: number | null;
  /** After sending FIN, how long to keep reading before closing (default 2000 ms). */
  lingerMs?: number;
}

const RESOLVED: Promise<void> = Promise.resolve();

/** How a read wait ended when its deadline passed. */
type ReadExpiry = SocketTimeoutError | ProtocolError | null;

/** A body event, or the error that replaced the rest of the body. */
export type BodyEvent = Extract<ConnectionEvent, { type: "data" | "end" | "error" | "closed" | "paused" }>;

/**
 * The I/O side of one connection.
 *
 * Reading: {@link nextRequest} resolves with each request head in turn; {@link nextBodyEvent}
 * with the pieces of its body. Writing: {@link sendHead}, then {@link writeBody} (waits for the
 * socket to take the bytes) or {@link writeBodyNow} (queues them), then {@link finishResponse}.
 *
 * Time limits: every wait has a deadline (see {@link ChannelOptions}); one platform timer per
 * connection is armed for the earliest, and re-armed when it fires early because the deadline
 * moved. Arriving bytes only record the time, so a busy connection costs no timer work per read.
 */
export class Channel implements ExchangeSource {
  /** The platform socket. */
  readonly socket: Socket;
  readonly #conn: ServerConnection;
  readonly #platform: Platform;
  readonly #highWater: number;
  readonly #lingerMs: number;
  readonly #limits: TimeLimits;

  #dataWaiter: (() => void) | null = null;
  #drainWaiter: { resolve: () => void; reject: (e: Error) => void } | null = null;
  #drainPromise: Promise<void> | null = null;
  #paused = false;
  #closed = false;
  #closing = false;
  #discard = false;
  #stopWhenIdle = false;
  #lingerTimer: Timer | null = null;
  #closeListeners = new Set<() => void>();
  readonly #out: BatchedWriter;

  /** Ends the read wait when its deadline passes. */
  #readExpire: ((expiry: ReadExpiry) => void) | null = null;
  readonly #timer: DeadlineTimer;

  /** Bytes received after a protocol switch and not read yet; `null` until the switch. */
  #raw: ByteQueue | null = null;
  /** Told when the server closes while the connection carries another protocol. */
  #onStop: (() => void) | null = null;

  /** Number of requests read so far; the body reader starts afresh when it changes. */
  requestCount = 0;

  constructor(socket: Socket, platform: Platform, options: ChannelOptions = {}) {
    this.socket = socket;
    this.#platform = platform;
    this.#conn = new ServerConnection(options);
    this.#out = new BatchedWriter(socket, () => this.#drainPromise === null, platform.defer);
    this.#highWater = options.readHighWaterMark ?? 65536;
    this.#lingerMs = options.lingerMs ?? 2000;
    this.#limits = new TimeLimits(
      {
        headersMs: options.headersTimeoutMs ?? null,
        keepAliveMs: options.keepAliveTimeoutMs ?? null,
        requestMs: options.requestTimeoutMs ?? null,
        sendMs: options.sendTimeoutMs ?? null,
      },
      platform.now(),
    );
    this.#limits.pythonMs = options.timeoutMs ?? null;
    this.#timer = new DeadlineTimer(platform, () => this.#checkDeadlines());
    socket.start({
      data: (chunk) => {
        if (this.#discard) return;
        const raw = this.#raw;
        if (raw === null) this.#conn.receiveData(chunk);
        else raw.push(chunk);
        if (this.#limits.wait !== NO_WAIT) this.#limits.received(this.#platform.now());
        const waiter = this.#dataWaiter;
        if (waiter !== null) {
          this.#dataWaiter = null;
          waiter();
        } else if (!this.#paused && (raw === null ? this.#conn.bufferedBytes : raw.length) > this.#highWater) {
          this.#paused = true;
          socket.pause();
        }
      },
      end: () => {
        this.#conn.receiveEOF();
        if (this.#closing) this.#destroy();
        this.#wake();
      },
      close: () => {
        this.#closed = true;
        this.#conn.receiveEOF();
        this.#lingerTimer?.cancel();
        this.#timer.cancel();
        this.#wake();
        this.#rejectDrain(new ConnectionClosedError());
        const listeners = [...this.#closeListeners];
        this.#closeListeners.clear();
        for (const listener of listeners) listener();
      },
      drain: () => {
        const drain = this.#drainWaiter;
        if (drain !== null) {
          this.#drainWaiter = null;
          this.#drainPromise = null;
          drain.resolve();
        }
      },
    });
  }

  /** Inactivity timeout of reads and writes in milliseconds, or `null` (the handler's `timeout`). */
  get timeoutMs(): number | null {
    return this.#limits.pythonMs;
  }

  /** Sets the inactivity timeout in milliseconds (`null`: none); takes effect with the next wait. */
  set timeoutMs(ms: number | null) {
    this.#limits.pythonMs = ms;
  }

  /** The client's address. */
  get remoteAddress(): Address {
    return this.socket.remoteAddress;
  }

  /** True once the socket is closed: nothing more can be read or written. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The request being answered, or `null`. */
  get request(): RequestEvent | null {
    return this.#conn.request;
  }

  /** True while the current request's body is still being received. */
  get readingBody(): boolean {
    return this.#conn.theirState === "SEND_BODY";
  }

  /** True while no response head was sent for the current request (an error page still can be). */
  get canRespond(): boolean {
    return !this.#closed && this.#conn.ourState === "SEND_RESPONSE";
  }

  /**
   * Calls `listener` once when the socket closes (by either side, or a reset), or at once when it
   * is closed already. A peer that only half-closes (FIN) does not count. Returns a function that
   * removes the listener.
   */
  onClose(listener: () => void): () => void {
    if (this.#closed) {
      listener();
      return () => {};
    }
    this.#closeListeners.add(listener);
    return () => void this.#closeListeners.delete(listener);
  }

  // -- Reading --

  #wake(): void {
    const waiter = this.#dataWaiter;
    if (waiter !== null) {
      this.#dataWaiter = null;
      waiter();
    }
  }

  /**
   * Waits for bytes: `waiter` runs when bytes, EOF or the close arrive; `expire` when the wait's
   * deadline passes first. Resumes a paused socket. The one place a read wait begins.
   */
  #awaitData(kind: number, waiter: () => void, expire: (expiry: ReadExpiry) => void): void {
    this.#limits.beginRead(kind, this.#platform.now());
    this.#readExpire = expire;
    this.#dataWaiter = waiter;
    this.#schedule(this.#limits.readDeadline());
    this.#resumeReading();
  }

  #endReadWait(): void {
    this.#limits.endRead();
    this.#readExpire = null;
  }

  /**
   * Waits for the next request head: the request, the {@link ProtocolError} that replaced it (408
   * when the head did not arrive within `headersTimeoutMs`), or `null` when the client closed the
   * connection, stayed idle past `keepAliveTimeoutMs`, or the server is closing and the connection
   * is idle. One promise per request: bytes that arrive are parsed by the socket's `data`
   * callback, which settles it once a head is complete.
   * @throws {SocketTimeoutError} when nothing arrives within {@link timeoutMs}.
   */
  nextRequest(): Promise<RequestEvent | ProtocolError | null> {
    if (this.#stopWhenIdle && !this.#conn.headStarted) return Promise.resolve(null);
    try {
      const now = this.#takeRequest();
      if (now !== undefined) return Promise.resolve(now);
    } catch (error) {
      return Promise.reject(asError(error));
    }
    this.#limits.awaitHead(this.#platform.now(), this.#conn.headStarted, this.requestCount === 0);
    return new Promise((resolve, reject) => {
      const expire = (expiry: ReadExpiry) => {
        if (expiry instanceof SocketTimeoutError) reject(expiry);
        else resolve(expiry);
      };
      const waiter = () => {
        let event;
        try {
          event = this.#takeRequest();
        } catch (error) {
          this.#endReadWait();
          reject(asError(error));
          return;
        }
        if (event === undefined) {
          this.#dataWaiter = waiter;
          this.#resumeReading();
          return;
        }
        this.#endReadWait();
        resolve(event);
      };
      this.#awaitData(HEAD_WAIT, waiter, expire);
    });
  }

  /**
   * The next request head if the bytes received hold one (or the error or end that replaces it);
   * `undefined` when more bytes are needed.
   */
  #takeRequest(): RequestEvent | ProtocolError | null | undefined {
    for (;;) {
      const event = this.#conn.nextEvent();
      if (event === NEED_DATA) {
        if (!this.#closed) return undefined;
        this.#conn.receiveEOF();
        continue;
      }
      switch (event.type) {
        case "request":
          this.requestCount++;
          return event;
        case "error":
          return event.error;
        case "closed":
        case "paused":
          return null;
        default:
          // Body events of a previous request cannot occur: bodies are drained or the
          // connection closes before the next cycle starts.
          throw new Error(`unexpected ${event.type} event before a request`);
      }
    }
  }

  /**
   * The next event of the current request's body: data (a view, valid until the next call), its
   * end, or the error that replaced the rest.
   * @throws {SocketTimeoutError} when nothing arrives within {@link timeoutMs}.
   * @throws {ProtocolError} (408) when the body stalls longer than `requestTimeoutMs`.
   */
  async nextBodyEvent(): Promise<BodyEvent> {
    for (;;) {
      const event = this.#conn.nextEvent();
      if (event !== NEED_DATA) return event as BodyEvent;
      if (this.#closed) {
        this.#conn.receiveEOF();
        continue;
      }
      await this.#bytesArrive(BODY_WAIT);
    }
  }

  /** Resolves when bytes, EOF or the close arrive; rejects when the wait of `kind` expires. */
  #bytesArrive(kind: number): Promise<void> {
    return new Promise<void>((resolve, reject) =>
      this.#awaitData(
        kind,
        () => {
          this.#endReadWait();
          resolve();
        },
        (expiry) => reject(expiry ?? new SocketTimeoutError()),
      ),
    );
  }

  /**
   * True once a response head switched protocols (a `101` to an `Upgrade`, a `2xx` to
   * `CONNECT`): HTTP is over, {@link readRaw} and {@link writeBody} carry the new protocol's
   * bytes, and the head, keep-alive and body time limits no longer apply.
   */
  get switched(): boolean {
    return this.#raw !== null;
  }

  /**
   * After a protocol switch, what to do when the server closes (a WebSocket sends its close
   * frame, `1001`); without one, the connection ends when its handler does.
   */
  onStop(listener: () => void): void {
    this.#onStop = listener;
  }

  /**
   * After a protocol switch: the next bytes the client sent (those that came with the request
   * head first), or `null` once it closed its side or the connection closed.
   * @throws {SocketTimeoutError} when nothing arrives within {@link timeoutMs}.
   * @throws {LocalProtocolError} before a switch.
   */
  async readRaw(): Promise<Uint8Array | null> {
    const raw = this.#raw;
    if (raw === null) throw new LocalProtocolError("readRaw() before a protocol switch");
    while (raw.length === 0) {
      if (this.#closed || this.#conn.eofReceived) return null;
      await this.#bytesArrive(RAW_WAIT);
    }
    return raw.takeView(raw.length);
  }

  #resumeReading(): void {
    if (this.#paused) {
      this.#paused = false;
      this.socket.resume();
    }
  }

  /**
   * Reads and discards the rest of the current request body, up to `limit` bytes. Resolves
   * `true` when the body ended within the limit, `false` otherwise (then the connection must
   * close): also when it stalls (`requestTimeoutMs`) or is malformed.
   */
  async #drainBody(limit: number): Promise<boolean> {
    let seen = 0;
    try {
      for (;;) {
        const event = await this.nextBodyEvent();
        if (event.type === "data") {
          seen += event.data.length;
          if (seen > limit) return false;
        } else {
          return event.type === "end";
        }
      }
    } catch {
      return false;
    }
  }

  // -- Time limits --

  /** Arms the connection's timer for `at` unless it is armed for that or earlier already. */
  #schedule(at: number): void {
    if (!this.#closed) this.#timer.schedule(at);
  }

  /** The timer fired: end whichever wait is past its deadline, re-arm for the rest. */
  #checkDeadlines(): void {
    if (this.#closed) return;
    const now = this.#platform.now();
    const limits = this.#limits;
    if (limits.readDeadline() <= now) {
      const expire = this.#readExpire!;
      const expiry = readExpiry(limits, this.#conn);
      this.#dataWaiter = null;
      this.#endReadWait();
      // The state machine learns of it, so that the 408 may be sent and nothing read after.
      if (expiry instanceof ProtocolError) this.#conn.fail(expiry);
      expire(expiry);
    }
    if (this.#drainWaiter !== null) {
      // Bytes leaving the queue are progress, even before a drain event.
      limits.sendProgress(now, this.socket.bufferedAmount);
      if (limits.writeDeadline(true) <= now) {
        this.#rejectDrain(limits.writeExpiry() === "python" ? new SocketTimeoutError() : new SendTimeoutError(limits.seconds("sendMs")));
      }
    }
    this.#schedule(Math.min(limits.readDeadline(), limits.writeDeadline(this.#drainWaiter !== null)));
  }

  // -- Writing --

  /**
   * Sends a response head (an interim one, a final one, or field lines continuing a head): the
   * connection checks and serializes it, and records how it frames the body. Queued without
   * waiting, joined with the writes that follow when they are small.
   * @throws {LocalProtocolError} for a head the connection refuses (see `ServerConnection.sendHead`).
   */
  sendHead(head: ResponseHead): void {
    const bytes = this.#conn.sendHead(head);
    if (!this.#closed && !this.#closing) this.#out.queue(bytes);
    if (this.#raw === null && this.#conn.ourState === "SWITCHED_PROTOCOL") {
      this.#raw = new ByteQueue();
      this.#raw.push(this.#conn.trailingData.data);
    }
  }

  /**
   * Queues body bytes without waiting; returns `false` when the socket is over its high-water
   * mark (or closed): a caller writing more should then await {@link flush}.
   * @throws {LocalProtocolError} when no response is under way.
   */
  writeBodyNow(bytes: Uint8Array): boolean {
    if (this.#closed || this.#closing) return false;
    if (this.#raw === null) this.#conn.sendBody(bytes);
    return this.#out.queue(bytes);
  }

  /**
   * Writes body bytes and resolves once the socket took them below its high-water mark.
   * @throws {ConnectionClosedError} when the connection is closed.
   * @throws {SendTimeoutError} when the client takes nothing for `sendTimeoutMs`.
   * @throws {SocketTimeoutError} when it takes nothing for {@link timeoutMs}.
   */
  writeBody(bytes: Uint8Array): Promise<void> {
    if (this.#closed || this.#closing) return Promise.reject(new ConnectionClosedError());
    if (this.#raw === null) this.#conn.sendBody(bytes);
    return this.#out.write(bytes) ? RESOLVED : this.#awaitDrain();
  }

  /** Bytes written and not yet taken by the kernel: held here, or queued in the socket. */
  get bufferedAmount(): number {
    return this.#out.heldBytes + this.socket.bufferedAmount;
  }

  /** True while written bytes wait for the socket to drain below its high-water mark. */
  get draining(): boolean {
    return this.#drainPromise !== null || this.#out.holding;
  }

  /** Sends held bytes, then resolves when queued bytes drained below the high-water mark. */
  flush(): Promise<void> {
    if (!this.#closed && !this.#out.flush() && this.#drainPromise === null) return this.#awaitDrain();
    if (this.#drainPromise !== null) return this.#drainPromise;
    return RESOLVED;
  }

  #awaitDrain(): Promise<void> {
    if (this.#drainPromise !== null) return this.#drainPromise;
    this.#drainPromise = new Promise<void>((resolve, reject) => {
      this.#drainWaiter = { resolve, reject };
    });
    this.#limits.beginDrain(this.#platform.now(), this.socket.bufferedAmount);
    this.#schedule(this.#limits.writeDeadline(true));
    return this.#drainPromise;
  }

  #rejectDrain(error: Error): void {
    const drain = this.#drainWaiter;
    if (drain === null) return;
    this.#drainWaiter = null;
    this.#drainPromise = null;
    drain.reject(error);
  }

  /**
   * Ends the current response and prepares the connection for the next request: the response
   * must be complete and delimited and `keepAlive` hold, and the rest of an unread request body
   * must be drained within `drainLimit` bytes (and the body time limit); a client waiting for a
   * `100 Continue` that was never sent cannot be drained. Returns (or resolves with, when a body
   * is drained) whether the connection can carry another request.
   */
  finishResponse(keepAlive: boolean, drainLimit: number): boolean | Promise<boolean> {
    const conn = this.#conn;
    if (this.#closed || (conn.ourState !== "SEND_RESPONSE" && conn.ourState !== "SEND_BODY")) return false;
    if (!conn.endResponse(keepAlive)) return false;
    if (conn.theirState === "SEND_BODY") {
      if (!conn.canDrain) return false;
      return this.#drainBody(drainLimit).then((drained) => {
        if (!drained || conn.theirState !== "DONE") return false;
        conn.startNextCycle();
        return true;
      });
    }
    if (conn.theirState !== "DONE") return false;
    conn.startNextCycle();
    return true;
  }

  // -- Closing --

  /** True while waiting for a request head with nothing of it received. */
  get #idle(): boolean {
    return this.#limits.wait === HEAD_WAIT && !this.#conn.headStarted;
  }

  /**
   * Asks the channel to end once idle: at once when it is waiting for a request with nothing
   * buffered, else before the next request; after a protocol switch, the listener set with
   * {@link onStop} decides. Used when the server closes.
   */
  stopWhenIdle(): void {
    this.#stopWhenIdle = true;
    if (this.#raw !== null) return this.#onStop?.();
    if (this.#idle) {
      this.#closed = true;
      this.#wake();
      this.close();
    }
  }

  /**
   * Closes gracefully (RFC 9112 §9.6): sends FIN after the queued bytes, keeps reading and
   * discarding what the client still sends until it closes too or {@link ChannelOptions.lingerMs}
   * pass, then closes the socket. Idempotent.
   */
  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#discard = true;
    this.#timer.cancel();
    this.#rejectDrain(new ConnectionClosedError("connection closed by the server"));
    if (this.#closed) {
      this.#out.drop();
      this.socket.destroy();
      return;
    }
    this.#out.flush();
    this.socket.end();
    this.#resumeReading();
    if (this.#conn.eofReceived) {
      this.#destroy();
      return;
    }
    this.#lingerTimer = this.#platform.setTimer(this.#lingerMs, () => this.#destroy());
  }

  /** Closes at once, dropping queued bytes (a response the client does not take, shutdown). */
  abort(): void {
    this.#closing = true;
    this.#discard = true;
    this.#out.drop();
    this.#rejectDrain(new ConnectionClosedError("connection closed by the server"));
    this.#destroy();
  }

  #destroy(): void {
    this.#lingerTimer?.cancel();
    this.#lingerTimer = null;
    this.#timer.cancel();
    this.socket.destroy();
  }
}
