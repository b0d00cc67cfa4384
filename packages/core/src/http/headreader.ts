/**
 * Reads request heads out of a {@link ReceiveBuffer}, by two paths that must give the same
 * results, kept side by side here:
 *
 * - the **general path** finds the request line, then the field lines, one LF at a time and
 *   across any number of arrivals, checking every limit (the request line and field line limits,
 *   the number of field lines, the head size) in the same order whatever the split, and parses
 *   them with `parseRequestLine` and `parseFieldLines`;
 * - the **fast path** takes a whole head already in the buffer in one pass: it decodes it once
 *   (UTF-8, shown to be ASCII) and cuts it into strings. It takes only what it can check
 *   completely (see {@link HeadReader.fast}); anything else returns `null` and the general path
 *   starts over on the same bytes, so events and errors are the same whichever path runs. The
 *   property tests feed both paths the same inputs split every way.
 * @module
 */

import { COLON, CR, HT, LF, PY_WHITESPACE, SP, TCHAR, utf8DecodeRange } from "./chars.ts";
import { type RequestLineContext, NO_REQUEST_LINE, ProtocolError } from "./errors.ts";
import { NEED_DATA, type RequestEvent } from "./events.ts";
import { type RequestFraming, NO_BODY, expectsContinue, requestFraming } from "./framing.ts";
import { type FieldSummary, type RequestLine, parseFieldLines, parseRequestLine } from "./head.ts";
import { pyRepr } from "./repr.ts";
import type { ReceiveBuffer } from "./receivebuffer.ts";

/** Limits of a {@link HeadReader}, in bytes and lines (see `ConnectionLimits`). */
export interface HeadLimits {
  maxLineBytes: number;
  maxFieldLines: number;
  maxHeadBytes: number;
}

/** The request event for a request line, its fields and the framing they give. */
export function requestEvent(line: RequestLine, summary: FieldSummary | null, framing: RequestFraming): RequestEvent {
  const expect = summary?.expect ?? null;
  return {
    type: "request",
    method: line.method,
    target: line.target,
    version: line.version,
    major: line.major,
    minor: line.minor,
    requestline: line.requestline,
    fields: summary?.fields ?? [],
    bodyKind: framing.kind,
    contentLength: framing.length,
    connection: summary?.connection ?? null,
    expectContinue: expect !== null && expectsContinue(line.major, line.minor, expect, framing),
    simple: line.simple,
  };
}

/** The context of errors found after the request line `line` was accepted. */
export function lineContext(line: RequestLine): RequestLineContext {
  return { text: line.requestline, method: line.method, version: line.version };
}

/** The context of an empty request line: nothing read, no answer (status 0). */
const BLANK_LINE: RequestLineContext = Object.freeze({ text: "", method: null, version: null });

/**
 * The error for a request line whose first byte is a control character other than Python's
 * white space: no method can start there (RFC 9112 §3.1: method = token), so the line is rejected
 * at once, without waiting for its end — which, for a TLS ClientHello sent to a plain HTTP port,
 * may never come (h11's early garbage detection; docs/protocol.md §1). Decided by that byte alone,
 * so the outcome does not depend on how much of the line has arrived.
 */
function notARequest(first: number): ProtocolError {
  const text = String.fromCharCode(first);
  return new ProtocolError(
    400,
    "REQUEST_LINE_CTL",
    `Bad request syntax (${pyRepr(text)})`,
    first === 0x16
      ? "The request starts with a TLS handshake: HTTPS was sent to a plain HTTP port."
      : "The request line starts with a control character (RFC 9112 §3).",
    { text, method: null, version: "" },
  );
}

/** Lower-case names of the fields the fast path must notice, as bytes. */
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

/** Where the general path is: looking for the request line's LF, or for the field lines'. */
const LINE = 0;
const FIELDS = 1;

/**
 * Reads one request head after another from a {@link ReceiveBuffer}. {@link next} consumes the
 * head's bytes (never the body's) and returns the request, an error, `NEED_DATA`, or `null` when
 * the client closed before sending a byte of it.
 */
