/**
 * The server side of one HTTP/1.x connection as a sans-IO state machine, after python-hyper/h11:
 * feed it the bytes you receive and pull events; tell it what you send and write the bytes it
 * returns. No I/O, no timers, no promises.
 * @module
 */

import { PY_WHITESPACE, TCHAR, allocBytes, latin1Write, utf8DecodeRange } from "./chars.js";
import { ChunkedDecoder } from "./chunked.js";
import { LocalProtocolError, ProtocolError } from "./errors.js";
import {
  type BodyKind,
  type RequestFraming,
  type ResponseFramingKind,
  expectsContinue,
  requestFraming,
  responseFraming,
} from "./framing.js";
import { type FieldSummary, type RequestLine, parseFieldLines, parseRequestLine } from "./head.js";
import { pyRepr } from "./pyformat.js";
import { checkFieldName, checkFieldValue, checkStatusLineText } from "./serialize.js";

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HT = 0x09;
const COLON = 0x3a;

/** A complete request head was received (RFC 9112 §3, §5). */
export interface RequestEvent {
  readonly type: "request";
  /** Method token as sent, case-sensitive. */
  readonly method: string;
  /** Request-target as sent. */
  readonly target: string;
  /** HTTP-version as sent (`"HTTP/1.1"`, `"HTTP/01.1"`; `"HTTP/0.9"` for a two-word request). */
  readonly version: string;
  /** Numeric version: `[major, minor]`. */
  readonly major: number;
  readonly minor: number;
  /** The request line, ISO-8859-1-decoded, without its line ending. */
  readonly requestline: string;
  /** Field lines, flat `[name, value, …]`, names as sent. */
  readonly fields: string[];
  /** How the body is framed. */
  readonly bodyKind: BodyKind;
  /** Body size in bytes for `bodyKind === "length"`, else 0. */
  readonly contentLength: number;
  /** `Connection` values joined with `,`, or `null` (input to {@link requestKeepAlive}). */
  readonly connection: string | null;
  /** The client waits for `100 Continue` before sending the body (RFC 9110 §10.1.1). */
  readonly expectContinue: boolean;
  /** CPython's two-word HTTP/0.9 request: no fields were read and the answer has no head. */
  readonly simple: boolean;
}

/**
 * Body bytes of the current request, de-chunked. `data` is a view into received bytes and this
 * event object is reused: both are valid until the next call of `nextEvent`.
 */
export interface DataEvent {
  readonly type: "data";
  data: Uint8Array;
}

/** The request body ended; `trailers` holds the trailer fields of a chunked body (flat pairs). */
export interface EndOfMessageEvent {
  readonly type: "end";
  readonly trailers: readonly string[];
}

/** The client closed its side (EOF) between requests. */
export interface ConnectionClosedEvent {
  readonly type: "closed";
}

/** The client broke the protocol; the connection is unusable (see {@link ProtocolError}). */
export interface ProtocolErrorEvent {
  readonly type: "error";
  readonly error: ProtocolError;
}

/** More bytes are needed before anything else can happen. */
export const NEED_DATA = Object.freeze({ type: "need-data" as const });
/** The request was fully received; finish the response and call `startNextCycle()`. */
export const PAUSED = Object.freeze({ type: "paused" as const });

/** What {@link ServerConnection.nextEvent} returns. */
export type ConnectionEvent =
  | RequestEvent
  | DataEvent
  | EndOfMessageEvent
  | ConnectionClosedEvent
  | ProtocolErrorEvent
  | typeof NEED_DATA
  | typeof PAUSED;

/** State of one side of the connection (h11's model, RFC 9112 §9). */
export type SideState = "IDLE" | "SEND_RESPONSE" | "SEND_BODY" | "DONE" | "MUST_CLOSE" | "CLOSED" | "ERROR";

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

/** Description of a response head for {@link ServerConnection.sendHead}. */
export interface ResponseHead {
  /** Protocol version for the status line, inserted verbatim (the handler's `protocolVersion`). */
  version: string;
  /** Status code, or `undefined` when the head holds only field lines (no status line). */
  status?: number;
  /** Reason phrase (may be empty). */
  reason?: string;
  /**
   * Field lines, flat `[name, value, …]`. Each name must be a token and each value free of CR, LF
   * and NUL, ISO-8859-1 text (`checkFieldName`/`checkFieldValue`; `sendHead` checks them again).
   */
  fields: readonly string[];
  /** The head ends here (the empty line is added); `false` leaves it open (CGI-style). */
  complete: boolean;
  /**
   * The handler still intends to keep the connection open. When the response then turns out to be
   * delimited by closing, `Connection: close` is added so that the client does not wait.
   */
  keepAlive: boolean;
}

const READ_LINE = 0;
const READ_FIELDS = 1;
const READ_LENGTH = 2;
const READ_CHUNKED = 3;
const READ_DONE = 4;

const EMPTY = new Uint8Array(0);
/** What requestFraming returns for a request without Content-Length and Transfer-Encoding. */
const NO_BODY: RequestFraming = Object.freeze({ kind: "none", length: 0 }) as RequestFraming;

