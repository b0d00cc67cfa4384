/**
 * An HTTP/2 connection on a socket (RFC 9113): the sans-IO {@link H2Connection} driven by the
 * socket's events, each stream handed out as an {@link H2Exchange} that a handler answers, and
 * the connection's time limits — a deadline for the preface and first SETTINGS, an idle
 * connection closed after `keepAliveTimeout` (GOAWAY first), graceful shutdown by GOAWAY.
 * Output goes out once per event-loop turn, and reading pauses while the socket's queue is full,
 * so a client that does not read cannot make the server queue without bound.
 * @module
 */

import { H2Connection, type H2ConnectionOptions } from "../h2/connection.ts";
import type { H2Event } from "../h2/events.ts";
import { ERROR_CODE } from "../h2/frames.ts";
import type { RequestHead } from "../h2/message.ts";
import { ProtocolError } from "../http/errors.ts";
import type { RequestEvent } from "../http/events.ts";
import type { Address, Platform, Socket, Timer } from "../platform/types.ts";
import type { ChannelOptions } from "./channel.ts";
import { H2Exchange, type StreamHost } from "./h2exchange.ts";

/** The limits of an HTTP/2 connection: the protocol's, and time limits in milliseconds. */
export interface H2SessionOptions extends H2ConnectionOptions {
  /** The client's preface and first SETTINGS must come within this (default 10 s, as Go). */
  prefaceTimeoutMs?: number | null;
  /** A connection without streams is closed after this long (`keepAliveTimeout`), GOAWAY first. */
  keepAliveTimeoutMs?: number | null;
  /** A stalled request body is answered with 408 after this long (`requestTimeout`). */
  requestTimeoutMs?: number | null;
  /** A response the client takes nothing of is reset after this long (`sendTimeout`). */
  sendTimeoutMs?: number | null;
  /** Response bytes queued per stream beyond which its writer waits (default 64 KiB). */
  writeHighWaterMark?: number;
}

/**
 * An HTTP/2 session's options from a server's: its protocol limits, and the time limits it gives
 * its HTTP/1 channels — `headersTimeoutMs` also bounds the wait for the client's preface and
 * first SETTINGS (10 s at most).
 */
export function sessionLimits(times: ChannelOptions, limits: H2ConnectionOptions): H2SessionOptions {
  return {
    ...limits,
    prefaceTimeoutMs: Math.min(times.headersTimeoutMs ?? Infinity, 10_000),
    keepAliveTimeoutMs: times.keepAliveTimeoutMs ?? null,
    requestTimeoutMs: times.requestTimeoutMs ?? null,
    sendTimeoutMs: times.sendTimeoutMs ?? null,
  };
}

/** Bytes handed to the socket per write while it takes them. */
const WRITE_CHUNK = 64 * 1024;
/** After the first GOAWAY, the second follows the PING's answer or this many milliseconds. */
const GOAWAY_GRACE_MS = 1000;
/** After FIN, reading goes on this many milliseconds before the socket is closed. */
const LINGER_MS = 2000;
/** The ECMAScript host's microtask queue (HTML's `queueMicrotask`, in every runtime). */
const queueMicrotask = (globalThis as unknown as { queueMicrotask: (fn: () => void) => void }).queueMicrotask;

/** One HTTP/2 connection being served. */
export class H2Session implements StreamHost {
  readonly connection: H2Connection;
  readonly platform: Platform;
  readonly remoteAddress: Address;
  readonly requestTimeoutMs: number | null;
  readonly sendTimeoutMs: number | null;
  readonly writeHighWaterMark: number;
  /** Settles when the connection has closed. */
  readonly done: Promise<void>;

  readonly #socket: Socket;
  readonly #onStream: (exchange: H2Exchange) => void;
  readonly #exchanges = new Map<number, H2Exchange>();
  /** Exchanges with a final head held for END_STREAM to join it. */
  readonly #held = new Set<H2Exchange>();
  readonly #keepAliveMs: number | null;
  #timer: Timer | null = null;
  #flushQueued = false;
  #congested = false;
  #closed = false;
  #peerGone = false;
  #resolveDone!: () => void;
  readonly #defer: (fn: () => void) => void;