export class HeadReader {
  readonly #buffer: ReceiveBuffer;
  readonly #maxLine: number;
  readonly #maxFieldLines: number;
  readonly #maxHead: number;
  /** Largest head the fast path takes on: beyond it a line or head limit might apply. */
  readonly #fastCap: number;

  // The general path's progress through a head that arrives in pieces (indices into the buffer).
  #phase = LINE;
  /** Bytes before this index hold no LF of the current line (searched already). */
  #scan = 0;
  #lineStart = 0;
  #fieldsStart = 0;
  #headStart = 0;
  #fieldLines = 0;
  #line: RequestLine | null = null;

  // The fast path's cache.
  /** Bytes the fast path decodes first: the size of this connection's previous head. */
  #guess = 1024;
  /**
   * Text the fast path decoded: character `i` is byte `#textAt + i` of the buffer for every `i`
   * below `#textLimit`. Dropped whenever bytes are received.
   */
  #text = "";
  #textAt = 0;
  #textLimit = 0;
  /** Index of a NUL in `#text` (none before it from where it was searched), or -1. */
  #textNul = -1;
  /** The previous head had no body and bytes followed it: decode more than one head at once. */
  #pipelined = false;

  constructor(buffer: ReceiveBuffer, limits: HeadLimits) {
    this.#buffer = buffer;
    this.#maxLine = limits.maxLineBytes;
    this.#maxFieldLines = limits.maxFieldLines;
    this.#maxHead = limits.maxHeadBytes;
    this.#fastCap = Math.min(this.#maxLine, this.#maxHead);
  }

  /**
   * Bytes were added to the buffer, and the unconsumed ones moved `shift` places toward its start:
   * the indices kept move with them, and the decoded text no longer covers the buffer.
   */
  received(shift: number): void {
    this.#text = "";
    this.#textLimit = 0;
    this.#pipelined = false;
    if (shift === 0) return;
    this.#scan -= shift;
    this.#lineStart -= shift;
    this.#fieldsStart -= shift;
    this.#headStart -= shift;
  }

  /**
   * The request line of a head whose field lines are still arriving (consumed from the buffer
   * already), or `null` when no head is half read.
   */
  get pendingLine(): RequestLine | null {
    return this.#phase === FIELDS ? this.#line : null;
  }

  /** The next head starts at the buffer's position (after the previous request's body). */
  restart(): void {
    this.#phase = LINE;
    this.#line = null;
    this.#scan = this.#buffer.pos;
  }