/** Lower-case names of the fields the fast head path must notice, as bytes. */
const lowerBytes = (name: string) => Uint8Array.from(name, (c) => c.charCodeAt(0));
const CONTENT_LENGTH = lowerBytes("content-length");
const TRANSFER_ENCODING = lowerBytes("transfer-encoding");
const CONNECTION = lowerBytes("connection");
const EXPECT = lowerBytes("expect");

/**
 * True if the `lower.length` bytes at `at` spell `lower` ignoring case. The bytes must be tchars:
 * among those, OR-ing 0x20 changes only A–Z (and `^` to `~`, which no name here contains).
 */
function nameIs(buf: Uint8Array, at: number, lower: Uint8Array): boolean {
  for (let k = 0; k < lower.length; k++) if ((buf[at + k] | 0x20) !== lower[k]) return false;
  return true;
}

/**
 * How many leading characters of `s`, the UTF-8 decoding of `buf[pos, pos + n)`, stand for one
 * byte each (so that index `i` of `s` is byte `pos + i`), or -1 when that cannot be shown cheaply.
 *
 * All `n` when `s` has `n` characters and no U+FFFD: every byte >= 0x80 either becomes U+FFFD or
 * joins a multi-byte sequence that shortens the string. Otherwise (body bytes after the head, say)
 * the prefix up to and including the first CR LF CR LF of `s` at index `e`, provided no U+FFFD
 * precedes it and the bytes at `pos + e` are CR LF CR LF too: a byte >= 0x80 before them would
 * shift them to a lower index of `s` (ASCII bytes always decode as themselves and the shift never
 * shrinks), where they would form an earlier CR LF CR LF.
 */
function asciiPrefix(s: string, n: number, buf: Uint8Array, pos: number): number {
  const bad = s.indexOf("\ufffd");
  if (bad < 0 && s.length === n) return n;
  const e = s.indexOf("\r\n\r\n");
  if (e < 0 || (bad >= 0 && bad < e)) return -1;
  const b = pos + e;
  if (buf[b] !== CR || buf[b + 1] !== LF || buf[b + 2] !== CR || buf[b + 3] !== LF) return -1;
  return e + 4;
}

/** The method as a shared string for the common ones, else a slice of the decoded line. */
function methodName(buf: Uint8Array, at: number, n: number, s: string, o: number): string {
  const c = buf[at];
  if (n === 3) {
    if (c === 0x47 && buf[at + 1] === 0x45 && buf[at + 2] === 0x54) return "GET";
    if (c === 0x50 && buf[at + 1] === 0x55 && buf[at + 2] === 0x54) return "PUT";
  } else if (n === 4) {
    if (c === 0x50 && buf[at + 1] === 0x4f && buf[at + 2] === 0x53 && buf[at + 3] === 0x54) return "POST";
    if (c === 0x48 && buf[at + 1] === 0x45 && buf[at + 2] === 0x41 && buf[at + 3] === 0x44) return "HEAD";
  }
  return s.slice(o, o + n);
}

/** Bytes decoded at once for the heads that follow a head in the same buffer (pipelining). */
const PIPELINE_WINDOW = 8192;
/**
 * The error for a request line whose first byte is a control character other than Python's
 * white space: no method can start there (RFC 9112 §3.1: method = token), so the line is rejected
 * at once, without waiting for its end — which, for a TLS ClientHello sent to a plain HTTP port,
 * may never come (h11's early garbage detection, parser-notes §1.3). Decided by that byte alone,
 * so the outcome does not depend on how much of the line has arrived.
 */
function notARequest(first: number): ProtocolError {
  const requestline = String.fromCharCode(first);
  return new ProtocolError(
    400,
    "REQUEST_LINE_CTL",
    `Bad request syntax (${pyRepr(requestline)})`,
    first === 0x16
      ? "The request starts with a TLS handshake: HTTPS was sent to a plain HTTP port."
      : "The request line starts with a control character (RFC 9112 §3).",
    requestline,
    "",
  );
}

const NO_TRAILERS: EndOfMessageEvent = Object.freeze({ type: "end", trailers: Object.freeze([]) as readonly string[] });
const CLOSED_EVENT: ConnectionClosedEvent = Object.freeze({ type: "closed" });

/**
 * The server role of an HTTP/1.0–1.1 connection.
 *
 * Receiving: {@link receiveData} / {@link receiveEOF}, then {@link nextEvent} until it returns
 * {@link NEED_DATA} or {@link PAUSED}. Events come in the order request → data* → end; after
 * `end` the connection is paused until the response is finished and {@link startNextCycle} is
 * called, so pipelined requests are answered in order (RFC 9112 §9.3.2) and their bytes wait in
 * the buffer.
 *
 * Sending: {@link sendHead} for each response head (interim 1xx ones included), {@link sendBody}
 * for body bytes, {@link endResponse} when done. These return the bytes to write and track how the
 * response is framed; a response that cannot be delimited (no `Content-Length`, unfinished
 * chunked coding, bytes beyond the length, a raw head) ends the connection.
 */
export class ServerConnection {
  readonly #maxLine: number;
  readonly #maxFieldLines: number;
  readonly #maxHead: number;
  readonly #chunkLimits: { maxLineBytes: number; maxTrailerBytes: number; maxTrailerFields: number };

