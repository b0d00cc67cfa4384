/**
 * One HTTP/2 stream as an {@link ExchangeSource} (RFC 9113 §8): the request the stream carries,
 * its DATA as the request body (given back to the flow-control windows as the handler takes
 * it), and the handler's response as HEADERS, DATA within the windows, and END_STREAM. Handlers
 * written for HTTP/1 run unchanged: their status line becomes `:status`, field names are
 * lowercased, connection-specific fields are dropped, a body they frame with the chunked coding
 * themselves is de-chunked, and header lines they write raw after `flushHeaders` (a CGI script's)
 * join the field block.
 * @module
 */

import { concatBytes, latin1Decode } from "../http/chars.ts";
import { ChunkedDecoder } from "../http/chunked.ts";
import { LocalProtocolError, ProtocolError } from "../http/errors.ts";
import type { RequestEvent } from "../http/events.ts";
import type { ResponseHead } from "../http/response.ts";
import { ERROR_CODE } from "../h2/frames.ts";
import type { Address, Platform, Socket, SocketEvents, Timer } from "../platform/types.ts";
import type { BodyEvent } from "./channel.ts";
import { ConnectionClosedError, SendTimeoutError, SocketTimeoutError } from "./errors.ts";
import type { ExchangeSource } from "./exchange.ts";
import type { H2Connection } from "../h2/connection.ts";

/** What a stream's exchange needs of its connection's session. */
export interface StreamHost {
  readonly connection: H2Connection;
  readonly platform: Platform;
  readonly remoteAddress: Address;
  /** A stalled request body is answered with 408 after this long, or `null` (`requestTimeout`). */
  readonly requestTimeoutMs: number | null;
  /** A response the client takes nothing of is aborted after this long, or `null` (`sendTimeout`). */
  readonly sendTimeoutMs: number | null;
  /** Response bytes queued on a stream beyond which writers wait. */
  readonly writeHighWaterMark: number;
  /** Sends what the connection has queued, at the end of this event-loop turn. */
  flushSoon(): void;
  /** Holds the exchange's final head until the end of the turn (see `H2Exchange.commitHead`). */
  hold(exchange: H2Exchange): void;
  /** The handler of the stream is done: its concurrency slot is free. */
  release(exchange: H2Exchange): void;
}

/** Fields that mean something only on one HTTP/1 connection (RFC 9113 §8.2.2): dropped from responses. */
const CONNECTION_SPECIFIC = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]);
/** Raw header lines after `flushHeaders` are read up to this many bytes before the rest counts as body. */
const MAX_RAW_HEAD = 65_536;
const EMPTY = new Uint8Array(0);

/** A stream's exchange: one request, one response. */
export class H2Exchange implements ExchangeSource {
  readonly #host: StreamHost;
  readonly #conn: H2Connection;
  /** The stream identifier. */
  readonly streamId: number;
  readonly #request: RequestEvent | ProtocolError;
  #delivered = false;

  // -- Request body --
  readonly #chunks: Uint8Array[] = [];
  #ended: readonly string[] | null = null;
  /** The end of the body was handed out (by `nextBodyEvent`). */
  #endTaken = false;
  #reset = false;
  #bodyWaiter: (() => void) | null = null;

  // -- Response --
  /** The status and fields of the head being built, `null` outside one. */
  #status: number | null = null;
  #fields: string[] = [];
  /** The head continues in raw header lines written as body (after `flushHeaders`). */
  #rawHead: Uint8Array[] | null = null;
  #rawHeadBytes = 0;
  /** The final head, ready but held until the end of the turn so that END_STREAM can join it. */
  #heldHead: string[] | null = null;
  #finalSent = false;
  #finished = false;
  #noBody = false;
  /** Body bytes the handler's `content-length` still allows, or -1. */
  #remaining = -1;
  #broken = false;
  #dechunk: ChunkedDecoder | null = null;
  #drainWaiters: (() => void)[] = [];
  #closeListeners = new Set<() => void>();
  #closed = false;

  /** Inactivity timeout of reads and writes in milliseconds, or `null` (the handler's `timeout`). */
  timeoutMs: number | null = null;

  constructor(host: StreamHost, streamId: number, request: RequestEvent | ProtocolError) {
    this.#host = host;
    this.#conn = host.connection;
    this.streamId = streamId;
    this.#request = request;
    if (request instanceof ProtocolError || request.bodyKind === "none") {
      this.#ended = [];
      this.#endTaken = true;
    }
  }

  get remoteAddress(): Address {
    return this.#host.remoteAddress;
  }