  /** The next request head: the request, an error, `NEED_DATA`, or `null` for EOF before it. */
  next(): RequestEvent | ProtocolError | typeof NEED_DATA | null {
    const buffer = this.#buffer;
    const buf = buffer.bytes;
    const end = buffer.end;
    if (this.#phase === FIELDS) return this.#readFields();
    const start = buffer.pos;
    // A head that starts in a fresh buffer region (nothing scanned yet) is first tried whole.
    if (this.#scan <= start && end > start) {
      const request = this.#fast();
      if (request !== null) return request;
      const first = buf[start];
      if ((first < 0x20 && PY_WHITESPACE[first] === 0) || first === 0x7f) return notARequest(first);
    }
    if (this.#scan < start) this.#scan = start;
    // Searches stop at `end`: a grown buffer has spare room after it, and scanning that on
    // every call would make a head that arrives in small pieces cost quadratic time.
    const bytes = end < buf.length ? buf.subarray(0, end) : buf;
    let lf = this.#scan < end ? bytes.indexOf(LF, this.#scan) : -1;
    if (lf < 0) {
      // More than maxLine bytes without LF can only end as a line that is too long; exactly
      // maxLine bytes may still be a whole line at EOF (CPython's readline(65537)).
      if (end - start > this.#maxLine) return new ProtocolError(414, "LINE_TOO_LONG", "URI Too Long");
      if (!buffer.eof) {
        this.#scan = end;
        return NEED_DATA;
      }
      if (end === start) return null;
      lf = end; // CPython reads a last line without LF at EOF
    } else if (lf + 1 - start > this.#maxLine) {
      return new ProtocolError(414, "LINE_TOO_LONG", "URI Too Long");
    }
    const line = parseRequestLine(buf, start, lf);
    if (line === null) return new ProtocolError(0, "EMPTY_REQUEST_LINE", "Empty request line", undefined, BLANK_LINE);
    if (line instanceof ProtocolError) return line;
    buffer.pos = Math.min(lf + 1, end);
    if (line.simple) return requestEvent(line, null, NO_BODY);
    this.#line = line;
    this.#headStart = start;
    this.#phase = FIELDS;
    this.#fieldsStart = this.#lineStart = this.#scan = buffer.pos;
    this.#fieldLines = 0;
    return this.#readFields();
  }

  #readFields(): RequestEvent | ProtocolError | typeof NEED_DATA {
    const buffer = this.#buffer;
    const buf = buffer.bytes;
    const end = buffer.end;
    const bytes = end < buf.length ? buf.subarray(0, end) : buf; // see next()
    const line = this.#line!;
    let lineStart = this.#lineStart;
    let scan = this.#scan;
    for (;;) {
      const lf = scan < end ? bytes.indexOf(LF, scan) : -1;
      if (lf < 0) {
        // The partial line is bounded by maxLine; the head size is checked when a line ends, in
        // the same order whether the bytes came at once or one by one (split invariance).
        if (end - lineStart > this.#maxLine) return this.#lineTooLong(line);
        if (buffer.eof) return this.#fieldsAtEOF(lineStart);
        this.#lineStart = lineStart;
        this.#scan = end;
        return NEED_DATA;
      }
      if (lf + 1 - lineStart > this.#maxLine) return this.#lineTooLong(line);
      if (lf === lineStart || (lf === lineStart + 1 && buf[lineStart] === CR)) {
        return this.#finishHead(buf, this.#fieldsStart, lineStart, lf + 1);
      }
      if (++this.#fieldLines >= this.#maxFieldLines) return this.#tooManyFields(line);
      if (lf + 1 - this.#headStart > this.#maxHead) return this.#headTooLarge(line);
      lineStart = scan = lf + 1;
    }
  }

  /**
   * EOF inside the field section: CPython takes a last line without LF, then ends the head. That
   * line is checked like one ended by LF: a lone CR is the empty line, anything else counts
   * toward the field-line and head-size limits.
   */
  #fieldsAtEOF(lineStart: number): RequestEvent | ProtocolError {
    const buffer = this.#buffer;
    const start = this.#fieldsStart;
    const end = buffer.end;
    if (lineStart === end) return this.#finishHead(buffer.bytes, start, end, end);
    if (end - lineStart === 1 && buffer.bytes[lineStart] === CR) return this.#finishHead(buffer.bytes, start, lineStart, end);
    const line = this.#line!;
    if (++this.#fieldLines >= this.#maxFieldLines) return this.#tooManyFields(line);
    if (end - this.#headStart > this.#maxHead) return this.#headTooLarge(line);
    const copy = new Uint8Array(end - start + 1);
    copy.set(buffer.bytes.subarray(start, end));
    copy[copy.length - 1] = LF;
    return this.#finishHead(copy, 0, copy.length, end);
  }

  #lineTooLong(line: RequestLine): ProtocolError {
    return new ProtocolError(
      431,
      "FIELD_LINE_TOO_LONG",
      "Line too long",
      `got more than ${this.#maxLine} bytes when reading header line`,
      lineContext(line),
    );
  }

  #tooManyFields(line: RequestLine): ProtocolError {
    return new ProtocolError(431, "TOO_MANY_FIELDS", "Too many headers", `got more than ${this.#maxFieldLines} headers`, lineContext(line));
  }

  #headTooLarge(line: RequestLine): ProtocolError {
    return new ProtocolError(
      431,
      "HEAD_TOO_LARGE",
      "Request header fields too large",
      `got more than ${this.#maxHead} bytes when reading the request head`,
      lineContext(line),
    );
  }

  /**
   * Parses the field lines in `buf[start, end)` and gives the request; its body starts at
   * `consumed` in the buffer.
   */
  #finishHead(buf: Uint8Array, start: number, end: number, consumed: number): RequestEvent | ProtocolError {
    const line = this.#line!;
    this.#phase = LINE;
    this.#line = null;
    const context = lineContext(line);
    const summary = parseFieldLines(buf, start, end, context);
    if (summary instanceof ProtocolError) return summary;
    const framing = requestFraming(summary, line.major, line.minor, context);
    if (framing instanceof ProtocolError) return framing;
    this.#buffer.pos = consumed;
    return requestEvent(line, summary, framing);
  }

  /**
   * The common case in one pass: a whole head in the buffer, decoded once (UTF-8, ASCII checked)
   * and cut into strings. It takes only what it can check completely: the request line
   * `method SP target SP HTTP/1.0|1.1` without other white space or control characters, field
   * lines `token ":" value` without NUL or a bare CR, within every limit, ASCII only, and framing
   * fields that `requestFraming` accepts. Anything else returns `null`, leaving the buffer as it
   * was for the general path.
   */
  #fast(): RequestEvent | null {
    const buffer = this.#buffer;
    const buf = buffer.bytes;
    const pos = buffer.pos;
    // Text decoded for an earlier head of this buffer may already cover this one (pipelining).
    const text = this.#text;
    if (text.length !== 0) {
      const o = pos - this.#textAt;
      if (o >= 0 && o < this.#textLimit) {
        const request = this.#parseFast(text, o, this.#textLimit, buf, this.#textAt);
        if (request !== undefined) return request;
      }
    }
    const avail = buffer.end - pos;
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
      const request = this.#parseFast(s, 0, limit, buf, pos);
      if (request !== undefined) return request;
      if (n >= most || limit < n) return null;
      n = n * 2 < most ? n * 2 : most;
    }
  }

  /**
   * {@link #fast} on the decoded text `s`, whose character `i` is byte `d + i` of `buf` for every
   * `i` below `limit`; the head starts at character `o`. Returns the request, `null` to leave the
   * head to the general path, or `undefined` when the head does not end within `limit`.
   */
  #parseFast(s: string, o: number, limit: number, buf: Uint8Array, d: number): RequestEvent | null | undefined {
    const lf0 = s.indexOf("\n", o);
    if (lf0 < 0 || lf0 >= limit) return undefined;
    if (lf0 === o) return null;
    const lineEnd = buf[d + lf0 - 1] === CR ? lf0 - 1 : lf0;
    let sp1 = -1;
    let sp2 = -1;
    for (let i = o; i < lineEnd; i++) {
      const c = buf[d + i];
      if ((c - 0x21) >>> 0 > 0x7e - 0x21) {
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

    const version = minor === 1 ? "HTTP/1.1" : "HTTP/1.0";
    const line: RequestLine = {
      method: methodName(buf, d + o, sp1 - o, s, o),
      target: s.slice(sp1 + 1, sp2),
      version,
      major: 1,
      minor,
      requestline: s.slice(o, lineEnd),
      simple: false,
    };
    const summary: FieldSummary = { fields, contentLengthCount, contentLength, transferEncoding, connection, expect };
    let framing: RequestFraming | ProtocolError = NO_BODY;
    if (transferEncoding !== null || contentLengthCount !== 0) {
      framing = requestFraming(summary, 1, minor, NO_REQUEST_LINE);
      if (framing instanceof ProtocolError) return null;
    }
    const buffer = this.#buffer;
    buffer.pos = d + headEnd;
    this.#guess = headEnd - o;
    this.#pipelined = framing.kind === "none" && buffer.pos < buffer.end;
    return requestEvent(line, summary, framing);
  }
}