  /**
   * @param socket the connection, not started yet (its first bytes are the client's preface).
   * @param onStream called with each stream's exchange; whoever answers it calls its `close()`
   *   when done.
   */
  constructor(socket: Socket, platform: Platform, options: H2SessionOptions, onStream: (exchange: H2Exchange) => void) {
    this.#socket = socket;
    this.platform = platform;
    this.remoteAddress = socket.remoteAddress;
    this.#onStream = onStream;
    this.requestTimeoutMs = options.requestTimeoutMs ?? null;
    this.sendTimeoutMs = options.sendTimeoutMs ?? null;
    this.writeHighWaterMark = options.writeHighWaterMark ?? 65_536;
    this.#keepAliveMs = options.keepAliveTimeoutMs ?? null;
    this.#defer = platform.defer ?? queueMicrotask;
    this.done = new Promise((resolve) => (this.#resolveDone = resolve));
    this.connection = new H2Connection(options);
    this.connection.initiate();
    const prefaceMs = options.prefaceTimeoutMs === undefined ? 10_000 : options.prefaceTimeoutMs;
    if (prefaceMs !== null && prefaceMs > 0) {
      this.#arm(prefaceMs, () => {
        if (!this.connection.established) this.#destroy();
        else this.#idleCheck();
      });
    }
    socket.start({
      data: (chunk) => this.#receive(chunk),
      end: () => this.#destroy(),
      close: () => this.#destroy(),
      drain: () => {
        this.#congested = false;
        this.#socket.resume();
        this.flushSoon();
      },
    });
    this.flushSoon();
  }

  #receive(chunk: Uint8Array): void {
    if (this.#closed) return;
    const events = this.connection.receiveData(chunk, this.platform.now());
    for (const event of events) this.#dispatch(event);
    this.flushSoon();
  }

