/**
 * Parsing of a request head: the request-line (CPython's word rules, docs/cpython.md §1.2)
 * and the field lines (RFC 9112 §5, strict wherever framing or security depends on it).
 *
 * Both work on bytes that the caller has already delimited; the incremental search for line ends
 * and the size limits live in `headreader.ts`.
 * @module
 */

import { COLON, CR, HT, LF, PY_WHITESPACE, SP, TCHAR, latin1Decode } from "./chars.ts";
import { type RequestLineContext, ProtocolError } from "./errors.ts";
import { pyRepr } from "./repr.ts";

/** A parsed request-line. */
export interface RequestLine {
  /** The method token as sent (case-sensitive), e.g. `"GET"`. */
  method: string;
  /** The request-target as sent, e.g. `"/a?b=1"` (RFC 9112 §3.2). */
  target: string;
  /** The HTTP-version as sent, e.g. `"HTTP/1.1"` or `"HTTP/01.1"`; `"HTTP/0.9"` for a two-word line. */
  version: string;
  /** Numeric major version (0 for HTTP/0.9). */
  major: number;
  /** Numeric minor version. */
  minor: number;
  /** The request line decoded as ISO-8859-1 without its line ending. */
  requestline: string;
  /** True for CPython's two-word HTTP/0.9 form `GET /path`: no field lines follow. */
  simple: boolean;
}

/**
 * Parses the request-line in `bytes[start, end)` (`end` is the index of the LF, or the end of
 * input at EOF). Returns `null` for a line with no words, which CPython answers by closing the
 * connection silently.
 *
 * Rules (CPython 3.15 unless marked): the line is split into words on Python's white space;
 * three or more words take the last as the version, which must be `HTTP/` + two runs of at most
 * 10 ASCII digits; versions >= 2.0 get 505; other than 2 or 3 words get 400; two words are an
 * HTTP/0.9 request, which must be `GET`. Stricter than CPython: a CR before the line end, and
 * control characters other than Python's white space, are rejected with 400 (RFC 9112 §2.2, §3).
 *
 * @returns the request line, `null` for a blank line, or a {@link ProtocolError} (400 or 505).
 */
export function parseRequestLine(bytes: Uint8Array, start: number, end: number): RequestLine | ProtocolError | null {
  let stop = end;
  if (stop > start && bytes[stop - 1] === CR) stop--;
  // Word boundaries: Python's str.split() on the ISO-8859-1 decoding of the line.
  const starts: number[] = [];
  const ends: number[] = [];
  let inWord = false;
  let bad = -1;
  for (let i = start; i < stop; i++) {
    const c = bytes[i];
    if (PY_WHITESPACE[c] === 1) {
      if (c === CR && bad < 0) bad = i;
      if (inWord) {
        ends.push(i);
        inWord = false;
      }
    } else {
      if ((c < 0x20 || c === 0x7f) && bad < 0) bad = i;
      if (!inWord) {
        starts.push(i);
        inWord = true;
      }
    }
  }
  if (inWord) ends.push(stop);
  const requestline = latin1Decode(bytes, start, stop);
  if (starts.length === 0 && bad < 0) return null;
  if (bad >= 0) {
    const what = bytes[bad] === CR ? "CR without LF" : "control character";
    return new ProtocolError(
      400,
      bytes[bad] === CR ? "BARE_CR" : "REQUEST_LINE_CTL",
      `Bad request syntax (${pyRepr(requestline)})`,
      `The request line contains a ${what} (RFC 9112 §2.2, §3).`,
      { text: requestline, method: null, version: "" },
    );
  }
  const word = (k: number) => requestline.slice(starts[k] - start, ends[k] - start);
  const count = starts.length;
  let version = "HTTP/0.9";
  let major = 0;
  let minor = 9;
  if (count >= 3) {
    version = word(count - 1);
    const parsed = parseVersion(version);
    if (parsed === null) {
      return new ProtocolError(400, "BAD_VERSION", `Bad request version (${pyRepr(version)})`, undefined, {
        text: requestline,
        method: null,
        version: "",
      });
    }
    [major, minor] = parsed;
    if (major >= 2) {
      return new ProtocolError(505, "VERSION_NOT_SUPPORTED", `Invalid HTTP version (${version.slice(5)})`, undefined, {
        text: requestline,
        method: null,
        version: "",
      });
    }
  }
  if (count < 2 || count > 3) {
    return new ProtocolError(400, "REQUEST_LINE_WORDS", `Bad request syntax (${pyRepr(requestline)})`, undefined, {
      text: requestline,
      method: null,
      version: count > 3 ? version : null,
    });
  }
  const method = word(0);
  if (count === 2 && method !== "GET") {
    return new ProtocolError(400, "HTTP09_METHOD", `Bad HTTP/0.9 request type (${pyRepr(method)})`, undefined, {
      text: requestline,
      method: null,
      version: null,
    });
  }
  return { method, target: word(1), version, major, minor, requestline, simple: count === 2 };
}

