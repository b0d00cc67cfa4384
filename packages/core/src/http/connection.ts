/**
 * The server side of one HTTP/1.x connection as a sans-IO state machine, after python-hyper/h11:
 * feed it the bytes you receive and pull events; tell it what you send and write the bytes it
 * returns. No I/O, no timers, no promises.
 *
 * ## Theory of operation
 *
 * Each side of the connection has a state (h11's model; RFC 9112 §9):
 *
 * | | client ("their") | server ("our") |
 * | --- | --- | --- |
 * | waiting for a request | `IDLE` | `IDLE` |
 * | head received | `SEND_BODY` (reading its body) | `SEND_RESPONSE` |
 * | body received / response head sent | `DONE` | `SEND_BODY` |
 * | response ended | — | `DONE` (reusable) or `MUST_CLOSE` |
 * | client closed between requests | `CLOSED` | — |
 * | client broke the protocol | `ERROR` | `SEND_RESPONSE` (one error response) |
 * | 101 to an `Upgrade`, 2xx to `CONNECT` | `SWITCHED_PROTOCOL` | `SWITCHED_PROTOCOL` |
 *
 * Received bytes go into a {@link ReceiveBuffer}. While the client is `IDLE`, the
 * {@link HeadReader} takes the next head out of it; while it is `SEND_BODY`, the
 * {@link BodyReader} takes body bytes. Bytes after a request's body wait in the buffer
 * (pipelining) until both sides are `DONE` and {@link ServerConnection.startNextCycle} starts the
 * next cycle, so that requests are answered in order (RFC 9112 §9.3.2). The {@link Response}
 * tracks what was sent of the answer and whether it is delimited; a response that is not ends
 * the connection.
 *
 * A final `101 (Switching Protocols)` answer to a request that carries `Upgrade`, or a `2xx`
 * answer to `CONNECT`, ends HTTP on the connection (RFC 9110 §7.8, §9.3.6; h11's
 * `SWITCHED_PROTOCOL`): both sides become `SWITCHED_PROTOCOL`, {@link ServerConnection.trailingData}
 * hands over the bytes buffered after the request head (the first bytes of the new protocol, or
 * of a request body nobody read), and nothing more is parsed or framed. Any other final answer
 * declines an `Upgrade`, and HTTP goes on.
 *
 * Every state change happens in one of: `#beginRequest`, `#endOfBody`, `#fail`, `#clientClosed`,
 * `#responseStarted`, `#switchProtocol`, `endResponse`, `startNextCycle`.
 * @module
 */

import { BodyReader } from "./bodyreader.ts";
import { LocalProtocolError, ProtocolError, type RequestLineContext } from "./errors.ts";
import { CLOSED, type ConnectionEvent, type EndOfMessageEvent, PAUSED, type ProtocolErrorEvent, type RequestEvent } from "./events.ts";
import { HeadReader, lineContext } from "./headreader.ts";
import { ReceiveBuffer } from "./receivebuffer.ts";
import { Response, type ResponseHead } from "./response.ts";

/** State of one side of the connection (h11's model, RFC 9112 §9). */
export type SideState = "IDLE" | "SEND_RESPONSE" | "SEND_BODY" | "DONE" | "MUST_CLOSE" | "CLOSED" | "ERROR" | "SWITCHED_PROTOCOL";

/** Limits of a {@link ServerConnection}; every size in bytes. */
export interface ConnectionLimits {
  /**
   * Longest request line or field line, counting its line ending (default 65536, CPython's
   * `_MAXLINE`). Longer request lines get 414, longer field lines 431.
   */
  maxLineBytes?: number;
  /**
   * Most lines of the field section counting the empty line that ends it (default 100, CPython's
   * `_MAXHEADERS`: at most 99 fields). More get 431.
   */
  maxFieldLines?: number;
  /** Largest request head, request line included (default 1 MiB). Larger heads get 431. */
  maxHeadBytes?: number;
  /** Longest chunk-size line with its extensions (default 4096). Longer lines get 400. */
  maxChunkLineBytes?: number;
  /** Largest trailer section of a chunked body (default 65536). */
  maxTrailerBytes?: number;
}

/**
 * The server role of an HTTP/1.0–1.1 connection.
 *
 * Receiving: {@link receiveData} / {@link receiveEOF}, then {@link nextEvent} until it returns
 * `NEED_DATA` or `PAUSED`. Events come in the order request → data* → end; after
 * `end` the connection is paused until the response is finished and {@link startNextCycle} is
 * called.
 *
 * Sending: {@link sendHead} for each response head (interim 1xx ones included), {@link sendBody}
 * for body bytes, {@link endResponse} when done. {@link sendHead} returns the bytes to write;
 * body bytes are written as they are.
 */
export class ServerConnection {
  readonly #buffer = new ReceiveBuffer();
  readonly #heads: HeadReader;
  readonly #bodies: BodyReader;
  readonly #response = new Response();

  #their: SideState = "IDLE";
  #our: SideState = "IDLE";
  #request: RequestEvent | null = null;
  #error: ProtocolErrorEvent | null = null;