  get request(): RequestEvent | null {
    return this.#delivered && !(this.#request instanceof ProtocolError) ? this.#request : null;
  }

  get requestCount(): number {
    return this.#delivered ? 1 : 0;
  }

  /** The stream's one request; then `null`. */
  nextRequest(): Promise<RequestEvent | ProtocolError | null> {
    if (this.#delivered) return Promise.resolve(null);
    this.#delivered = true;
    return Promise.resolve(this.#request);
  }

  // -- The request body --

  get readingBody(): boolean {
    return !this.#endTaken && !this.#reset;
  }

  /** DATA received on the stream (a view; the session's connection keeps the bytes). */
  pushData(data: Uint8Array): void {
    this.#chunks.push(data);
    this.#wakeBody();
  }

  /** Forgets the request content the handler did not read; returns its size in bytes. */
  dropUnread(): number {
    let n = 0;
    for (const chunk of this.#chunks.splice(0)) n += chunk.length;
    return n;
  }

  /** The client ended the stream, with trailers or none. */
  pushEnd(trailers: readonly string[]): void {
    this.#ended = trailers;
    this.#wakeBody();
  }

  /** The stream was reset (by either side) or the connection closed: nothing more comes or goes. */
  terminate(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#reset = true;
    this.#wakeBody();
    this.wakeWriters();
    for (const listener of [...this.#closeListeners]) listener();
    this.#closeListeners.clear();
  }

  async nextBodyEvent(): Promise<BodyEvent> {
    for (;;) {
      const chunk = this.#chunks.shift();
      if (chunk !== undefined) {
        // Handed to the handler: the client may send as much again.
        this.#conn.acknowledgeReceivedData(this.streamId, chunk.length);
        this.#host.flushSoon();
        return { type: "data", data: chunk };
      }
      if (this.#ended !== null) {
        this.#endTaken = true;
        return { type: "end", trailers: this.#ended };
      }
      if (this.#reset) return { type: "closed" };
      const expiry = await this.#wait((wake) => (this.#bodyWaiter = wake), this.#host.requestTimeoutMs);
      this.#bodyWaiter = null;
      if (expiry === "python") throw new SocketTimeoutError();
      if (expiry === "limit") {
        const seconds = (this.#host.requestTimeoutMs ?? 0) / 1000;
        const error = new ProtocolError(408, "BODY_TIMEOUT", "Request Timeout", `The request body stalled for more than ${seconds} s.`);
        this.#ended = [];
        return { type: "error", error };
      }
    }
  }

  #wakeBody(): void {
    const waiter = this.#bodyWaiter;
    this.#bodyWaiter = null;
    waiter?.();
  }

  /**
   * Waits for `register`'s wake-up, the handler's `timeout` ("python") or `limitMs` ("limit"),
   * whichever comes first; resolves `null` when woken.
   */
  #wait(register: (wake: () => void) => void, limitMs: number | null): Promise<"python" | "limit" | null> {
    const python = this.timeoutMs;
    if (python === null && limitMs === null) return new Promise((resolve) => register(() => resolve(null)));
    return new Promise((resolve) => {
      const ms = Math.min(python ?? Infinity, limitMs ?? Infinity);
      const timer: Timer = this.#host.platform.setTimer(ms, () => resolve(python !== null && python <= ms ? "python" : "limit"));
      register(() => {
        timer.cancel();
        resolve(null);
      });
    });
  }

  // -- The response --

  get canRespond(): boolean {
    return !this.#finalSent && this.#heldHead === null && !this.#closed;
  }

  get closed(): boolean {
    return this.#closed;
  }

  sendHead(head: ResponseHead): void {
    if (this.#finalSent || this.#heldHead !== null) throw new LocalProtocolError("a response head was sent already");
    if (head.status !== undefined) {
      this.#status = head.status;
      this.#fields = [];
    } else if (this.#status === null) throw new LocalProtocolError("field lines without a status line");
    const fields = head.fields;
    for (let i = 0; i < fields.length; i += 2) this.#addField(fields[i], fields[i + 1]);
    if (head.complete) this.#endHead();
    else {
      this.#rawHead = [];
      this.#rawHeadBytes = 0;
    }
  }

  #addField(name: string, value: string): void {
    const lower = name.toLowerCase();
    if (lower === "transfer-encoding" && value.toLowerCase().includes("chunked")) this.#dechunk = new ChunkedDecoder();
    if (CONNECTION_SPECIFIC.has(lower)) return;
    if (lower === "content-length" && /^[0-9]+$/.test(value)) this.#remaining = Number(value);
    this.#fields.push(lower, value);
  }

  /** The head is complete: an interim one goes out now; a final one is held to the end of the turn. */
  #endHead(): void {
    const status = this.#status!;
    const block = [":status", String(status), ...this.#fields];
    this.#status = null;
    this.#fields = [];
    this.#rawHead = null;
    if (status < 200) {
      this.#remaining = -1;
      this.#dechunk = null;
      if (this.#conn.sendHeaders(this.streamId, block, false)) this.#host.flushSoon();
      return;
    }
    const method = this.#request instanceof ProtocolError ? "" : this.#request.method;
    this.#noBody = method === "HEAD" || status === 204 || status === 304;
    this.#heldHead = block;
    this.#host.hold(this);
    this.#host.flushSoon();
  }

  /** Sends the held final head (with END_STREAM when the response ends with it). */
  commitHead(endStream = false): void {
    const block = this.#heldHead;
    if (block === null) return;
    this.#heldHead = null;
    this.#finalSent = true;
    this.#conn.sendHeaders(this.streamId, block, endStream);
    if (endStream) this.#finished = true;
  }

  writeBodyNow(bytes: Uint8Array): boolean {
    if (this.#closed) return false;
    if (this.#rawHead !== null) bytes = this.#readRawHead(bytes);
    else if (this.#heldHead === null && !this.#finalSent) throw new LocalProtocolError("response body bytes before the response head");
    if (bytes.length === 0 || this.#rawHead !== null) return true;
    this.commitHead();
    if (this.#dechunk !== null) this.#sendDechunked(bytes);
    else this.#send(bytes);
    this.#host.flushSoon();
    return this.#conn.bufferedAmount(this.streamId) < this.#host.writeHighWaterMark;
  }

  #send(bytes: Uint8Array): void {
    if (this.#noBody || bytes.length === 0) return;
    if (this.#remaining >= 0) {
      if (bytes.length > this.#remaining) {
        this.#broken = true;
        bytes = bytes.subarray(0, this.#remaining);
      }
      this.#remaining -= bytes.length;
    }
    this.#conn.sendData(this.streamId, bytes);
  }

  #sendDechunked(bytes: Uint8Array): void {
    const decoder = this.#dechunk!;
    let pos = 0;
    while (pos < bytes.length && !this.#broken) {
      if (decoder.done) {
        this.#broken = true;
        break;
      }
      if (decoder.dataRemaining > 0) {
        const n = Math.min(decoder.dataRemaining, bytes.length - pos);
        this.#send(bytes.subarray(pos, pos + n));
        decoder.skipData(n);
        pos += n;
        continue;
      }
      const next = decoder.decode(bytes, pos, bytes.length);
      if (next < 0) this.#broken = true;
      else if (next === pos && decoder.dataRemaining === 0) break;
      else pos = next;
    }
  }

  /**
   * Takes raw header lines (`Name: value`, each ending in LF or CRLF) written after
   * `flushHeaders` into the head, up to the empty line; returns the bytes after it (body).
   */
  #readRawHead(bytes: Uint8Array): Uint8Array {
    const parts = this.#rawHead!;
    parts.push(bytes);
    this.#rawHeadBytes += bytes.length;
    const all = parts.length === 1 ? bytes : concatBytes(parts, this.#rawHeadBytes);
    let start = 0;
    for (;;) {
      const lf = all.indexOf(0x0a, start);
      if (lf < 0) break;
      const end = lf > start && all[lf - 1] === 0x0d ? lf - 1 : lf;
      if (end === start) {
        this.#endHead();
        return all.subarray(lf + 1);
      }
      const line = latin1Decode(all, start, end);
      const colon = line.indexOf(":");
      if (colon > 0) this.#addField(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
      start = lf + 1;
    }
    this.#rawHead = start === 0 ? [all] : [all.slice(start)];
    this.#rawHeadBytes = all.length - start;
    if (this.#rawHeadBytes <= MAX_RAW_HEAD) return EMPTY;
    // No empty line in sight: what came is body.
    const rest = this.#rawHead[0];
    this.#endHead();
    return rest;
  }

  writeBody(bytes: Uint8Array): Promise<void> {
    if (this.#closed) return Promise.reject(new ConnectionClosedError());
    return this.writeBodyNow(bytes) ? Promise.resolve() : this.flush();
  }

  get draining(): boolean {
    return this.bufferedAmount >= this.#host.writeHighWaterMark;
  }

  get bufferedAmount(): number {
    return this.#conn.bufferedAmount(this.streamId);
  }

  /** Resolves once the stream's queued bytes are below the high-water mark. */
  async flush(): Promise<void> {
    let before = this.bufferedAmount;
    while (!this.#closed && this.bufferedAmount >= this.#host.writeHighWaterMark) {
      const expiry = await this.#wait((wake) => this.#drainWaiters.push(wake), this.#host.sendTimeoutMs);
      if (expiry === null) continue;
      const now = this.bufferedAmount;
      if (now < before) {
        before = now; // the client takes the bytes, slowly
        continue;
      }
      this.abort();
      if (expiry === "python") throw new SocketTimeoutError();
      throw new SendTimeoutError((this.#host.sendTimeoutMs ?? 0) / 1000);
    }
    if (this.#closed) throw new ConnectionClosedError();
  }

  /** Wakes the writers waiting for the stream's queue to shrink (the session calls it after sending). */
  wakeWriters(): void {
    if (this.#drainWaiters.length === 0) return;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const wake of waiters) wake();
  }

  /** True while a writer waits for the queue to shrink. */
  get waitingToWrite(): boolean {
    return this.#drainWaiters.length > 0;
  }

  /**
   * Ends the response: END_STREAM after the queued bytes, or RST_STREAM `INTERNAL_ERROR` when
   * the body broke its framing (shorter or longer than its `content-length`). A stream carries
   * one request: never `true`.
   */
  finishResponse(): boolean {
    if (this.#finished || this.#closed) return false;
    if (this.#rawHead !== null) {
      // Raw header lines without the empty line after them: what is left of them is body.
      const rest = concatBytes(this.#rawHead, this.#rawHeadBytes);
      this.#endHead();
      if (rest.length > 0) this.writeBodyNow(rest);
    }
    if (this.#heldHead === null && !this.#finalSent) return false;
    this.#finished = true;
    if (this.#broken || (this.#remaining > 0 && !this.#noBody) || (this.#dechunk !== null && !this.#dechunk.done)) {
      this.commitHead();
      this.abort(ERROR_CODE.INTERNAL_ERROR);
      return false;
    }
    if (this.#heldHead !== null) this.commitHead(true);
    else this.#conn.sendData(this.streamId, EMPTY, true);
    this.#host.flushSoon();
    return false;
  }

  // -- The stream's lifetime --

  onClose(listener: () => void): () => void {
    if (this.#closed) {
      listener();
      return () => {};
    }
    this.#closeListeners.add(listener);
    return () => this.#closeListeners.delete(listener);
  }

  /**
   * The handler is done with the stream: a response left unfinished is ended (a complete one)
   * or reset (`INTERNAL_ERROR`: the client must not take it for whole), and the stream's slot is
   * freed.
   */
  close(): void {
    if (!this.#finished && !this.#closed) {
      this.finishResponse();
      if (!this.#finished) this.abort(ERROR_CODE.INTERNAL_ERROR);
    }
    this.#host.release(this);
  }

  /** Resets the stream (RST_STREAM, `CANCEL` unless told). */
  abort(code: number = ERROR_CODE.CANCEL): void {
    if (this.#closed) return;
    this.#conn.resetStream(this.streamId, code);
    this.#host.flushSoon();
    this.terminate();
  }

  // -- After a protocol switch: not on HTTP/2 streams --

  readonly switched = false;

  readRaw(): Promise<Uint8Array | null> {
    return Promise.resolve(null);
  }

  onStop(listener: () => void): void {
    void listener;
  }
}

/**
 * The handler's `request` for a stream (Python's `self.request`, a socket there): the
 * connection's addresses; writing goes to the stream's response body. Not a socket to `start`.
 */
export class H2StreamSocket implements Socket {
  constructor(
    readonly exchange: H2Exchange,
    readonly connection: Socket,
  ) {}

  get remoteAddress(): Address {
    return this.connection.remoteAddress;
  }

  get localAddress(): Address {
    return this.connection.localAddress;
  }

  start(events: SocketEvents): void {
    void events;
    throw new Error("an HTTP/2 stream's socket is read through its exchange");
  }

  write(chunk: Uint8Array, more?: Uint8Array): boolean {
    this.exchange.writeBodyNow(chunk);
    return more === undefined ? !this.exchange.draining : this.exchange.writeBodyNow(more);
  }

  get bufferedAmount(): number {
    return this.exchange.bufferedAmount;
  }

  pause(): void {}

  resume(): void {}

  end(): void {
    this.exchange.finishResponse();
  }

  destroy(): void {
    this.exchange.abort();
  }
}