/**
 * Parses `HTTP/<major>.<minor>` as CPython does: each part one to ten ASCII digits, leading zeros
 * allowed (`HTTP/01.1` is 1.1). Returns `null` when invalid.
 */
export function parseVersion(version: string): [number, number] | null {
  if (!version.startsWith("HTTP/")) return null;
  const dot = version.indexOf(".", 5);
  if (dot < 0) return null;
  const a = version.slice(5, dot);
  const b = version.slice(dot + 1);
  if (!isDigits(a) || !isDigits(b)) return null;
  return [Number(a), Number(b)];
}

function isDigits(s: string): boolean {
  if (s.length === 0 || s.length > 10) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/**
 * What the field lines of a request say about framing and persistence (RFC 9112 §6–§9), gathered
 * while they are parsed.
 */
export interface FieldSummary {
  /** Flat `[name, value, …]`, names as sent, values without surrounding white space. */
  fields: string[];
  /** Number of `Content-Length` lines. */
  contentLengthCount: number;
  /** The last `Content-Length` value as sent. */
  contentLength: string;
  /** `Transfer-Encoding` values joined with `,`, or `null` when there is none. */
  transferEncoding: string | null;
  /** `Connection` values joined with `,`, or `null`. */
  connection: string | null;
  /** `Expect` values joined with `,`, or `null`. */
  expect: string | null;
}

function join(prev: string | null, value: string): string {
  return prev === null ? value : prev + "," + value;
}

/**
 * Parses the field lines in `bytes[start, end)`; every line in the range ends with LF (optionally
 * preceded by CR) and the empty line that ends the head is not included.
 *
 * Rejected with 400, stricter than CPython (whose e-mail parser silently stops at a bad line):
 * a line starting with white space (obs-fold, RFC 9112 §5.2), a line without a colon, an empty
 * or non-token field-name, white space before the colon (§5.1), and NUL or a bare CR anywhere
 * (§2.2, RFC 9110 §5.5). Other control characters and obs-text are kept, as CPython does.
 *
 * @param context the request line the fields follow, for the errors.
 */
export function parseFieldLines(bytes: Uint8Array, start: number, end: number, context: RequestLineContext): FieldSummary | ProtocolError {
  const summary: FieldSummary = {
    fields: [],
    contentLengthCount: 0,
    contentLength: "",
    transferEncoding: null,
    connection: null,
    expect: null,
  };
  if (start >= end) return summary;
  const fail = (code: string, message: string, explain: string) => new ProtocolError(400, code, message, explain, context);
  // A view bounds the native scans to this block, so body or pipelined bytes are never scanned.
  const block = bytes.subarray(start, end);
  const size = block.length;
  if (block.indexOf(0) >= 0) {
    return fail("FIELD_NUL", "Bad header line", "A field line contains a NUL byte (RFC 9110 §5.5).");
  }
  let nextCR = block.indexOf(CR);
  const text = latin1Decode(block);
  const fields = summary.fields;
  let lineStart = 0;
  while (lineStart < size) {
    const lf = block.indexOf(LF, lineStart);
    let lineEnd = lf;
    if (nextCR >= 0 && nextCR < lf) {
      if (nextCR !== lf - 1) {
        return fail("BARE_CR", "Bad header line", "A field line contains a CR without LF (RFC 9112 §2.2).");
      }
      lineEnd = lf - 1;
      nextCR = block.indexOf(CR, lf + 1);
    }
    const first = block[lineStart];
    if (first === SP || first === HT) {
      return fail(
        "OBS_FOLD",
        "Bad header line",
        "A field line starts with white space: obsolete line folding is not accepted (RFC 9112 §5.2).",
      );
    }
    let colon = lineStart;
    while (colon < lineEnd && TCHAR[block[colon]] === 1) colon++;
    if (colon === lineEnd || block[colon] !== COLON || colon === lineStart) {
      if (colon < lineEnd && (block[colon] === SP || block[colon] === HT) && colon > lineStart) {
        let k = colon;
        while (k < lineEnd && (block[k] === SP || block[k] === HT)) k++;
        if (block[k] === COLON) {
          return fail(
            "WS_BEFORE_COLON",
            "Bad header line",
            "White space between a field-name and the colon is not allowed (RFC 9112 §5.1).",
          );
        }
      }
      return fail(
        "BAD_FIELD_LINE",
        `Bad header line (${pyRepr(text.slice(lineStart, lineEnd))})`,
        "A field line must be a token, a colon and a value (RFC 9112 §5).",
      );
    }
    let vs = colon + 1;
    while (vs < lineEnd && (block[vs] === SP || block[vs] === HT)) vs++;
    let ve = lineEnd;
    while (ve > vs && (block[ve - 1] === SP || block[ve - 1] === HT)) ve--;
    const name = text.slice(lineStart, colon);
    const value = text.slice(vs, ve);
    fields.push(name, value);
    // Fields that decide framing and persistence, matched without allocating in the common case.
    switch (colon - lineStart) {
      case 14:
        if ((first | 0x20) === 0x63 && name.toLowerCase() === "content-length") {
          summary.contentLengthCount++;
          summary.contentLength = value;
        }
        break;
      case 17:
        if ((first | 0x20) === 0x74 && name.toLowerCase() === "transfer-encoding") {
          summary.transferEncoding = join(summary.transferEncoding, value);
        }
        break;
      case 10:
        if ((first | 0x20) === 0x63 && name.toLowerCase() === "connection") {
          summary.connection = join(summary.connection, value);
        }
        break;
      case 6:
        if ((first | 0x20) === 0x65 && name.toLowerCase() === "expect") {
          summary.expect = join(summary.expect, value);
        }
        break;
    }
    lineStart = lf + 1;
  }
  return summary;
}

/** Bounds of the element {@link nextElement} found last (module state: no allocation per call). */
let elementStart = 0;
let elementEnd = 0;

/**
 * Finds the list element (RFC 9110 §5.6.1) that begins at index `i` of `list`: sets
 * {@link elementStart} and {@link elementEnd} to it without the white space around it, and
 * returns the index after its comma (past the end for the last one).
 */
function nextElement(list: string, i: number): number {
  let comma = list.indexOf(",", i);
  if (comma < 0) comma = list.length;
  let s = i;
  let e = comma;
  while (s < e && (list.charCodeAt(s) === SP || list.charCodeAt(s) === HT)) s++;
  while (e > s && (list.charCodeAt(e - 1) === SP || list.charCodeAt(e - 1) === HT)) e--;
  elementStart = s;
  elementEnd = e;
  return comma + 1;
}

/**
 * True if the comma-separated list `list` (RFC 9110 §5.6.1) contains `token`, compared
 * case-insensitively; `token` must be lower case.
 */
export function listHasToken(list: string | null, token: string): boolean {
  if (list === null) return false;
  for (let i = 0; i <= list.length;) {
    i = nextElement(list, i);
    if (elementEnd - elementStart === token.length && list.slice(elementStart, elementEnd).toLowerCase() === token) return true;
  }
  return false;
}

/** The non-empty elements of the comma-separated list `list`, trimmed (RFC 9110 §5.6.1). */
export function listElements(list: string): string[] {
  const out: string[] = [];
  for (let i = 0; i <= list.length;) {
    i = nextElement(list, i);
    if (elementEnd > elementStart) out.push(list.slice(elementStart, elementEnd));
  }
  return out;
}