  constructor(limits: ConnectionLimits = {}) {
    const maxFieldLines = limits.maxFieldLines ?? 100;
    this.#heads = new HeadReader(this.#buffer, {
      maxLineBytes: limits.maxLineBytes ?? 65536,
      maxFieldLines,
      maxHeadBytes: limits.maxHeadBytes ?? 1 << 20,
    });
    this.#bodies = new BodyReader(this.#buffer, {
      maxLineBytes: limits.maxChunkLineBytes ?? 4096,
      maxTrailerBytes: limits.maxTrailerBytes ?? 65536,
      maxTrailerFields: maxFieldLines,
    });
  }

  /** The client's side: IDLE → SEND_BODY → DONE (→ MUST_CLOSE | CLOSED | ERROR). */
  get theirState(): SideState {
    return this.#their;
  }

  /** Our side: IDLE → SEND_RESPONSE → SEND_BODY → DONE (→ MUST_CLOSE | CLOSED | ERROR). */
  get ourState(): SideState {
    return this.#our;
  }

  /** Bytes received and not yet consumed by events (pipelined requests wait here). */
  get bufferedBytes(): number {
    return this.#buffer.length;
  }

  /**
   * True while part of a next request head has arrived and not all of it (or it is not read yet):
   * the client is sending a request, not idle.
   */
  get headStarted(): boolean {
    return this.#their === "IDLE" && (this.#buffer.length > 0 || this.#heads.pendingLine !== null);
  }

  /** The request line of a head still arriving, for an error that replaces the request. */
  get pendingLine(): RequestLineContext | undefined {
    const line = this.#their === "IDLE" ? this.#heads.pendingLine : null;
    return line === null ? undefined : lineContext(line);
  }

  /** The request being answered, or `null`. */
  get request(): RequestEvent | null {
    return this.#request;
  }

  /** True once EOF was received. */
  get eofReceived(): boolean {
    return this.#buffer.eof;
  }

  /**
   * Adds received bytes. The array is kept (not copied) until its bytes are consumed, so the
   * caller must not reuse it. Bytes arriving after the connection must close are discarded.
   */
  receiveData(data: Uint8Array): void {
    if (data.length === 0 || this.#buffer.eof) return;
    const their = this.#their;
    if (their === "MUST_CLOSE" || their === "CLOSED" || their === "ERROR" || their === "SWITCHED_PROTOCOL") return;
    this.#heads.received(this.#buffer.add(data));
  }

  /** Records that the client closed its sending side (EOF). */
  receiveEOF(): void {
    this.#buffer.eof = true;
  }

  /**
   * The next event, or `NEED_DATA` / `PAUSED`. After a {@link ProtocolErrorEvent} every call
   * returns the same error.
   */
  nextEvent(): ConnectionEvent {
    switch (this.#their) {
      case "IDLE": {
        const head = this.#heads.next();
        if (head === null) return this.#clientClosed();
        if (head instanceof ProtocolError) return this.#fail(head);
        return head.type === "request" ? this.#beginRequest(head) : head;
      }
      case "SEND_BODY": {
        const event = this.#bodies.next();
        if (event instanceof ProtocolError) return this.#fail(event);
        return event.type === "end" ? this.#endOfBody(event) : event;
      }
      case "ERROR":
        return this.#error!;
      case "CLOSED":
        return CLOSED;
      default:
        return PAUSED;
    }
  }

  /**
   * Records that the client broke off for a reason outside the bytes received (a time limit of
   * the caller's passed while waiting for a head or body): the client's side becomes ERROR,
   * buffered bytes are dropped, an error response may still be sent, and every later
   * {@link nextEvent} returns this error.
   */
  fail(error: ProtocolError): ProtocolErrorEvent {
    return this.#fail(error);
  }

  // -- Transitions of the client's side --

  #beginRequest(request: RequestEvent): RequestEvent {
    this.#request = request;
    this.#their = "SEND_BODY";
    this.#our = "SEND_RESPONSE";
    this.#bodies.start(request);
    this.#response.reset();
    return request;
  }

  #endOfBody(event: EndOfMessageEvent): EndOfMessageEvent {
    this.#their = "DONE";
    return event;
  }

  #fail(error: ProtocolError): ProtocolErrorEvent {
    this.#error = { type: "error", error };
    this.#their = "ERROR";
    if (this.#our === "IDLE") this.#our = "SEND_RESPONSE";
    this.#buffer.discard();
    return this.#error;
  }

  #clientClosed(): typeof CLOSED {
    this.#their = "CLOSED";
    return CLOSED;
  }

  /**
   * Starts the next request on a persistent connection; legal only when both sides are DONE.
   * Buffered (pipelined) bytes are kept.
   * @throws {LocalProtocolError} in any other state.
   */
  startNextCycle(): void {
    if (this.#their !== "DONE" || this.#our !== "DONE") {
      throw new LocalProtocolError(`not in a reusable state (their ${this.#their}, our ${this.#our})`);
    }
    this.#their = "IDLE";
    this.#our = "IDLE";
    this.#request = null;
    this.#heads.restart();
  }

  /**
   * True if the rest of the request body may be read and thrown away so that the connection can
   * be reused: the client is not waiting for a `100 Continue` that was never sent.
   */
  get canDrain(): boolean {
    const request = this.#request;
    return this.#their === "SEND_BODY" && request !== null && (!request.expectContinue || this.#response.continueSent);
  }

  // -- Our side --

  #responseStarted(): void {
    if (this.#response.started) this.#our = "SEND_BODY";
  }

  #checkSending(action: string): void {
    if (this.#our !== "SEND_RESPONSE" && this.#our !== "SEND_BODY") {
      throw new LocalProtocolError(`cannot ${action} in state ${this.#our}`);
    }
  }

  /**
   * Serializes a response head and records what it says about framing (see
   * {@link Response.head}). A complete `101` head to a request with `Upgrade`, or `2xx` head to
   * `CONNECT`, switches protocols (see {@link trailingData}).
   * @returns the bytes to write (ISO-8859-1).
   * @throws {LocalProtocolError} for an interim response to an HTTP/1.0 client, a `101` to a
   *   request without `Upgrade` (RFC 9110 §15.2.2), text that fails the status-line checks, a
   *   field-name that is not a token or a field-value with CR, LF or NUL (response splitting,
   *   RFC 9112 §11.1), or a response when no request is pending. Nothing is recorded when it
   *   throws.
   */
  sendHead(head: ResponseHead): Uint8Array {
    this.#checkSending("send a response head");
    const request = this.#request;
    const switching = head.complete && !this.#response.started && request !== null && switchesProtocol(head.status, request);
    const bytes = this.#response.head(head, request);
    this.#responseStarted();
    if (switching) this.#switchProtocol();
    return bytes;
  }

  #switchProtocol(): void {
    this.#our = "SWITCHED_PROTOCOL";
    this.#their = "SWITCHED_PROTOCOL";
  }

  /**
   * After a protocol switch, the bytes received after the request head that HTTP did not
   * consume, and whether the client had closed its side (h11's `trailing_data`). Taken once:
   * the buffer is empty afterwards. Empty before a switch.
   */
  get trailingData(): { data: Uint8Array; closed: boolean } {
    const buffer = this.#buffer;
    if (this.#our !== "SWITCHED_PROTOCOL") return { data: new Uint8Array(0), closed: buffer.eof };
    const data = buffer.bytes.subarray(buffer.pos, buffer.end);
    buffer.discard();
    return { data, closed: buffer.eof };
  }

  /**
   * Records body bytes about to be written for the current response. Bytes before any head,
   * beyond `Content-Length`, after the end of a chunked body, or for a response that has no body
   * (HEAD, 204, 304) make the connection close after this response.
   * @throws {LocalProtocolError} when no response is under way.
   */
  sendBody(data: Uint8Array): void {
    this.#checkSending("send body bytes");
    this.#response.body(data);
    this.#responseStarted();
  }

  /**
   * True while the response written so far is correctly delimited and complete, so that the
   * connection could carry another response.
   */
  get responseComplete(): boolean {
    return this.#response.complete;
  }

  /**
   * Ends the current response. Our side becomes DONE when `keepAlive` holds and the response was
   * delimited and complete, MUST_CLOSE otherwise (the client's side follows once its request has
   * been read). Returns whether the connection may be reused.
   * @throws {LocalProtocolError} when no response is under way.
   */
  endResponse(keepAlive: boolean): boolean {
    this.#checkSending("end a response");
    const request = this.#request;
    if (keepAlive && this.#response.complete && this.#their !== "ERROR" && request !== null && !request.simple) {
      this.#our = "DONE";
      return true;
    }
    this.#our = "MUST_CLOSE";
    if (this.#their === "DONE" || this.#their === "IDLE" || this.#their === "SEND_BODY") this.#their = "MUST_CLOSE";
    this.#buffer.discard();
    return false;
  }
}

/**
 * Whether a final response with `status` to `request` switches protocols: `101` when the request
 * carries `Upgrade` (RFC 9110 §7.8), any `2xx` to `CONNECT` (§9.3.6).
 * @throws {LocalProtocolError} for a `101` to a request without `Upgrade`.
 */
function switchesProtocol(status: number | undefined, request: RequestEvent): boolean {
  if (status === 101) {
    let upgrade = false;
    const fields = request.fields;
    for (let i = 0; i < fields.length && !upgrade; i += 2) upgrade = fields[i].length === 7 && fields[i].toLowerCase() === "upgrade";
    const http11 = request.major > 1 || (request.major === 1 && request.minor >= 1);
    // An HTTP/1.0 request is refused by the interim-response check (RFC 9110 §7.8: its Upgrade is ignored).
    if (!upgrade && http11) throw new LocalProtocolError("101 (Switching Protocols) answers only a request that carries Upgrade");
    return upgrade;
  }
  return request.method === "CONNECT" && status !== undefined && status >= 200 && status < 300;
}