  #buf: Uint8Array = EMPTY;
  #pos = 0;
  #end = 0;
  #owned = false;
  #eof = false;

  #read = READ_LINE;
  #scan = 0;
  #lineStart = 0;
  #fieldsStart = 0;
  #headStart = 0;
  #fieldLines = 0;
  #line: RequestLine | null = null;
  /** Bytes the fast head path decodes first: the size of this connection's previous head. */
  #guess = 1024;
  /**
   * Text the fast head path decoded: character `i` is byte `#textAt + i` of `#buf` for every
   * `i` below `#textLimit`. Dropped whenever bytes are received.
   */
  #text = "";
  #textAt = 0;
  #textLimit = 0;
  /** Index of a NUL in `#text` (none before it from where it was searched), or -1. */
  #textNul = -1;
  /** The previous head had no body and bytes followed it: decode more than one head at once. */
  #pipelined = false;
  /** Largest head the fast path takes on: beyond it a line or head limit might apply. */
  readonly #fastCap: number;

  #remaining = 0;
  #chunked: ChunkedDecoder | null = null;
  #error: ProtocolErrorEvent | null = null;
  readonly #data: DataEvent = { type: "data", data: EMPTY };

  #their: SideState = "IDLE";
  #our: SideState = "IDLE";

  #request: RequestEvent | null = null;
  #continueSent = false;
  #resKind: ResponseFramingKind | "pending" | "raw" = "pending";
  #resRemaining = 0;
  #resObserver: ChunkedDecoder | null = null;
  #resBroken = false;