  #dispatch(event: H2Event): void {
    switch (event.type) {
      case "request":
        return this.#open(event.streamId, requestEvent(event.head, event.endStream));
      case "request-too-large": {
        // Logged with its request line when the pseudo-header fields came before the limit.
        const { method, target } = event;
        const line = method === null || target === null ? undefined : { text: `${method} ${target} HTTP/2.0`, method, version: "HTTP/2.0" };
        return this.#open(
          event.streamId,
          new ProtocolError(431, "FIELDS_TOO_LARGE", "Request Header Fields Too Large", "The request's field section is too large.", line),
        );
      }
      case "data":
        return this.#exchanges.get(event.streamId)?.pushData(event.data);
      case "end":
        return this.#exchanges.get(event.streamId)?.pushEnd(event.trailers);
      case "reset": {
        const exchange = this.#exchanges.get(event.streamId);
        if (exchange !== undefined) this.#held.delete(exchange);
        return exchange?.terminate();
      }
      case "terminated":
        for (const exchange of this.#exchanges.values()) exchange.terminate();
        return;
      case "goaway":
        // The client will open no more streams: close once those under way are done.
        this.#peerGone = true;
        return;
      default:
    }
  }

  #open(streamId: number, request: RequestEvent | ProtocolError): void {
    this.#timer?.cancel();
    this.#timer = null;
    const exchange = new H2Exchange(this, streamId, request);
    this.#exchanges.set(streamId, exchange);
    this.#onStream(exchange);
  }

  /** Sends what is queued at the end of this event-loop turn. */
  flushSoon(): void {
    if (this.#flushQueued || this.#closed) return;
    this.#flushQueued = true;
    this.#defer(() => {
      this.#flushQueued = false;
      this.#flush();
    });
  }

  #flush(): void {
    if (this.#closed) return;
    for (const exchange of this.#held) exchange.commitHead();
    this.#held.clear();
    const conn = this.connection;
    if (conn.terminated) {
      // A connection error: the GOAWAY goes out even to a client that reads nothing, then FIN.
      const bytes = conn.dataToSend();
      if (bytes !== null) this.#socket.write(bytes);
      return this.#end();
    }
    while (!this.#congested) {
      const bytes = conn.dataToSend(WRITE_CHUNK);
      if (bytes === null) break;
      if (!this.#socket.write(bytes)) this.#congest();
    }
    for (const exchange of this.#exchanges.values()) if (exchange.waitingToWrite) exchange.wakeWriters();
    if ((this.#peerGone || conn.closing) && conn.idle) return this.#end();
    this.#idleCheck();
  }

  /**
   * Stops producing and reading until the client takes what was sent; a client that takes
   * nothing for `sendTimeout` (60 s when none is set) loses the connection.
   */
  #congest(): void {
    this.#congested = true;
    this.#socket.pause();
    let queued = this.#socket.bufferedAmount;
    const check = () => {
      if (!this.#congested || this.#closed) return;
      const now = this.#socket.bufferedAmount;
      if (now >= queued) return this.#destroy();
      queued = now; // slow, but taking bytes
      this.platform.setTimer(this.sendTimeoutMs ?? 60_000, check);
    };
    this.platform.setTimer(this.sendTimeoutMs ?? 60_000, check);
  }

  /** Holds an exchange's final head until the end of the turn (the session flushes then). */
  hold(exchange: H2Exchange): void {
    this.#held.add(exchange);
  }

  release(exchange: H2Exchange): void {
    this.#held.delete(exchange);
    exchange.commitHead();
    this.#exchanges.delete(exchange.streamId);
    // Content nobody read goes back to the connection's window.
    this.connection.acknowledgeReceivedData(exchange.streamId, exchange.dropUnread());
    this.connection.streamDone(exchange.streamId);
    this.flushSoon();
  }

  /** Arms the idle timer when no stream is under way. */
  #idleCheck(): void {
    if (this.#timer !== null || this.#exchanges.size > 0 || this.#keepAliveMs === null || this.#keepAliveMs <= 0) return;
    if (!this.connection.established) return;
    this.#arm(this.#keepAliveMs, () => this.stopWhenIdle());
  }

  #arm(ms: number, fn: () => void): void {
    this.#timer?.cancel();
    this.#timer = this.platform.setTimer(ms, () => {
      this.#timer = null;
      fn();
    });
  }

  /** Graceful shutdown (RFC 9113 §6.8): GOAWAY; the streams under way finish, then the connection closes. */
  stopWhenIdle(): void {
    if (this.#closed) return;
    this.connection.goAway();
    // The final GOAWAY follows the PING's answer, or this long after (Go's drain time).
    this.platform.setTimer(GOAWAY_GRACE_MS, () => {
      if (this.#closed) return;
      this.connection.goAway();
      this.flushSoon();
    });
    this.flushSoon();
  }

  /** Same as {@link stopWhenIdle}: the server's `closeRequest`. */
  close(): void {
    this.stopWhenIdle();
  }

  /** Closes at once: GOAWAY, then the socket. */
  abort(): void {
    if (this.#closed) return;
    this.connection.terminate(ERROR_CODE.NO_ERROR, "server stopping");
    const bytes = this.connection.dataToSend();
    if (bytes !== null) this.#socket.write(bytes);
    this.#destroy();
  }

  /** Sends FIN after what is queued, then forgets the connection. */
  #end(): void {
    this.#socket.end();
    this.#socket.resume();
    // Reading goes on a little (frames the client sent before it saw the end), then the socket closes.
    const socket = this.#socket;
    this.platform.setTimer(LINGER_MS, () => socket.destroy());
    this.#destroy(false);
  }

  #destroy(now = true): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#timer?.cancel();
    if (now) this.#socket.destroy();
    for (const exchange of this.#exchanges.values()) exchange.terminate();
    this.#resolveDone();
  }
}

/** A stream's checked request as the {@link RequestEvent} handlers read (`HTTP/2.0`, a `host` field from `:authority`). */
function requestEvent(head: RequestHead, endStream: boolean): RequestEvent {
  const target = head.method === "CONNECT" ? head.authority : head.path;
  let fields = head.fields;
  let expectContinue = false;
  let host = false;
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i] === "host") host = true;
    else if (fields[i] === "expect" && fields[i + 1].toLowerCase() === "100-continue") expectContinue = true;
  }
  if (!host && head.authority !== "") fields = ["host", head.authority, ...fields];
  return {
    type: "request",
    method: head.method,
    target,
    version: "HTTP/2.0",
    major: 2,
    minor: 0,
    requestline: `${head.method} ${target} HTTP/2.0`,
    fields,
    bodyKind: endStream ? "none" : head.contentLength >= 0 ? "length" : "chunked",
    contentLength: Math.max(0, head.contentLength),
    connection: null,
    expectContinue,
    simple: false,
  };
}