  constructor(limits: ConnectionLimits = {}) {
    this.#maxLine = limits.maxLineBytes ?? 65536;
    this.#maxFieldLines = limits.maxFieldLines ?? 100;
    this.#maxHead = limits.maxHeadBytes ?? 1 << 20;
    this.#fastCap = Math.min(this.#maxLine, this.#maxHead);
    this.#chunkLimits = {
      maxLineBytes: limits.maxChunkLineBytes ?? 4096,
      maxTrailerBytes: limits.maxTrailerBytes ?? 65536,
      maxTrailerFields: this.#maxFieldLines,
    };
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
    return this.#end - this.#pos;
  }

  /** The request being answered, or `null`. */
  get request(): RequestEvent | null {
    return this.#request;
  }

  /** True once EOF was received. */
  get eofReceived(): boolean {
    return this.#eof;
  }

  /**
   * Adds received bytes. The array is kept (not copied) until its bytes are consumed, so the
   * caller must not reuse it. Bytes arriving after the connection must close are discarded.
   */
  receiveData(data: Uint8Array): void {
    const n = data.length;
    if (n === 0) return;
    if (this.#their === "MUST_CLOSE" || this.#their === "CLOSED" || this.#their === "ERROR" || this.#eof) return;
    this.#text = "";
    this.#textLimit = 0;
    this.#pipelined = false;
    if (this.#pos >= this.#end) {
      this.#rebase(this.#pos);
      this.#buf = data;
      this.#pos = 0;
      this.#end = n;
      this.#owned = false;
      return;
    }
    if (this.#owned && this.#buf.length - this.#end >= n) {
      this.#buf.set(data, this.#end);
      this.#end += n;
      return;
    }
    const kept = this.#end - this.#pos;
    const grown = new Uint8Array(Math.max(kept + n, kept * 2, 4096));
    grown.set(this.#buf.subarray(this.#pos, this.#end));
    grown.set(data, kept);
    this.#rebase(this.#pos);
    this.#buf = grown;
    this.#pos = 0;
    this.#end = kept + n;
    this.#owned = true;
  }

  /** Shifts the head parser's offsets when the unconsumed bytes move to the start of a buffer. */
  #rebase(offset: number): void {
    this.#scan -= offset;
    this.#lineStart -= offset;
    this.#fieldsStart -= offset;
    this.#headStart -= offset;
  }

  /** Records that the client closed its sending side (EOF). */
  receiveEOF(): void {
    this.#eof = true;
  }

  /**
   * The next event, or {@link NEED_DATA} / {@link PAUSED}. After a {@link ProtocolErrorEvent}
   * every call returns the same error.
   */
  nextEvent(): ConnectionEvent {
    switch (this.#read) {
      case READ_LINE:
      case READ_FIELDS:
        if (this.#their === "ERROR") return this.#error!;
        if (this.#their === "CLOSED") return CLOSED_EVENT;
        if (this.#their !== "IDLE") return PAUSED;
        return this.#readHead();
      case READ_LENGTH:
        return this.#readLength();
      case READ_CHUNKED:
        return this.#readChunked();
      default:
        if (this.#their === "ERROR") return this.#error!;
        return this.#their === "CLOSED" ? CLOSED_EVENT : PAUSED;
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

  #fail(error: ProtocolError): ProtocolErrorEvent {
    this.#error = { type: "error", error };
    this.#their = "ERROR";
    this.#read = READ_DONE;
    if (this.#our === "IDLE") this.#our = "SEND_RESPONSE";
    this.#pos = this.#end;
    return this.#error;
  }

  #readHead(): ConnectionEvent {
    const buf = this.#buf;
    const end = this.#end;
    // A head that starts in a fresh buffer region (nothing scanned yet) is first tried whole.
    if (this.#read === READ_LINE && this.#scan <= this.#pos && end > this.#pos) {
      const request = this.#fastHead();
      if (request !== null) return request;
    }
    if (this.#read === READ_LINE) {
      const start = this.#pos;
      if (start < end && this.#scan <= start) {
        const first = buf[start];
        if ((first < 0x20 && PY_WHITESPACE[first] === 0) || first === 0x7f) return this.#fail(notARequest(first));
      }
      if (this.#scan < start) this.#scan = start;
      // Searches stop at `end`: a grown buffer has spare room after it, and scanning that on
      // every call would make a head that arrives in small pieces cost quadratic time.
      const bytes = end < buf.length ? buf.subarray(0, end) : buf;
      let lf = this.#scan < end ? bytes.indexOf(LF, this.#scan) : -1;
      if (lf < 0) {
        // More than maxLine bytes without LF can only end as a line that is too long; exactly
        // maxLine bytes may still be a whole line at EOF (CPython's readline(65537)).
        if (end - start > this.#maxLine) return this.#fail(new ProtocolError(414, "LINE_TOO_LONG", "URI Too Long", undefined, "", ""));
        if (!this.#eof) {
          this.#scan = end;
          return NEED_DATA;
        }
        if (end === start) {
          this.#their = "CLOSED";
          return CLOSED_EVENT;
        }
        lf = end; // CPython reads a last line without LF at EOF
      } else if (lf + 1 - start > this.#maxLine) {
        return this.#fail(new ProtocolError(414, "LINE_TOO_LONG", "URI Too Long", undefined, "", ""));
      }
      const line = parseRequestLine(buf, start, lf);
      if (line === null) {
        return this.#fail(new ProtocolError(0, "EMPTY_REQUEST_LINE", "Empty request line"));
      }
      if (line instanceof ProtocolError) return this.#fail(line);
      this.#line = line;
      this.#headStart = start;
      this.#pos = Math.min(lf + 1, end);
      if (line.simple) {
        return this.#emitRequest(line.method, line.target, line.version, line.major, line.minor, line.requestline, true, [], "none", 0, null, null);
      }
      this.#read = READ_FIELDS;
      this.#fieldsStart = this.#lineStart = this.#scan = this.#pos;
      this.#fieldLines = 0;
    }
    return this.#readFields();
  }

  #readFields(): ConnectionEvent {
    const buf = this.#buf;
    const end = this.#end;
    const bytes = end < buf.length ? buf.subarray(0, end) : buf; // see #readHead
    const line = this.#line!;
    let lineStart = this.#lineStart;
    let scan = this.#scan;
    for (;;) {
      const lf = scan < end ? bytes.indexOf(LF, scan) : -1;
      if (lf < 0) {
        // The partial line is bounded by maxLine; the head size is checked when a line ends, in
        // the same order whether the bytes came at once or one by one (split invariance).
        if (end - lineStart > this.#maxLine) return this.#fail(this.#lineTooLong(line));
        if (this.#eof) return this.#fieldsAtEOF(lineStart);
        this.#lineStart = lineStart;
        this.#scan = end;
        return NEED_DATA;
      }
      if (lf + 1 - lineStart > this.#maxLine) return this.#fail(this.#lineTooLong(line));
      if (lf === lineStart || (lf === lineStart + 1 && buf[lineStart] === CR)) {
        return this.#finishHead(buf, this.#fieldsStart, lineStart, lf + 1);
      }
      if (++this.#fieldLines >= this.#maxFieldLines) return this.#fail(this.#tooManyFields(line));
      if (lf + 1 - this.#headStart > this.#maxHead) return this.#fail(this.#headTooLarge(line));
      lineStart = scan = lf + 1;
    }
  }

  /**
   * EOF inside the field section: CPython takes a last line without LF, then ends the head. That
   * line is checked like one ended by LF: a lone CR is the empty line, anything else counts
   * toward the field-line and head-size limits.
   */
  #fieldsAtEOF(lineStart: number): ConnectionEvent {
    const start = this.#fieldsStart;
    const end = this.#end;
    if (lineStart === end) return this.#finishHead(this.#buf, start, end, end);
    if (end - lineStart === 1 && this.#buf[lineStart] === CR) return this.#finishHead(this.#buf, start, lineStart, end);
    const line = this.#line!;
    if (++this.#fieldLines >= this.#maxFieldLines) return this.#fail(this.#tooManyFields(line));
    if (end - this.#headStart > this.#maxHead) return this.#fail(this.#headTooLarge(line));
    const copy = new Uint8Array(end - start + 1);
    copy.set(this.#buf.subarray(start, end));
    copy[copy.length - 1] = LF;
    return this.#finishHead(copy, 0, copy.length, end);
  }

  #lineTooLong(line: RequestLine): ProtocolError {
    return new ProtocolError(
      431,
      "FIELD_LINE_TOO_LONG",
      "Line too long",
      `got more than ${this.#maxLine} bytes when reading header line`,
      line.requestline,
      line.version,
    );
  }

  #tooManyFields(line: RequestLine): ProtocolError {
    return new ProtocolError(
      431,
      "TOO_MANY_FIELDS",
      "Too many headers",
      `got more than ${this.#maxFieldLines} headers`,
      line.requestline,
      line.version,
    );
  }

  #headTooLarge(line: RequestLine): ProtocolError {
    return new ProtocolError(
      431,
      "HEAD_TOO_LARGE",
      "Request header fields too large",
      `got more than ${this.#maxHead} bytes when reading the request head`,
      line.requestline,
      line.version,
    );
  }

  /**
   * Parses the field lines in `buf[start, end)` and emits the request; the body starts at
   * `consumed` in the connection's buffer.
   */
  #finishHead(buf: Uint8Array, start: number, end: number, consumed: number): ConnectionEvent {
    const line = this.#line!;
    const summary = parseFieldLines(buf, start, end, line.requestline, line.version);
    if (summary instanceof ProtocolError) return this.#fail(summary);
    const framing = requestFraming(summary, line.major, line.minor, line.requestline, line.version, line.method);
    if (framing instanceof ProtocolError) return this.#fail(framing);
    this.#pos = consumed;
    return this.#emitRequest(
      line.method,
      line.target,
      line.version,
      line.major,
      line.minor,
      line.requestline,
      line.simple,
      summary.fields,
      framing.kind,
      framing.length,
      summary.connection,
      summary.expect,
    );
  }

  /**
   * The common case in one pass: a whole head in the buffer, decoded once (UTF-8, ASCII checked)
   * and cut into strings. It takes only what it can check completely: the request line
   * `method SP target SP HTTP/1.0|1.1` without other white space or control characters, field
   * lines `token ":" value` without NUL or a bare CR, within every limit, ASCII only, and framing
   * fields that `requestFraming` accepts. Anything else returns `null` and the general path
   * (parseRequestLine, parseFieldLines) takes over from the same state, so events and errors
   * are the same whichever path runs.
   */
  #fastHead(): RequestEvent | null {
    const buf = this.#buf;
    const pos = this.#pos;
    // Text decoded for an earlier head of this buffer may already cover this one (pipelining).
    const text = this.#text;
    if (text.length !== 0) {
      const o = pos - this.#textAt;
      if (o >= 0 && o < this.#textLimit) {
        const request = this.#parseHeadFast(text, o, this.#textLimit, buf, this.#textAt);
        if (request !== undefined) return request;
      }
    }
    const avail = this.#end - pos;
    const most = avail < this.#fastCap ? avail : this.#fastCap;
    // Decode about as much as the previous head took (not the body after it), doubling if short;
    // after a head that other bytes followed without a body, the next few heads at once.
    let n = this.#pipelined ? PIPELINE_WINDOW : this.#guess;
    if (n > avail) n = avail;
    for (;;) {
      const s = utf8DecodeRange(buf, pos, pos + n);
      const limit = asciiPrefix(s, n, buf, pos);
      if (limit < 0) return null;
      this.#text = s;
      this.#textAt = pos;
      this.#textLimit = limit;
      this.#textNul = -1;
      const request = this.#parseHeadFast(s, 0, limit, buf, pos);
      if (request !== undefined) return request;
      if (n >= most || limit < n) return null;
      n = n * 2 < most ? n * 2 : most;
    }
  }

  /**
   * {@link #fastHead} on the decoded text `s`, whose character `i` is byte `d + i` of `buf` for
   * every `i` below `limit`; the head starts at character `o`. Returns the request, `null` to
   * leave the head to the general path, or `undefined` when the head does not end within `limit`.
   */
  #parseHeadFast(s: string, o: number, limit: number, buf: Uint8Array, d: number): RequestEvent | null | undefined {
    const lf0 = s.indexOf("\n", o);
    if (lf0 < 0 || lf0 >= limit) return undefined;
    if (lf0 === o) return null;
    const lineEnd = buf[d + lf0 - 1] === CR ? lf0 - 1 : lf0;
    let sp1 = -1;
    let sp2 = -1;
    for (let i = o; i < lineEnd; i++) {
      const c = buf[d + i];
      if (c - 0x21 >>> 0 > 0x7e - 0x21) {
        // SP, another control character or white space, or DEL (the bytes are ASCII here)
        if (c !== SP || sp2 >= 0) return null;
        if (sp1 < 0) sp1 = i;
        else sp2 = i;
      }
    }
    // Three words, the last exactly HTTP/1.0 or HTTP/1.1.
    if (sp1 <= o || sp2 <= sp1 + 1 || lineEnd - sp2 !== 9) return null;
    const v = d + sp2 + 1;
    if (buf[v] !== 0x48 || buf[v + 1] !== 0x54 || buf[v + 2] !== 0x54 || buf[v + 3] !== 0x50) return null;
    if (buf[v + 4] !== 0x2f || buf[v + 5] !== 0x31 || buf[v + 6] !== 0x2e) return null;
    const m = buf[v + 7];
    if (m !== 0x31 && m !== 0x30) return null;
    const minor = m === 0x31 ? 1 : 0;
    const version = minor === 1 ? "HTTP/1.1" : "HTTP/1.0";

    const fields: string[] = [];
    let contentLengthCount = 0;
    let contentLength = "";
    let transferEncoding: string | null = null;
    let connection: string | null = null;
    let expect: string | null = null;
    const maxFields = this.#maxFieldLines;
    let count = 0;
    let ls = lf0 + 1;
    let cr = -1; // the first CR at or after the current line, once looked up
    let headEnd: number;
    for (;;) {
      const lf = s.indexOf("\n", ls);
      if (lf < 0 || lf >= limit) return undefined;
      const first = buf[d + ls];
      if (lf === ls || (lf === ls + 1 && first === CR)) {
        headEnd = lf + 1;
        break;
      }
      if (cr < ls) {
        cr = s.indexOf("\r", ls);
        if (cr < 0) cr = s.length;
      }
      let lineEnd = lf;
      if (cr < lf) {
        if (cr !== lf - 1) return null; // a CR inside the line
        lineEnd = cr;
      }
      if (++count >= maxFields) return null;
      const nameStart = d + ls;
      // Stops at the colon, or at the latest at the CR or LF that ends the line.
      let i = nameStart;
      while (TCHAR[buf[i]] === 1) i++;
      if (i === nameStart || buf[i] !== COLON) return null;
      const colon = i - d;
      let vs = colon + 1;
      while (vs < lineEnd && (buf[d + vs] === SP || buf[d + vs] === HT)) vs++;
      let ve = lineEnd;
      while (ve > vs && (buf[d + ve - 1] === SP || buf[d + ve - 1] === HT)) ve--;
      const value = s.slice(vs, ve);
      fields.push(s.slice(ls, colon), value);
      switch (colon - ls) {
        case 14:
          if ((first | 0x20) === 0x63 && nameIs(buf, nameStart, CONTENT_LENGTH)) {
            contentLengthCount++;
            contentLength = value;
          }
          break;
        case 17:
          if ((first | 0x20) === 0x74 && nameIs(buf, nameStart, TRANSFER_ENCODING)) {
            transferEncoding = transferEncoding === null ? value : transferEncoding + "," + value;
          }
          break;
        case 10:
          if ((first | 0x20) === 0x63 && nameIs(buf, nameStart, CONNECTION)) {
            connection = connection === null ? value : connection + "," + value;
          }
          break;
        case 6:
          if ((first | 0x20) === 0x65 && nameIs(buf, nameStart, EXPECT)) {
            expect = expect === null ? value : expect + "," + value;
          }
          break;
      }
      ls = lf + 1;
    }
    // Longer heads could meet a line or head limit: the general path decides those.
    if (headEnd - o > this.#fastCap) return null;
    // The first NUL of the text at or after this head (each text is searched about once).
    let nul = this.#textNul;
    if (nul < lf0) {
      nul = s.indexOf("\0", lf0);
      if (nul < 0) nul = s.length;
      if (s === this.#text) this.#textNul = nul;
    }
    if (nul < headEnd) return null;

    const method = methodName(buf, d + o, sp1 - o, s, o);
    const requestline = s.slice(o, lineEnd);
    let framing: RequestFraming | ProtocolError = NO_BODY;
    if (transferEncoding !== null || contentLengthCount !== 0) {
      const summary: FieldSummary = { fields, contentLengthCount, contentLength, transferEncoding, connection, expect };
      framing = requestFraming(summary, 1, minor, requestline, version, method);
      if (framing instanceof ProtocolError) return null;
    }
    this.#pos = d + headEnd;
    this.#guess = headEnd - o;
    this.#pipelined = framing.kind === "none" && this.#pos < this.#end;
    return this.#emitRequest(
      method,
      s.slice(sp1 + 1, sp2),
      version,
      1,
      minor,
      requestline,
      false,
      fields,
      framing.kind,
      framing.length,
      connection,
      expect,
    );
  }

  #emitRequest(
    method: string,
    target: string,
    version: string,
    major: number,
    minor: number,
    requestline: string,
    simple: boolean,
    fields: string[],
    bodyKind: BodyKind,
    length: number,
    connection: string | null,
    expect: string | null,
  ): RequestEvent {
    const request: RequestEvent = {
      type: "request",
      method,
      target,
      version,
      major,
      minor,
      requestline,
      fields,
      bodyKind,
      contentLength: length,
      connection,
      expectContinue: expect !== null && expectsContinue(major, minor, expect, { kind: bodyKind, length }),
      simple,
    };
    this.#request = request;
    this.#their = "SEND_BODY";
    this.#our = "SEND_RESPONSE";
    this.#continueSent = false;
    this.#resKind = "pending";
    this.#resBroken = false;
    this.#resObserver = null;
    if (bodyKind === "length") {
      this.#read = READ_LENGTH;
      this.#remaining = length;
    } else if (bodyKind === "chunked") {
      this.#read = READ_CHUNKED;
      this.#chunked = new ChunkedDecoder(this.#chunkLimits);
    } else {
      this.#read = READ_LENGTH;
      this.#remaining = 0;
    }
    this.#line = null;
    return request;
  }

  #endOfBody(event: EndOfMessageEvent): EndOfMessageEvent {
    this.#read = READ_DONE;
    this.#their = "DONE";
    this.#chunked = null;
    return event;
  }

  #readLength(): ConnectionEvent {
    if (this.#remaining === 0) return this.#endOfBody(NO_TRAILERS);
    const available = this.#end - this.#pos;
    if (available === 0) {
      if (this.#eof) return this.#incomplete();
      return NEED_DATA;
    }
    const n = available < this.#remaining ? available : this.#remaining;
    this.#data.data = this.#buf.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    this.#remaining -= n;
    return this.#data;
  }

  #incomplete(): ProtocolErrorEvent {
    const request = this.#request!;
    return this.#fail(
      new ProtocolError(
        400,
        "INCOMPLETE_BODY",
        "Incomplete request body",
        "The client closed the connection before the end of the message body (RFC 9112 §8).",
        request.requestline,
        request.version,
        request.method,
      ),
    );
  }

  #readChunked(): ConnectionEvent {
    const decoder = this.#chunked!;
    if (decoder.dataRemaining > 0) {
      const available = this.#end - this.#pos;
      if (available === 0) return this.#eof ? this.#incomplete() : NEED_DATA;
      const n = available < decoder.dataRemaining ? available : decoder.dataRemaining;
      this.#data.data = this.#buf.subarray(this.#pos, this.#pos + n);
      this.#pos += n;
      decoder.skipData(n);
      return this.#data;
    }
    const next = decoder.decode(this.#buf, this.#pos, this.#end);
    if (next < 0) {
      const request = this.#request!;
      return this.#fail(
        new ProtocolError(
          decoder.tooLarge ? 431 : 400,
          "BAD_CHUNKED",
          "Bad chunked encoding",
          `Invalid chunked transfer coding: ${decoder.error} (RFC 9112 §7.1).`,
          request.requestline,
          request.version,
          request.method,
        ),
      );
    }
    this.#pos = next;
    if (decoder.done) {
      const raw = decoder.trailerBytes;
      if (raw.length === 0) return this.#endOfBody(NO_TRAILERS);
      const request = this.#request!;
      const trailers = parseFieldLines(raw, 0, raw.length, request.requestline, request.version);
      if (trailers instanceof ProtocolError) return this.#fail(trailers);
      return this.#endOfBody({ type: "end", trailers: trailers.fields });
    }
    if (decoder.dataRemaining > 0) return this.#readChunked();
    return this.#eof ? this.#incomplete() : NEED_DATA;
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
    this.#read = READ_LINE;
    this.#request = null;
    this.#scan = this.#pos;
  }

  /**
   * True if the rest of the request body may be read and thrown away so that the connection can
   * be reused: the client is not waiting for a `100 Continue` that was never sent.
   */
  get canDrain(): boolean {
    const request = this.#request;
    return this.#their === "SEND_BODY" && request !== null && (!request.expectContinue || this.#continueSent);
  }

  /**
   * Serializes a response head and records what it says about framing: status, `Content-Length`,
   * `Transfer-Encoding`. A head with status 100–199 is interim (for HTTP/1.1 clients only). A head
   * without a status line, an unfinished head, or a second final head makes the rest of the
   * response raw bytes, delimited by closing.
   *
   * @returns the bytes to write (ISO-8859-1).
   * @throws {LocalProtocolError} for an interim response to an HTTP/1.0 client (RFC 9110 §15.2),
   *   text that fails the status-line checks, a field-name that is not a token or a field-value
   *   with CR, LF or NUL (response splitting, RFC 9112 §11.1), or a response when no request is
   *   pending. Nothing is recorded when it throws.
   */
  sendHead(head: ResponseHead): Uint8Array {
    if (this.#our !== "SEND_RESPONSE" && this.#our !== "SEND_BODY") {
      throw new LocalProtocolError(`cannot send a response head in state ${this.#our}`);
    }
    const request = this.#request;
    const status = head.status;
    const reason = head.reason ?? "";
    if (status !== undefined) {
      checkStatusLineText("protocol version", head.version);
      checkStatusLineText("reason phrase", reason);
    }
    const fields = head.fields;
    for (let i = 0; i < fields.length; i += 2) {
      checkFieldName(fields[i]);
      checkFieldValue(fields[i + 1]);
    }
    const interim = status !== undefined && status >= 100 && status < 200 && head.complete;
    if (interim && this.#resKind === "pending") {
      if (request !== null && (request.major < 1 || (request.major === 1 && request.minor < 1))) {
        throw new LocalProtocolError("an interim (1xx) response must not be sent to an HTTP/1.0 client");
      }
      if (status === 100) this.#continueSent = true;
      return encodeHead(head.version, status, reason, fields, false, true);
    }
    if (this.#resKind !== "pending" || status === undefined || !head.complete) {
      this.#resKind = "raw";
      this.#our = "SEND_BODY";
      return encodeHead(head.version, status, reason, fields, false, head.complete);
    }
    const lengths: string[] = [];
    let te: string | null = null;
    let hasConnection = false;
    for (let i = 0; i < fields.length; i += 2) {
      const name = fields[i];
      if (name.length === 14 && name.toLowerCase() === "content-length") lengths.push(fields[i + 1]);
      else if (name.length === 17 && name.toLowerCase() === "transfer-encoding") te = te === null ? fields[i + 1] : te + "," + fields[i + 1];
      else if (name.length === 10 && name.toLowerCase() === "connection") hasConnection = true;
    }
    const peer11 = request !== null && (request.major > 1 || (request.major === 1 && request.minor >= 1));
    const framing = responseFraming(status, request?.method === "HEAD", peer11, lengths, te);
    this.#resKind = framing.kind;
    this.#resRemaining = framing.length;
    if (framing.kind === "chunked") this.#resObserver = new ChunkedDecoder({ maxLineBytes: 1 << 20, maxTrailerBytes: 1 << 20 });
    const addClose = framing.kind === "close" && head.keepAlive && !hasConnection && request !== null && !request.simple;
    this.#our = "SEND_BODY";
    return encodeHead(head.version, status, reason, fields, addClose, true);
  }

  /**
   * Records body bytes written for the current response and returns them unchanged. Bytes before
   * any head, beyond `Content-Length`, after the end of a chunked body, or for a response that
   * has no body (HEAD, 204, 304) make the connection close after this response.
   */
  sendBody(data: Uint8Array): Uint8Array {
    if (this.#our === "SEND_RESPONSE") {
      this.#resKind = "raw";
      this.#our = "SEND_BODY";
    } else if (this.#our !== "SEND_BODY") {
      throw new LocalProtocolError(`cannot send body bytes in state ${this.#our}`);
    }
    const n = data.length;
    if (n === 0) return data;
    switch (this.#resKind) {
      case "length":
        this.#resRemaining -= n;
        if (this.#resRemaining < 0) this.#resBroken = true;
        break;
      case "none":
        this.#resBroken = true;
        break;
      case "chunked": {
        const observer = this.#resObserver!;
        let pos = 0;
        while (pos < n && !this.#resBroken) {
          if (observer.done) {
            this.#resBroken = true;
            break;
          }
          if (observer.dataRemaining > 0) {
            const take = Math.min(observer.dataRemaining, n - pos);
            observer.skipData(take);
            pos += take;
            continue;
          }
          const next = observer.decode(data, pos, n);
          if (next < 0) this.#resBroken = true;
          else if (next === pos && observer.dataRemaining === 0 && !observer.done) break;
          else pos = next;
        }
        break;
      }
    }
    return data;
  }

  /**
   * True while the response written so far is correctly delimited and complete, so that the
   * connection could carry another response.
   */
  get responseComplete(): boolean {
    if (this.#resBroken) return false;
    switch (this.#resKind) {
      case "none":
        return true;
      case "length":
        return this.#resRemaining === 0;
      case "chunked":
        return this.#resObserver!.done;
      default:
        return false;
    }
  }

  /**
   * Ends the current response. Our side becomes DONE when `keepAlive` holds and the response was
   * delimited and complete, MUST_CLOSE otherwise (the client's side follows once its request has
   * been read). Returns whether the connection may be reused.
   */
  endResponse(keepAlive: boolean): boolean {
    if (this.#our !== "SEND_RESPONSE" && this.#our !== "SEND_BODY") {
      throw new LocalProtocolError(`cannot end a response in state ${this.#our}`);
    }
    const reusable =
      keepAlive && this.responseComplete && this.#their !== "ERROR" && this.#request !== null && !this.#request.simple;
    if (reusable) {
      this.#our = "DONE";
      return true;
    }
    this.#our = "MUST_CLOSE";
    if (this.#their === "DONE" || this.#their === "IDLE" || this.#their === "SEND_BODY") this.#their = "MUST_CLOSE";
    this.#pos = this.#end;
    return false;
  }
}

const CONNECTION_CLOSE = "Connection: close\r\n";

/**
 * The bytes of a response head: `<version> <status> <reason>\r\n` when `status` is given (RFC
 * 9112 §4), a field line per `[name, value]` pair (§5), `Connection: close` when `addClose`, and
 * the empty line when `complete`. Written character by character into one array from
 * {@link allocBytes}: no intermediate string.
 * @throws {RangeError} for a character above U+00FF (the checks before prevent it).
 */
function encodeHead(
  version: string,
  status: number | undefined,
  reason: string,
  fields: readonly string[],
  addClose: boolean,
  complete: boolean,
): Uint8Array {
  const code = status === undefined ? "" : String(status);
  let n = status === undefined ? 0 : version.length + code.length + reason.length + 4;
  for (let i = 0; i < fields.length; i += 2) n += fields[i].length + fields[i + 1].length + 4;
  if (addClose) n += CONNECTION_CLOSE.length;
  if (complete) n += 2;
  const out = allocBytes(n);
  let at = 0;
  if (status !== undefined) {
    at = latin1Write(version, out, at);
    out[at++] = 0x20;
    at = latin1Write(code, out, at);
    out[at++] = 0x20;
    at = latin1Write(reason, out, at);
    out[at++] = 0x0d;
    out[at++] = 0x0a;
  }
  for (let i = 0; i < fields.length; i += 2) {
    at = latin1Write(fields[i], out, at);
    out[at++] = 0x3a;
    out[at++] = 0x20;
    at = latin1Write(fields[i + 1], out, at);
    out[at++] = 0x0d;
    out[at++] = 0x0a;
  }
  if (addClose) at = latin1Write(CONNECTION_CLOSE, out, at);
  if (complete) {
    out[at++] = 0x0d;
    out[at++] = 0x0a;
  }
  return out;
}
