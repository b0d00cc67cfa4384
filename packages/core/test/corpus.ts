/**
 * The adversarial request corpus (issue 2): byte streams a client may send, each with the outcome
 * the rules demand. `corpus.test.ts` feeds every case to a `ServerConnection` whole, byte by byte
 * and in random splits, and checks the outcome exactly.
 *
 * Every expectation is derived from a rule, named in `ref`: RFC 9112/9110, the rules of issue 2
 * (CL+TE, repeated or invalid CL, TE not ending in chunked → 400, unknown codings → 501, bad
 * chunk framing, obs-fold, white space before the colon, NUL/CR in a field, a bare CR in the
 * head → 400; request line > 65,536 bytes → 414, field line > 65,536 → 431 `Line too long`,
 * too many fields → 431 `Too many headers`), docs/design.md ("CPython-compatible where the RFC allows
 * the choice and it is safe": bare LF line ends, several spaces in the request line, HTTP/0.9),
 * docs/cpython.md for CPython's choices, and docs/deviations.md for deliberate differences.
 *
 * The test server that answers the requests is described by {@link ServerBehaviour}.
 */
import type { ConnectionLimits } from "../src/http/connection.js";

/** The attack or input class a case belongs to. */
export type CorpusClass =
  | "CL.TE"
  | "TE.CL"
  | "TE.TE"
  | "CL"
  | "chunk-size"
  | "chunk-data"
  | "trailer"
  | "bare-CR"
  | "bare-LF"
  | "obs-fold"
  | "field-syntax"
  | "NUL"
  | "oversize"
  | "pipelining"
  | "expect"
  | "request-line"
  | "EOF";

/** A request the connection must deliver, in order. */
export interface ExpectedRequest {
  method: string;
  target: string;
  /**
   * The body bytes delivered to the server, ISO-8859-1 (default `""`). Bytes the test server
   * drains after answering early (`respond: "before-body"`) are not recorded.
   */
  body?: string;
  /** The body ended with an `end` event (default `true`); `false` when an error or EOF cut it. */
  complete?: boolean;
  /** Trailer fields of a chunked body, flat `[name, value, …]` (default none). */
  trailers?: string[];
}

/** What must happen when the whole case has been fed. */
export interface ExpectedOutcome {
  /** Every request delivered, in order; a request smuggled inside a body must never be one. */
  requests: ExpectedRequest[];
  /** The protocol error that ended the connection: its status (0 = close without an answer). */
  error?: { status: number; code?: string; message?: string };
  /**
   * The connection ends: after an error, EOF, a request or response that does not keep it
   * alive, or a body that cannot be drained. `false`: it waits for the next request.
   */
  closes: boolean;
}

/**
 * How the test server answers each request: `200 OK` with `Content-Length: 0` (nothing for an
 * HTTP/0.9 request), keep-alive decided by `requestKeepAlive` for an HTTP/1.1 server
 * (`protocol_version = "HTTP/1.1"`).
 */
export interface ServerBehaviour {
  /**
   * `"after-body"` (default): reads the whole body, then answers. `"before-body"`: answers as
   * soon as the head arrives, then drains the body up to {@link DRAIN_LIMIT} bytes when
   * `canDrain` allows it, and closes otherwise (what `BaseHTTPRequestHandler` does for a body
   * the handler did not read).
   */
  respond?: "after-body" | "before-body";
  /** Sends `100 Continue` when a request waits for it, before reading or draining the body. */
  send100?: boolean;
}

/** One corpus entry. */
export interface CorpusCase {
  name: string;
  class: CorpusClass;
  /** The bytes the client sends; a string is ISO-8859-1. */
  bytes: string | Uint8Array;
  /** The client closes its side after the bytes (default `false`). */
  eof?: boolean;
  server?: ServerBehaviour;
  limits?: ConnectionLimits;
  expect: ExpectedOutcome;
  /** The rule the expectation comes from. */
  ref?: string;
}

/** Bytes of an unread body the test server drains before closing instead (handler.ts: 256 KiB). */
export const DRAIN_LIMIT = 256 * 1024;

// ---------------------------------------------------------------------------------------------
// Building blocks

/** A request that must never be delivered: it hides in a body or behind a framing error. */
export const SMUGGLED = "GET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n";
/** A legitimate request following the case's request. */
const NEXT = "GET /next HTTP/1.1\r\nHost: h\r\n\r\n";
const get = (target: string, version = "HTTP/1.1", fields = "Host: h\r\n") => `GET ${target} ${version}\r\n${fields}\r\n`;

/** `POST / HTTP/1.1` with `Host` and the given field lines, then the empty line. */
function post(...fields: string[]): string {
  return "POST / HTTP/1.1\r\nHost: h\r\n" + fields.map((f) => f + "\r\n").join("") + "\r\n";
}
/** A POST whose body is `body`, framed by a correct Content-Length. */
function postCL(body: string, ...fields: string[]): string {
  return post(...fields, `Content-Length: ${body.length}`) + body;
}
const CHUNKED = post("Transfer-Encoding: chunked");
const HELLO_CHUNKED = "5\r\nhello\r\n0\r\n\r\n";

/** Expected requests. */
const P = (body = "", extra: Partial<ExpectedRequest> = {}): ExpectedRequest => ({ method: "POST", target: "/", body, ...extra });
const G = (target: string, extra: Partial<ExpectedRequest> = {}): ExpectedRequest => ({ method: "GET", target, ...extra });
const N = G("/next");
/** A POST whose body was cut short (by an error or EOF) after `body`. */
const Pcut = (body = "") => P(body, { complete: false });

/** Outcomes. */
const open = (...requests: ExpectedRequest[]): ExpectedOutcome => ({ requests, closes: false });
const closes = (...requests: ExpectedRequest[]): ExpectedOutcome => ({ requests, closes: true });
const fails = (status: number, code: string, ...requests: ExpectedRequest[]): ExpectedOutcome => ({
  requests,
  error: { status, code },
  closes: true,
});

const RFC_CL_TE = "RFC 9112 §6.1 (CL with TE: reject or close), §6.3 rule 3; issue 2: 400 and close";
const RFC_CL = "RFC 9112 §6.3 rule 5 (invalid Content-Length → 400 and close); docs/deviations.md `Content-Length`";
const RFC_TE = "RFC 9112 §6.1, §6.3 rule 4; docs/deviations.md `Transfer-Encoding`";
const RFC_CHUNK = "RFC 9112 §7.1 (chunk = chunk-size [ext] CRLF data CRLF); docs/deviations.md `chunked framing`";
const RFC_FOLD = "RFC 9112 §5.2 (obs-fold → 400); docs/deviations.md `obs-fold`";
const RFC_FIELD = 'RFC 9112 §5.1 (field-line = field-name ":" OWS field-value OWS); docs/deviations.md';
const RFC_BARE_CR = "RFC 9112 §2.2 (a bare CR is invalid); issue 2: a bare CR anywhere in the head → 400";
const RFC_NUL = "RFC 9110 §5.5 (NUL in a field value → reject); issue 2";
const BARE_LF = "RFC 9112 §2.2 MAY (a bare LF ends a line); docs/design.md: CPython-compatible (readline stops at LF)";
const EOF_HEAD = "docs/cpython.md §1.1, §1.2 step 10 (readline takes a last line without LF; EOF ends the headers)";
const EOF_BODY = "RFC 9112 §8 (incomplete message), §6.3 rule 5; checklist #35: never `end`";
const PIPE = "RFC 9112 §9.3.2 (pipelined requests answered in order)";

// ---------------------------------------------------------------------------------------------
// CL.TE and TE.CL: Content-Length together with Transfer-Encoding

const clte: CorpusCase[] = [
  {
    name: "CL.TE classic: CL covers a last chunk and a smuggled request",
    class: "CL.TE",
    bytes: post(`Content-Length: ${("0\r\n\r\n" + SMUGGLED).length}`, "Transfer-Encoding: chunked") + "0\r\n\r\n" + SMUGGLED,
    expect: fails(400, "CL_TE"),
    ref: RFC_CL_TE,
  },
  {
    name: "CL.TE: Content-Length 0 with a chunked body",
    class: "CL.TE",
    bytes: post("Content-Length: 0", "Transfer-Encoding: chunked") + HELLO_CHUNKED + SMUGGLED,
    expect: fails(400, "CL_TE"),
    ref: RFC_CL_TE,
  },
  {
    name: "CL.TE with lower-case field names",
    class: "CL.TE",
    bytes: post("content-length: 3", "transfer-encoding: chunked") + HELLO_CHUNKED,
    expect: fails(400, "CL_TE"),
    ref: RFC_CL_TE,
  },
  {
    name: "CL.TE with an unknown coding (the CL+TE rule comes first)",
    class: "CL.TE",
    bytes: post("Content-Length: 5", "Transfer-Encoding: gzip") + "hello" + SMUGGLED,
    expect: fails(400, "CL_TE"),
    ref: RFC_CL_TE,
  },
  {
    name: "CL.TE with an empty Transfer-Encoding (llhttp's order-dependent hole, TE-12)",
    class: "CL.TE",
    bytes: post("Transfer-Encoding:", "Content-Length: 5") + "hello" + SMUGGLED,
    expect: fails(400, "CL_TE"),
    ref: RFC_CL_TE + "; docs/protocol.md §2",
  },
  {
    name: "CL.TE with an invalid Content-Length value",
    class: "CL.TE",
    bytes: post("Content-Length: abc", "Transfer-Encoding: chunked") + HELLO_CHUNKED,
    expect: fails(400, "CL_TE"),
    ref: RFC_CL_TE,
  },
  {
    name: "CL.TE with an obfuscated coding (xchunked)",
    class: "CL.TE",
    bytes: post("Content-Length: 5", "Transfer-Encoding: xchunked") + "hello" + SMUGGLED,
    expect: fails(400, "CL_TE"),
    ref: RFC_CL_TE,
  },
  {
    name: "CL.TE in an HTTP/1.0 request",
    class: "CL.TE",
    bytes: "POST / HTTP/1.0\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n" + HELLO_CHUNKED,
    expect: fails(400, "CL_TE"),
    ref: RFC_CL_TE + "; §6.1 (TE in HTTP/1.0 is faulty framing)",
  },
  {
    name: "CL.TE with the two fields far apart",
    class: "CL.TE",
    bytes: post("Content-Length: 5", ...Array.from({ length: 40 }, (_, i) => `X-${i}: ${i}`), "Transfer-Encoding: chunked") + HELLO_CHUNKED,
    expect: fails(400, "CL_TE"),
    ref: RFC_CL_TE,
  },
  {
    name: "CL.TE in the second pipelined request: the first is still served",
    class: "CL.TE",
    bytes: get("/1") + post("Content-Length: 5", "Transfer-Encoding: chunked") + HELLO_CHUNKED + SMUGGLED,
    expect: fails(400, "CL_TE", G("/1")),
    ref: RFC_CL_TE + "; " + PIPE,
  },
  {
    name: "TE.CL classic: TE first, a short Content-Length",
    class: "TE.CL",
    bytes: post("Transfer-Encoding: chunked", "Content-Length: 4") + `${SMUGGLED.length.toString(16)}\r\n${SMUGGLED}\r\n0\r\n\r\n`,
    expect: fails(400, "CL_TE"),
    ref: RFC_CL_TE,
  },
  {
    name: "TE.CL: Content-Length 0 after TE",
    class: "TE.CL",
    bytes: post("Transfer-Encoding: chunked", "Content-Length: 0") + HELLO_CHUNKED + SMUGGLED,
    expect: fails(400, "CL_TE"),
    ref: RFC_CL_TE,
  },
  {
    name: "TE.CL: two Content-Length fields after TE",
    class: "TE.CL",
    bytes: post("Transfer-Encoding: chunked", "Content-Length: 5", "Content-Length: 5") + HELLO_CHUNKED,
    expect: fails(400, "CL_TE"),
    ref: RFC_CL_TE,
  },
  {
    name: "TE.CL with names in odd case",
    class: "TE.CL",
    bytes: post("tRANSFER-eNCODING: chunked", "CONTENT-LENGTH: 3") + HELLO_CHUNKED,
    expect: fails(400, "CL_TE"),
    ref: RFC_CL_TE,
  },
  {
    name: "TE.CL: Content-Length long enough to cover a whole chunked body plus a request",
    class: "TE.CL",
    bytes: post("Transfer-Encoding: chunked", `Content-Length: ${(HELLO_CHUNKED + SMUGGLED).length}`) + HELLO_CHUNKED + SMUGGLED,
    expect: fails(400, "CL_TE"),
    ref: RFC_CL_TE,
  },
];

// ---------------------------------------------------------------------------------------------
// TE.TE: a Transfer-Encoding one side may miss

const tete: CorpusCase[] = [
  ...(
    [
      ["xchunked", "Transfer-Encoding: xchunked"],
      ["chunkedx", "Transfer-Encoding: chunkedx"],
      ["identity (removed from the registry)", "Transfer-Encoding: identity"],
      ["gzip before chunked", "Transfer-Encoding: gzip, chunked"],
      ['a quoted "chunked"', 'Transfer-Encoding: "chunked"'],
      ["chunked followed by a vertical tab (not OWS)", "Transfer-Encoding: chunked\x0b"],
      ["chunked preceded by NBSP (not OWS)", "Transfer-Encoding: \xa0chunked"],
      ["gzip and chunked in two fields", "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked"],
    ] as const
  ).map(([what, field]): CorpusCase => ({
    name: `TE.TE: ${what} is an unsupported coding`,
    class: "TE.TE",
    bytes: post(field) + SMUGGLED,
    expect: fails(501, "TE_UNSUPPORTED"),
    ref: RFC_TE + "; issue 2: unknown codings → 501",
  })),
  ...(
    [
      ["chunked, identity (chunked not last)", "Transfer-Encoding: chunked, identity", "TE_CHUNKED_NOT_LAST"],
      ["chunked then gzip in a second field (not last)", "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip", "TE_CHUNKED_NOT_LAST"],
      ["chunked in two fields", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked", "TE_BAD"],
      ["chunked, chunked", "Transfer-Encoding: chunked, chunked", "TE_BAD"],
      ["chunked with a parameter", "Transfer-Encoding: chunked;q=1", "TE_PARAMS"],
      ["an empty value", "Transfer-Encoding:", "TE_BAD"],
      ["a list of empty elements", "Transfer-Encoding: , ,", "TE_BAD"],
    ] as const
  ).map(([what, field, code]): CorpusCase => ({
    name: `TE.TE: ${what} → 400`,
    class: "TE.TE",
    bytes: post(field) + HELLO_CHUNKED + SMUGGLED,
    expect: fails(400, code),
    ref: RFC_TE + "; issue 2: TE not ending in chunked → 400",
  })),
  {
    name: "TE.TE: white space before the colon",
    class: "TE.TE",
    bytes: post("Transfer-Encoding : chunked") + HELLO_CHUNKED + SMUGGLED,
    expect: fails(400, "WS_BEFORE_COLON"),
    ref: RFC_FIELD,
  },
  {
    name: "TE.TE: HTAB before the colon",
    class: "TE.TE",
    bytes: post("Transfer-Encoding\t: chunked") + HELLO_CHUNKED + SMUGGLED,
    expect: fails(400, "WS_BEFORE_COLON"),
    ref: RFC_FIELD,
  },
  {
    name: "TE.TE: TE as an indented first field line",
    class: "TE.TE",
    bytes: "POST / HTTP/1.1\r\n Transfer-Encoding: chunked\r\nHost: h\r\n\r\n" + HELLO_CHUNKED + SMUGGLED,
    expect: fails(400, "OBS_FOLD"),
    ref: RFC_FOLD + "; RFC 9112 §2.2 (white space after the start line)",
  },
  {
    name: "TE.TE: TE folded into the previous field",
    class: "TE.TE",
    bytes: post("X: y", " Transfer-Encoding: chunked") + HELLO_CHUNKED + SMUGGLED,
    expect: fails(400, "OBS_FOLD"),
    ref: RFC_FOLD,
  },
  {
    name: "TE.TE: the TE value on a folded line",
    class: "TE.TE",
    bytes: post("Transfer-Encoding:", " chunked") + HELLO_CHUNKED + SMUGGLED,
    expect: fails(400, "OBS_FOLD"),
    ref: RFC_FOLD,
  },
  {
    name: "TE.TE: NUL after chunked",
    class: "TE.TE",
    bytes: post("Transfer-Encoding: chunked\x00") + HELLO_CHUNKED + SMUGGLED,
    expect: fails(400, "FIELD_NUL"),
    ref: RFC_NUL,
  },
  {
    name: "TE.TE: TE in an HTTP/1.0 request",
    class: "TE.TE",
    bytes: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n" + HELLO_CHUNKED + SMUGGLED,
    expect: fails(400, "TE_HTTP10"),
    ref: "RFC 9112 §6.1 (TE in an HTTP/1.0 message: faulty framing, close); docs/deviations.md",
  },
  {
    name: "TE.TE: Transfer_Encoding (underscore) is another field: no body, the chunk line is the next request line",
    class: "TE.TE",
    bytes: post("Transfer_Encoding: chunked") + "0\r\n\r\n",
    expect: fails(400, "REQUEST_LINE_WORDS", P()),
    ref: "RFC 9110 §5.1 (field names are compared whole); RFC 9112 §6.3 rule 7 (no framing: no body)",
  },
  {
    name: "TE.TE: CHUNKED in upper case is chunked",
    class: "TE.TE",
    bytes: post("Transfer-Encoding: CHUNKED") + HELLO_CHUNKED + NEXT,
    expect: open(P("hello"), N),
    ref: "RFC 9112 §7 (coding names are case-insensitive)",
  },
  {
    name: "TE.TE: HTAB OWS and empty list elements around chunked",
    class: "TE.TE",
    bytes: post("Transfer-Encoding:\t, chunked ,\t") + HELLO_CHUNKED + NEXT,
    expect: open(P("hello"), N),
    ref: "RFC 9110 §5.6.1 (empty list elements are ignored), §5.5 (OWS is not part of the value)",
  },
];

// ---------------------------------------------------------------------------------------------
// Content-Length

const cl: CorpusCase[] = [
  {
    name: "CL repeated with the same value",
    class: "CL",
    bytes: post("Content-Length: 5", "Content-Length: 5") + "hello" + SMUGGLED,
    expect: fails(400, "CL_REPEATED"),
    ref: RFC_CL + " (no opt-in for identical values)",
  },
  {
    name: "CL repeated with different values",
    class: "CL",
    bytes: post("Content-Length: 5", "content-length: 40") + "hello" + SMUGGLED,
    expect: fails(400, "CL_REPEATED"),
    ref: RFC_CL,
  },
  ...(
    [
      ["a list 5, 5", "5, 5"],
      ["a sign +5", "+5"],
      ["a sign -5", "-5"],
      ["hex 0x5", "0x5"],
      ["two numbers 5 5", "5 5"],
      ["empty", ""],
      ["an exponent 5e0", "5e0"],
      ["a fraction 5.0", "5.0"],
      ["2^53", "9007199254740992"],
      ["20 digits", "99999999999999999999"],
      ["a trailing vertical tab", "5\x0b"],
      ["a trailing NBSP", "5\xa0"],
      ["an underscore 0_5", "0_5"],
    ] as const
  ).map(([what, value]): CorpusCase => ({
    name: `CL invalid: ${what}`,
    class: "CL",
    bytes: post(`Content-Length: ${value}`) + "hello" + SMUGGLED,
    expect: fails(400, "CL_INVALID"),
    ref: RFC_CL,
  })),
  {
    name: "CL with white space before the colon",
    class: "CL",
    bytes: post("Content-Length : 5") + "hello" + SMUGGLED,
    expect: fails(400, "WS_BEFORE_COLON"),
    ref: RFC_FIELD,
  },
  {
    name: "CL folded onto a second line",
    class: "CL",
    bytes: post("Content-Length:", " 5") + "hello" + SMUGGLED,
    expect: fails(400, "OBS_FOLD"),
    ref: RFC_FOLD,
  },
  {
    name: "CL with leading zeros and OWS is valid",
    class: "CL",
    bytes: post("Content-Length: \t0005 ") + "hello" + NEXT,
    expect: open(P("hello"), N),
    ref: "RFC 9112 §6.2 (Content-Length = 1*DIGIT), RFC 9110 §5.5 (OWS trimmed)",
  },
  {
    name: "CL with a thousand leading zeros is 5",
    class: "CL",
    bytes: post(`Content-Length: ${"0".repeat(1000)}5`) + "hello" + NEXT,
    expect: open(P("hello"), N),
    ref: "RFC 9112 §6.2; RFC 9112 §6.3 (parse without overflow)",
  },
  {
    name: "CL 0: what follows is the next request",
    class: "CL",
    bytes: post("Content-Length: 0") + NEXT,
    expect: open(P(), N),
    ref: "RFC 9112 §6.3 rule 6",
  },
  {
    name: "a GET's CL body holding a request is data, not a request",
    class: "CL",
    bytes: "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: " + SMUGGLED.length + "\r\n\r\n" + SMUGGLED + NEXT,
    expect: open(G("/", { body: SMUGGLED }), N),
    ref: "RFC 9112 §6 (framing does not depend on the method); docs/design.md: bodies never parsed as requests",
  },
  {
    name: "CL shorter than the bytes sent: the rest is the next request",
    class: "CL",
    bytes: post("Content-Length: 5") + "helloGET /next HTTP/1.1\r\nHost: h\r\n\r\n",
    expect: open(P("hello"), N),
    ref: "RFC 9112 §6.3 rule 6",
  },
];

// ---------------------------------------------------------------------------------------------
// Chunk-size lines and chunk data

const badChunk = (name: string, chunked: string, bodyBefore = "", ref = RFC_CHUNK, klass: CorpusClass = "chunk-size"): CorpusCase => ({
  name,
  class: klass,
  bytes: CHUNKED + chunked + SMUGGLED,
  expect: fails(400, "BAD_CHUNKED", Pcut(bodyBefore)),
  ref,
});

const chunkSize: CorpusCase[] = [
  badChunk("chunk-size with a 0x prefix", "0x5\r\nhello\r\n0\r\n\r\n"),
  badChunk("chunk-size with a sign +5", "+5\r\nhello\r\n0\r\n\r\n"),
  badChunk("chunk-size -1", "-1\r\nhello\r\n0\r\n\r\n"),
  badChunk("chunk-size with a leading SP", " 5\r\nhello\r\n0\r\n\r\n"),
  badChunk("chunk-size with a trailing SP (BWS only before ';')", "5 \r\nhello\r\n0\r\n\r\n"),
  badChunk("chunk-size with a trailing HTAB", "5\t\r\nhello\r\n0\r\n\r\n"),
  badChunk("chunk-size 1Z (longest valid prefix)", "1Z\r\nx\r\n0\r\n\r\n"),
  badChunk("chunk-size 0_2e (underscore)", "0_2e\r\n" + "x".repeat(0x2e) + "\r\n0\r\n\r\n"),
  badChunk("chunk-size overflow FFFFFFFFFFFFFFFF0", "FFFFFFFFFFFFFFFF0\r\nhello\r\n0\r\n\r\n"),
  badChunk("chunk-size 2^53", "20000000000000\r\nhello\r\n0\r\n\r\n"),
  badChunk("an empty chunk-size line", "\r\nhello\r\n0\r\n\r\n"),
  badChunk("chunk-size ended by a bare LF (TERM.EXT)", "5\nhello\r\n0\r\n\r\n"),
  badChunk("chunk-size ended by a bare CR", "5\rhello\r\n0\r\n\r\n"),
  badChunk("chunk-size ended by CR CR LF", "5\r\r\nhello\r\n0\r\n\r\n"),
  badChunk("a bare LF inside an extension (CVE-2025-55315)", "5;a\nb\r\nhello\r\n0\r\n\r\n"),
  badChunk("a bare CR inside an extension", "5;a\rb\r\nhello\r\n0\r\n\r\n"),
  badChunk("an empty extension name", "5;\r\nhello\r\n0\r\n\r\n"),
  badChunk("an extension with an empty value", "5;a=\r\nhello\r\n0\r\n\r\n"),
  badChunk("an unterminated quoted extension value", '5;a="b\r\nhello\r\n0\r\n\r\n'),
  badChunk("NUL in an extension", "5;a=\x00\r\nhello\r\n0\r\n\r\n"),
  badChunk("an extension before the size", ";a=b\r\nhello\r\n0\r\n\r\n"),
  badChunk("a second chunk with a bad size after good data", "5\r\nhello\r\nxyz\r\n0\r\n\r\n", "hello"),
  {
    name: "extensions of every allowed form and upper-case hex are valid",
    class: "chunk-size",
    bytes: CHUNKED + '5;a;b=c ; d = "e\\"f"\r\nhello\r\nA;x=1\r\n0123456789\r\n0;last\r\n\r\n' + NEXT,
    expect: open(P("hello0123456789"), N),
    ref: "RFC 9112 §7.1, §7.1.1 (unknown extensions are ignored)",
  },
  {
    name: "chunk-size with leading zeros is valid",
    class: "chunk-size",
    bytes: CHUNKED + "0000000005\r\nhello\r\n000\r\n\r\n" + NEXT,
    expect: open(P("hello"), N),
    ref: "RFC 9112 §7.1 (chunk-size = 1*HEXDIG)",
  },
  {
    name: "chunk data holding a last chunk and a request is data",
    class: "chunk-size",
    bytes: CHUNKED + `${("0\r\n\r\n" + SMUGGLED).length.toString(16)}\r\n0\r\n\r\n${SMUGGLED}\r\n0\r\n\r\n` + NEXT,
    expect: open(P("0\r\n\r\n" + SMUGGLED), N),
    ref: "RFC 9112 §7.1 (chunk-data is opaque)",
  },
];

const chunkData: CorpusCase[] = [
  badChunk("chunk data longer than its size (TERM.SPILL)", "5\r\nhelloXX\r\n0\r\n\r\n", "hello", RFC_CHUNK, "chunk-data"),
  badChunk("chunk data ended by a bare LF", "5\r\nhello\n0\r\n\r\n", "hello", RFC_CHUNK, "chunk-data"),
  badChunk("chunk data ended by a bare CR", "5\r\nhello\rX0\r\n\r\n", "hello", RFC_CHUNK, "chunk-data"),
  badChunk("chunk data ended by CR CR LF", "5\r\nhello\r\r\n0\r\n\r\n", "hello", RFC_CHUNK, "chunk-data"),
  badChunk("chunk data without CRLF (next size glued on)", "5\r\nhello0\r\n\r\n", "hello", RFC_CHUNK, "chunk-data"),
  badChunk("chunk data shorter than its size, then the next size line", "5\r\nhel\r\n0\r\n\r\n", "hel\r\n", RFC_CHUNK, "chunk-data"),
  badChunk("the body ended by a bare LF after the last chunk", "5\r\nhello\r\n0\r\n\n", "hello", RFC_CHUNK, "chunk-data"),
  badChunk("the body ended by CR and a non-LF", "5\r\nhello\r\n0\r\n\rX", "hello", RFC_CHUNK, "chunk-data"),
];

const TRAILER = "RFC 9112 §7.1.2 (trailers are field lines; never merged into the head)";
const trailers: CorpusCase[] = [
  {
    name: "a Content-Length trailer does not change framing",
    class: "trailer",
    bytes: CHUNKED + "5\r\nhello\r\n0\r\nContent-Length: 50\r\n\r\n" + NEXT,
    expect: open(P("hello", { trailers: ["Content-Length", "50"] }), N),
    ref: TRAILER,
  },
  {
    name: "a Transfer-Encoding trailer does not change framing",
    class: "trailer",
    bytes: CHUNKED + "0\r\nTransfer-Encoding: chunked\r\nX: 1\r\n\r\n" + NEXT,
    expect: open(P("", { trailers: ["Transfer-Encoding", "chunked", "X", "1"] }), N),
    ref: TRAILER,
  },
  badChunk("obs-fold in the trailer section", "5\r\nhello\r\n0\r\nX: 1\r\n y\r\n\r\n", "hello", TRAILER + "; " + RFC_FOLD, "trailer"),
  badChunk("a bare CR inside a trailer line", "0\r\nX: 1\rY: 2\r\n\r\n", "", TRAILER + "; " + RFC_BARE_CR, "trailer"),
  badChunk("NUL in a trailer value", "0\r\nX: a\x00b\r\n\r\n", "", TRAILER + "; " + RFC_NUL, "trailer"),
  badChunk("a trailer line ended by a bare LF", "0\r\nX: 1\n\r\n", "", TRAILER + "; " + RFC_CHUNK, "trailer"),
  {
    name: "a trailer line without a colon",
    class: "trailer",
    bytes: CHUNKED + "0\r\nbad\r\n\r\n" + SMUGGLED,
    expect: fails(400, "BAD_FIELD_LINE", Pcut()),
    ref: TRAILER + "; " + RFC_FIELD,
  },
  {
    name: "a trailer with white space before the colon",
    class: "trailer",
    bytes: CHUNKED + "0\r\nX : 1\r\n\r\n" + SMUGGLED,
    expect: fails(400, "WS_BEFORE_COLON", Pcut()),
    ref: TRAILER + "; " + RFC_FIELD,
  },
];

// ---------------------------------------------------------------------------------------------
// Line ends: bare CR (always 400) and bare LF (accepted, as CPython)

const bareCR: CorpusCase[] = [
  {
    name: "a bare CR between the request line and a field",
    class: "bare-CR",
    bytes: "GET / HTTP/1.1\rHost: h\r\n\r\n" + SMUGGLED,
    expect: fails(400, "BARE_CR"),
    ref: RFC_BARE_CR,
  },
  {
    name: "the request line ended by CR CR LF",
    class: "bare-CR",
    bytes: "GET / HTTP/1.1\r\r\nHost: h\r\n\r\n",
    expect: fails(400, "BARE_CR"),
    ref: RFC_BARE_CR + "; docs/deviations.md (CPython strips it)",
  },
  {
    name: "a CR before the method",
    class: "bare-CR",
    bytes: "\rGET / HTTP/1.1\r\nHost: h\r\n\r\n",
    expect: fails(400, "BARE_CR"),
    ref: RFC_BARE_CR,
  },
  {
    name: "a CR inside the target",
    class: "bare-CR",
    bytes: "GET /a\rb HTTP/1.1\r\nHost: h\r\n\r\n",
    expect: fails(400, "BARE_CR"),
    ref: RFC_BARE_CR,
  },
  {
    name: "a CR inside a field value",
    class: "bare-CR",
    bytes: post("X: a\rb") + SMUGGLED,
    expect: fails(400, "BARE_CR"),
    ref: RFC_BARE_CR,
  },
  {
    name: "a field line ended by CR CR LF",
    class: "bare-CR",
    bytes: post("X: a\r") + SMUGGLED,
    expect: fails(400, "BARE_CR"),
    ref: RFC_BARE_CR,
  },
  {
    name: "CR LF CR then a field (the head does not end at CR LF CR, HTTP Garden S30)",
    class: "bare-CR",
    bytes: "GET / HTTP/1.1\r\nHost: h\r\n\rX: y\r\n\r\n" + SMUGGLED,
    expect: fails(400, "BARE_CR"),
    ref: RFC_BARE_CR,
  },
  {
    name: "the empty line written CR CR LF",
    class: "bare-CR",
    bytes: "GET / HTTP/1.1\r\nHost: h\r\n\r\r\n" + SMUGGLED,
    expect: fails(400, "BARE_CR"),
    ref: RFC_BARE_CR,
  },
  {
    name: "a CR inside a field name",
    class: "bare-CR",
    bytes: post("X\r: y") + SMUGGLED,
    expect: fails(400, "BARE_CR"),
    ref: RFC_BARE_CR,
  },
  {
    name: "a CR after chunked in Transfer-Encoding",
    class: "bare-CR",
    bytes: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r, identity\r\n\r\n" + HELLO_CHUNKED,
    expect: fails(400, "BARE_CR"),
    ref: RFC_BARE_CR,
  },
];

const bareLF: CorpusCase[] = [
  {
    name: "every line ended by a bare LF",
    class: "bare-LF",
    bytes: "GET /a HTTP/1.1\nHost: h\n\n",
    expect: open(G("/a")),
    ref: BARE_LF,
  },
  {
    name: "mixed CRLF and LF with a Content-Length body",
    class: "bare-LF",
    bytes: "POST / HTTP/1.1\nHost: h\r\nContent-Length: 5\n\r\nhello" + NEXT,
    expect: open(P("hello"), N),
    ref: BARE_LF,
  },
  {
    name: "the empty line as a bare LF",
    class: "bare-LF",
    bytes: "GET /a HTTP/1.1\r\nHost: h\r\n\n" + NEXT,
    expect: open(G("/a"), N),
    ref: BARE_LF,
  },
  {
    name: "a bare LF ends a field: the next line is a field of its own",
    class: "bare-LF",
    bytes: "POST / HTTP/1.1\r\nX: a\nTransfer-Encoding: chunked\r\n\r\n" + HELLO_CHUNKED + NEXT,
    expect: open(P("hello"), N),
    ref: BARE_LF,
  },
  {
    name: "a bare LF inside a value leaves a line without a colon",
    class: "bare-LF",
    bytes: post("X: a\nb c") + SMUGGLED,
    expect: fails(400, "BAD_FIELD_LINE"),
    ref: BARE_LF + "; " + RFC_FIELD,
  },
];

// ---------------------------------------------------------------------------------------------
// obs-fold, field syntax, NUL

const obsFold: CorpusCase[] = [
  {
    name: "the first field line starts with SP",
    class: "obs-fold",
    bytes: "GET / HTTP/1.1\r\n Host: h\r\n\r\n",
    expect: fails(400, "OBS_FOLD"),
    ref: RFC_FOLD,
  },
  {
    name: "the first field line starts with HTAB",
    class: "obs-fold",
    bytes: "GET / HTTP/1.1\r\n\tHost: h\r\n\r\n",
    expect: fails(400, "OBS_FOLD"),
    ref: RFC_FOLD,
  },
  {
    name: "a value continued with SP",
    class: "obs-fold",
    bytes: post("X: a", " b") + SMUGGLED,
    expect: fails(400, "OBS_FOLD"),
    ref: RFC_FOLD,
  },
  {
    name: "a value continued with HTAB",
    class: "obs-fold",
    bytes: post("X: a", "\tb") + SMUGGLED,
    expect: fails(400, "OBS_FOLD"),
    ref: RFC_FOLD,
  },
  {
    name: "a line of white space only",
    class: "obs-fold",
    bytes: post("X: a", " ") + SMUGGLED,
    expect: fails(400, "OBS_FOLD"),
    ref: RFC_FOLD,
  },
  {
    name: "a folded Connection: close",
    class: "obs-fold",
    bytes: get("/", "HTTP/1.1", "Connection: keep-alive\r\n close\r\n") + SMUGGLED,
    expect: fails(400, "OBS_FOLD"),
    ref: RFC_FOLD,
  },
  {
    name: "a folded Host",
    class: "obs-fold",
    bytes: "GET / HTTP/1.1\r\nHost:\r\n h\r\n\r\n",
    expect: fails(400, "OBS_FOLD"),
    ref: RFC_FOLD,
  },
];

const fieldSyntax: CorpusCase[] = [
  {
    name: "SP before the colon",
    class: "field-syntax",
    bytes: "GET / HTTP/1.1\r\nHost : h\r\n\r\n",
    expect: fails(400, "WS_BEFORE_COLON"),
    ref: RFC_FIELD,
  },
  {
    name: "Expect with SP before the colon",
    class: "field-syntax",
    bytes: post("Expect : 100-continue", "Content-Length: 5") + "hello",
    expect: fails(400, "WS_BEFORE_COLON"),
    ref: RFC_FIELD,
  },
  {
    name: "a field line without a colon",
    class: "field-syntax",
    bytes: "GET / HTTP/1.1\r\nHost h\r\n\r\n",
    expect: fails(400, "BAD_FIELD_LINE"),
    ref: RFC_FIELD,
  },
  {
    name: "an empty field name",
    class: "field-syntax",
    bytes: "GET / HTTP/1.1\r\n: h\r\n\r\n",
    expect: fails(400, "BAD_FIELD_LINE"),
    ref: RFC_FIELD,
  },
  {
    name: "a field name with a delimiter",
    class: "field-syntax",
    bytes: "GET / HTTP/1.1\r\nX(y): z\r\n\r\n",
    expect: fails(400, "BAD_FIELD_LINE"),
    ref: RFC_FIELD + "; RFC 9110 §5.6.2 (token)",
  },
  {
    name: "obs-text in a field name",
    class: "field-syntax",
    bytes: "GET / HTTP/1.1\r\n\xe9: y\r\n\r\n",
    expect: fails(400, "BAD_FIELD_LINE"),
    ref: RFC_FIELD + "; RFC 9110 §5.6.2",
  },
  {
    name: "DEL in a field name",
    class: "field-syntax",
    bytes: "GET / HTTP/1.1\r\nX\x7f: y\r\n\r\n",
    expect: fails(400, "BAD_FIELD_LINE"),
    ref: RFC_FIELD + "; RFC 9110 §5.6.2",
  },
  {
    name: "a bad line before Connection: close rejects the head (CPython silently ignores what follows it)",
    class: "field-syntax",
    bytes: "GET / HTTP/1.1\r\nbadline\r\nConnection: close\r\n\r\n" + SMUGGLED,
    expect: fails(400, "BAD_FIELD_LINE"),
    ref: RFC_FIELD + " (white space before the colon … row)",
  },
  {
    name: "control characters other than NUL and CR in a value are kept (as CPython)",
    class: "field-syntax",
    bytes: "GET /a HTTP/1.1\r\nX: a\x01\x7fb\r\n\r\n",
    expect: open(G("/a")),
    ref: "docs/cpython.md §1.4; RFC 9110 §5.5 (only NUL, CR, LF must be rejected)",
  },
];

const nul: CorpusCase[] = [
  { name: "NUL in a field value", class: "NUL", bytes: post("X: a\x00b") + SMUGGLED, expect: fails(400, "FIELD_NUL"), ref: RFC_NUL },
  { name: "NUL in a field name", class: "NUL", bytes: post("X\x00: b") + SMUGGLED, expect: fails(400, "FIELD_NUL"), ref: RFC_NUL },
  {
    name: "NUL at the end of a value",
    class: "NUL",
    bytes: post("Content-Length: 5\x00") + "hello" + SMUGGLED,
    expect: fails(400, "FIELD_NUL"),
    ref: RFC_NUL,
  },
  {
    name: "NUL between CR and LF",
    class: "NUL",
    bytes: post("X: a\r\x00") + SMUGGLED,
    expect: fails(400, "FIELD_NUL"),
    ref: RFC_NUL + "; " + RFC_BARE_CR,
  },
  {
    name: "NUL in the target",
    class: "NUL",
    bytes: "GET /a\x00b HTTP/1.1\r\nHost: h\r\n\r\n",
    expect: fails(400, "REQUEST_LINE_CTL"),
    ref: "RFC 9112 §3 (target: no CTL); docs/deviations.md",
  },
  {
    name: "NUL in the method",
    class: "NUL",
    bytes: "G\x00ET / HTTP/1.1\r\nHost: h\r\n\r\n",
    expect: fails(400, "REQUEST_LINE_CTL"),
    ref: "RFC 9112 §3.1 (method = token); docs/deviations.md",
  },
  {
    name: "a request line of NUL only",
    class: "NUL",
    bytes: "\x00\r\n\r\n",
    expect: fails(400, "REQUEST_LINE_CTL"),
    ref: "RFC 9112 §3; docs/deviations.md",
  },
  {
    name: "NUL in a Content-Length body is data",
    class: "NUL",
    bytes: postCL("a\x00b\x00") + NEXT,
    expect: open(P("a\x00b\x00"), N),
    ref: "RFC 9112 §6 (the body is opaque octets)",
  },
  {
    name: "NUL in chunk data is data",
    class: "NUL",
    bytes: CHUNKED + "3\r\n\x00\x00\x00\r\n0\r\n\r\n" + NEXT,
    expect: open(P("\x00\x00\x00"), N),
    ref: "RFC 9112 §7.1 (chunk-data is opaque)",
  },
];

// ---------------------------------------------------------------------------------------------
// Oversized lines and heads

const MAX = 65536;
const longTarget = (lineBytes: number) => "/" + "a".repeat(lineBytes - "GET / HTTP/1.1\r\n".length);
const longField = (lineBytes: number) => "X: " + "v".repeat(lineBytes - "X: \r\n".length);
const manyFields = (n: number) => Array.from({ length: n }, (_, i) => `X-${i}: ${i}\r\n`).join("");

const oversize: CorpusCase[] = [
  {
    name: "a request line of 65,536 bytes with its CRLF is accepted",
    class: "oversize",
    bytes: `GET ${longTarget(MAX)} HTTP/1.1\r\n\r\n`,
    expect: open(G(longTarget(MAX))),
    ref: "docs/cpython.md §1.1 (readline(65537): more than 65,536 bytes is too long)",
  },
  {
    name: "a request line of 65,537 bytes → 414",
    class: "oversize",
    bytes: `GET ${longTarget(MAX + 1)} HTTP/1.1\r\n\r\n`,
    expect: { requests: [], error: { status: 414, code: "LINE_TOO_LONG", message: "URI Too Long" }, closes: true },
    ref: "issue 2: request line > 65,536 bytes → 414; RFC 9112 §3",
  },
  {
    name: "70,000 bytes without a line end → 414 before the line ends",
    class: "oversize",
    bytes: "GET /" + "a".repeat(70_000),
    expect: { requests: [], error: { status: 414, code: "LINE_TOO_LONG", message: "URI Too Long" }, closes: true },
    ref: "issue 2; bounded memory (Standards: nothing a client sends can grow memory without bound)",
  },
  {
    name: "a field line of 65,536 bytes with its CRLF is accepted",
    class: "oversize",
    bytes: `GET /a HTTP/1.1\r\n${longField(MAX)}\r\n\r\n`,
    expect: open(G("/a")),
    ref: "docs/cpython.md §1.2",
  },
  {
    name: "a field line of 65,537 bytes → 431 Line too long",
    class: "oversize",
    bytes: `GET /a HTTP/1.1\r\n${longField(MAX + 1)}\r\n\r\n` + SMUGGLED,
    expect: { requests: [], error: { status: 431, code: "FIELD_LINE_TOO_LONG", message: "Line too long" }, closes: true },
    ref: "issue 2: field line > 65,536 → 431 `Line too long`",
  },
  {
    name: "a field line growing without a line end → 431 Line too long",
    class: "oversize",
    bytes: `GET /a HTTP/1.1\r\nX: ${"v".repeat(70_000)}`,
    expect: { requests: [], error: { status: 431, code: "FIELD_LINE_TOO_LONG", message: "Line too long" }, closes: true },
    ref: "issue 2; bounded memory",
  },
  {
    name: "99 field lines are accepted",
    class: "oversize",
    bytes: `GET /a HTTP/1.1\r\n${manyFields(99)}\r\n`,
    expect: open(G("/a")),
    ref: "docs/cpython.md §1.2 (at most 99 fields)",
  },
  {
    name: "100 field lines → 431 Too many headers",
    class: "oversize",
    bytes: `GET /a HTTP/1.1\r\n${manyFields(100)}\r\n` + SMUGGLED,
    expect: { requests: [], error: { status: 431, code: "TOO_MANY_FIELDS", message: "Too many headers" }, closes: true },
    ref: "issue 2: too many fields → 431 `Too many headers`",
  },
  {
    name: "a head over 1 MiB of valid field lines → 431",
    class: "oversize",
    bytes: `GET /a HTTP/1.1\r\n${Array.from({ length: 20 }, (_, i) => `X-${i}: ${"v".repeat(60_000)}\r\n`).join("")}\r\n`,
    expect: fails(431, "HEAD_TOO_LARGE"),
    ref: "docs/deviations.md `limits` (1 MiB for the whole head → 431)",
  },
  badChunk(
    "a chunk-size line over 4 KiB (a long extension)",
    `5;x=${"y".repeat(4100)}\r\nhello\r\n0\r\n\r\n`,
    "",
    "docs/deviations.md `chunked framing` (chunk lines ≤ 4 KiB → 400)",
    "oversize",
  ),
  {
    name: "150 trailer fields → 431",
    class: "oversize",
    bytes: CHUNKED + "0\r\n" + manyFields(150) + "\r\n" + SMUGGLED,
    expect: fails(431, "BAD_CHUNKED", Pcut()),
    ref: "issue 2: too many fields → 431 (trailer fields are limited like header fields, ConnectionLimits.maxFieldLines)",
  },
  {
    name: "a trailer section over 64 KiB → 431",
    class: "oversize",
    bytes: CHUNKED + `5\r\nhello\r\n0\r\nX: ${"t".repeat(70_000)}\r\n\r\n` + SMUGGLED,
    expect: fails(431, "BAD_CHUNKED", Pcut("hello")),
    ref: "ConnectionLimits.maxTrailerBytes (65,536); RFC 9110 §5.4 (a 4xx for fields too large)",
  },
];

// ---------------------------------------------------------------------------------------------
// Pipelining and floods

const FLOOD = 10_000;
const tinyGets = (n: number, prefix = "/") => Array.from({ length: n }, (_, i) => get(`${prefix}${i}`)).join("");
const tinyGetReqs = (n: number, prefix = "/") => Array.from({ length: n }, (_, i) => G(`${prefix}${i}`));
const bigBody = "b".repeat(DRAIN_LIMIT + 40_000);

const pipelining: CorpusCase[] = [
  {
    name: "two requests in one buffer are delivered in order",
    class: "pipelining",
    bytes: get("/1") + get("/2"),
    expect: open(G("/1"), G("/2")),
    ref: PIPE,
  },
  {
    name: `a flood of ${FLOOD} tiny requests in one buffer, then EOF`,
    class: "pipelining",
    bytes: tinyGets(FLOOD),
    eof: true,
    expect: closes(...tinyGetReqs(FLOOD)),
    ref: PIPE + "; RFC 9112 §9.6 (EOF between requests)",
  },
  {
    name: "Connection: close ends the connection: the next request is never delivered",
    class: "pipelining",
    bytes: get("/1", "HTTP/1.1", "Connection: close\r\n") + SMUGGLED,
    expect: closes(G("/1")),
    ref: "RFC 9112 §9.6 (after close, process no further requests)",
  },
  {
    name: "close in a Connection token list ends the connection",
    class: "pipelining",
    bytes: get("/1", "HTTP/1.1", "Connection: keep-alive, CLOSE\r\n") + SMUGGLED,
    expect: closes(G("/1")),
    ref: "RFC 9112 §9.6; docs/deviations.md `Connection` (a token list)",
  },
  {
    name: "an HTTP/1.0 request without keep-alive ends the connection",
    class: "pipelining",
    bytes: get("/1", "HTTP/1.0", "") + SMUGGLED,
    expect: closes(G("/1")),
    ref: "RFC 9112 §9.3; docs/cpython.md §1.3",
  },
  {
    name: "an HTTP/1.0 request with Connection: keep-alive persists (HTTP/1.1 server)",
    class: "pipelining",
    bytes: get("/1", "HTTP/1.0", "Connection: keep-alive\r\n") + NEXT,
    expect: open(G("/1"), N),
    ref: "docs/cpython.md §1.3",
  },
  {
    name: "an HTTP/0.9 request ends the connection; later bytes are not parsed",
    class: "pipelining",
    bytes: "GET /x\r\n" + SMUGGLED,
    expect: closes(G("/x")),
    ref: "docs/cpython.md §1.2 (no field lines; close)",
  },
  {
    name: "Content-Length and chunked bodies between pipelined requests",
    class: "pipelining",
    bytes: postCL("abc") + CHUNKED + HELLO_CHUNKED + get("/3") + postCL("") + NEXT,
    expect: open(P("abc"), P("hello"), G("/3"), P(), N),
    ref: PIPE + "; RFC 9112 §6.3",
  },
  {
    name: "1,000 pipelined POSTs with Content-Length and chunked bodies",
    class: "pipelining",
    bytes: Array.from({ length: 1000 }, (_, i) =>
      i % 2 === 0 ? postCL(`body${i}`) : CHUNKED + `${`c${i}`.length.toString(16)}\r\nc${i}\r\n0\r\n\r\n`,
    ).join(""),
    expect: open(...Array.from({ length: 1000 }, (_, i) => P(i % 2 === 0 ? `body${i}` : `c${i}`))),
    ref: PIPE,
  },
  {
    name: "a flood behind a body too large to drain is never parsed",
    class: "pipelining",
    bytes: postCL(bigBody) + tinyGets(1000, "/smuggled"),
    server: { respond: "before-body" },
    expect: closes(Pcut()),
    ref: "issue 2: unread body drained up to a limit or the connection closes — never parsed as the next request; RFC 9112 §9.3",
  },
  {
    name: "a flood behind a small unread body is served once the body is drained",
    class: "pipelining",
    bytes: postCL("x".repeat(1000)) + tinyGets(1000),
    server: { respond: "before-body" },
    expect: open(P(), ...tinyGetReqs(1000)),
    ref: "issue 2 (drain up to a limit); RFC 9112 §9.3 (read the whole body or close)",
  },
  {
    name: "a flood behind an unread chunked body too large to drain is never parsed",
    class: "pipelining",
    bytes: CHUNKED + `${bigBody.length.toString(16)}\r\n${bigBody}\r\n0\r\n\r\n` + tinyGets(100, "/smuggled"),
    server: { respond: "before-body" },
    expect: closes(Pcut()),
    ref: "issue 2 (drain up to a limit or close)",
  },
  {
    name: "Connection: close with an unread body holding a request: nothing after the head is parsed",
    class: "pipelining",
    bytes: postCL(SMUGGLED, "Connection: close") + SMUGGLED,
    server: { respond: "before-body" },
    expect: closes(Pcut()),
    ref: "RFC 9112 §9.6 (after close, process no further requests), §9.3 (read the body or close)",
  },
  {
    name: "a flood behind a malformed request is never parsed",
    class: "pipelining",
    bytes: get("/1") + "GET /2 HTTP/1.1\r\nX : y\r\n\r\n" + tinyGets(1000, "/smuggled"),
    expect: fails(400, "WS_BEFORE_COLON", G("/1")),
    ref: "HTTP Garden S47 (no resynchronization after an error); RFC 9112 §9.6",
  },
  {
    name: "a malformed request after a valid one does not affect the first (HTTP Garden S45)",
    class: "pipelining",
    bytes: get("/1") + "\x00garbage\r\n\r\n",
    expect: fails(400, "REQUEST_LINE_CTL", G("/1")),
    ref: "docs/protocol.md §2",
  },
  {
    name: "an empty line between pipelined requests closes without an answer (as CPython)",
    class: "pipelining",
    bytes: get("/1") + "\r\n" + SMUGGLED,
    expect: fails(0, "EMPTY_REQUEST_LINE", G("/1")),
    ref: "docs/cpython.md §1.2 (blank line: close, no answer); RFC 9112 §2.2 SHOULD ignore is a choice",
  },
];

// ---------------------------------------------------------------------------------------------
// Expect: 100-continue

const EXPECT = "RFC 9110 §10.1.1; issue 2 (Expect: 100-continue); RFC 9112 §9.3 (read the body or close)";
const expectCases: CorpusCase[] = [
  {
    name: "100-continue: the server sends 100 and reads the body",
    class: "expect",
    bytes: postCL("hello", "Expect: 100-continue") + NEXT,
    server: { send100: true },
    expect: open(P("hello"), N),
    ref: EXPECT,
  },
  {
    name: "100-continue answered without 100: the body (a request) is not drained and never parsed",
    class: "expect",
    bytes: postCL(SMUGGLED, "Expect: 100-continue") + SMUGGLED,
    server: { respond: "before-body" },
    expect: closes(Pcut()),
    ref: EXPECT + "; docs/protocol.md §2 (Expect-based desync)",
  },
  {
    name: "100-CONTINUE in upper case also waits: not drained",
    class: "expect",
    bytes: postCL("hello", "Expect: 100-CONTINUE") + SMUGGLED,
    server: { respond: "before-body" },
    expect: closes(Pcut()),
    ref: EXPECT + " (case-insensitive token); docs/deviations.md `Expect`",
  },
  {
    name: "100-continue: 100 sent, then an early answer: the body is drained",
    class: "expect",
    bytes: postCL("hello", "Expect: 100-continue") + NEXT,
    server: { respond: "before-body", send100: true },
    expect: open(P(), N),
    ref: EXPECT,
  },
  {
    name: "Expect from an HTTP/1.0 client is ignored: the body may be drained",
    class: "expect",
    bytes: "POST / HTTP/1.0\r\nConnection: keep-alive\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello" + NEXT,
    server: { respond: "before-body" },
    expect: open(P(), N),
    ref: "RFC 9110 §10.1.1 (ignore 100-continue from HTTP/1.0)",
  },
  {
    name: "Expect without a body changes nothing",
    class: "expect",
    bytes: get("/a", "HTTP/1.1", "Expect: 100-continue\r\n") + NEXT,
    server: { respond: "before-body" },
    expect: open(G("/a"), N),
    ref: "docs/deviations.md `Expect` (only requests with a body); Expect never changes framing",
  },
  {
    name: "an Expect value that is not the token does not wait",
    class: "expect",
    bytes: postCL("hello", "Expect: 100-continue\x0b") + NEXT,
    server: { respond: "before-body" },
    expect: open(P(), N),
    ref: EXPECT + " (exact token match)",
  },
];

// ---------------------------------------------------------------------------------------------
// Request line

const requestLine: CorpusCase[] = [
  {
    name: "several spaces between the words (as CPython)",
    class: "request-line",
    bytes: "GET  /a   HTTP/1.1\r\n\r\n",
    expect: open(G("/a")),
    ref: "docs/design.md (several spaces); docs/cpython.md §1.2",
  },
  {
    name: "HTAB between the words (Python white space)",
    class: "request-line",
    bytes: "GET\t/a\tHTTP/1.1\r\n\r\n",
    expect: open(G("/a")),
    ref: "docs/cpython.md §1.2",
  },
  {
    name: "a space inside the target: four words → 400",
    class: "request-line",
    bytes: "GET /a b HTTP/1.1\r\n\r\n",
    expect: fails(400, "REQUEST_LINE_WORDS"),
    ref: "docs/cpython.md §1.2; RFC 9112 §3.2",
  },
  {
    name: "HTTP/2.0 → 505",
    class: "request-line",
    bytes: "GET / HTTP/2.0\r\n\r\n",
    expect: fails(505, "VERSION_NOT_SUPPORTED"),
    ref: "docs/cpython.md §1.2; RFC 9110 §15.6.6",
  },
  {
    name: "a lower-case version → 400",
    class: "request-line",
    bytes: "GET / http/1.1\r\n\r\n",
    expect: fails(400, "BAD_VERSION"),
    ref: "RFC 9112 §2.3 (case-sensitive); docs/cpython.md §1.2",
  },
  {
    name: "an empty request line closes without an answer",
    class: "request-line",
    bytes: "\r\n" + SMUGGLED,
    expect: fails(0, "EMPTY_REQUEST_LINE"),
    ref: "docs/cpython.md §1.2",
  },
  {
    name: "the HTTP/2 connection preface → 505",
    class: "request-line",
    bytes: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + SMUGGLED,
    expect: fails(505, "VERSION_NOT_SUPPORTED"),
    ref: "RFC 9110 §15.6.6; docs/cpython.md §1.2",
  },
  {
    name: "a TLS ClientHello on the plain HTTP port (no LF in it) is rejected at once",
    class: "request-line",
    // A TLS 1.2 record header and the start of a ClientHello, random bytes without 0x0A.
    bytes: Uint8Array.from([
      0x16,
      0x03,
      0x01,
      0x02,
      0x00,
      0x01,
      0x00,
      0x01,
      0xfc,
      0x03,
      0x03,
      ...Array.from({ length: 64 }, (_, i) => (i * 37 + 11) % 256 || 1).map((b) => (b === 0x0a ? 0x0b : b)),
    ]),
    expect: { requests: [], error: { status: 400, code: "REQUEST_LINE_CTL", message: "Bad request syntax ('\\x16')" }, closes: true },
    ref: "RFC 9112 §3.1 (method = token); docs/protocol.md §1 (h11's early garbage detection); docs/deviations.md",
  },
  {
    name: "HTTP/01.1 is 1.1 and persists",
    class: "request-line",
    bytes: "GET /a HTTP/01.1\r\n\r\n" + NEXT,
    expect: open(G("/a"), N),
    ref: "docs/deviations.md `version comparisons` (numbers)",
  },
  {
    name: "HTTP/1.2 is served as HTTP/1.1",
    class: "request-line",
    bytes: "GET /a HTTP/1.2\r\n\r\n" + NEXT,
    expect: open(G("/a"), N),
    ref: "RFC 9110 §2.5 (a higher minor version is processed as the highest supported)",
  },
  {
    name: "a version number of 11 digits → 400",
    class: "request-line",
    bytes: "GET / HTTP/1.00000000001\r\n\r\n",
    expect: fails(400, "BAD_VERSION"),
    ref: "docs/cpython.md §1.2 (at most 10 digits)",
  },
  {
    name: "two words, not GET → 400",
    class: "request-line",
    bytes: "POST /\r\nContent-Length: 5\r\n\r\nhello",
    expect: fails(400, "HTTP09_METHOD"),
    ref: "docs/cpython.md §1.2",
  },
];

// ---------------------------------------------------------------------------------------------
// EOF in every parser state

const eofCase = (name: string, bytes: string, expect: ExpectedOutcome, ref: string): CorpusCase => ({
  name,
  class: "EOF",
  bytes,
  eof: true,
  expect,
  ref,
});
const incomplete = (body = "") => fails(400, "INCOMPLETE_BODY", Pcut(body));
const eof: CorpusCase[] = [
  eofCase("EOF before any byte", "", closes(), "docs/cpython.md §1.1 (empty read: close silently)"),
  eofCase("EOF inside the method", "GE", fails(400, "REQUEST_LINE_WORDS"), EOF_HEAD + "; §1.2 step 5 (one word)"),
  eofCase("EOF inside the version", "GET / HT", fails(400, "BAD_VERSION"), EOF_HEAD + "; §1.2 step 4"),
  eofCase("EOF at the end of the request line, before CRLF", "GET /a HTTP/1.1", closes(G("/a")), EOF_HEAD),
  eofCase("EOF between CR and LF of the request line", "GET /a HTTP/1.1\r", closes(G("/a")), EOF_HEAD),
  eofCase("EOF right after the request line", "GET /a HTTP/1.1\r\n", closes(G("/a")), EOF_HEAD),
  eofCase("EOF inside a field line", "GET /a HTTP/1.1\r\nHost: h", closes(G("/a")), EOF_HEAD),
  eofCase("EOF inside a field name (no colon yet)", "GET /a HTTP/1.1\r\nHos", fails(400, "BAD_FIELD_LINE"), EOF_HEAD + "; " + RFC_FIELD),
  eofCase("EOF after a field line", "GET /a HTTP/1.1\r\nHost: h\r\n", closes(G("/a")), EOF_HEAD),
  eofCase("EOF after the CR of the empty line", "GET /a HTTP/1.1\r\nHost: h\r\n\r", closes(G("/a")), EOF_HEAD),
  eofCase(
    "EOF inside a head with Content-Length: the body is incomplete",
    "POST / HTTP/1.1\r\nContent-Length: 5",
    incomplete(),
    EOF_HEAD + "; " + EOF_BODY,
  ),
  eofCase("EOF right after a head with Content-Length", post("Content-Length: 5"), incomplete(), EOF_BODY),
  eofCase("EOF inside a Content-Length body", post("Content-Length: 5") + "hel", incomplete("hel"), EOF_BODY),
  eofCase("EOF after a complete Content-Length body", postCL("hello"), closes(P("hello")), "RFC 9112 §9.6"),
  eofCase("EOF right after a chunked head", CHUNKED, incomplete(), EOF_BODY),
  eofCase("EOF inside the chunk-size", CHUNKED + "1", incomplete(), EOF_BODY),
  eofCase("EOF inside a chunk extension", CHUNKED + '5;a="b', incomplete(), EOF_BODY),
  eofCase("EOF between CR and LF of the chunk-size line", CHUNKED + "5\r", incomplete(), EOF_BODY),
  eofCase("EOF right after the chunk-size line", CHUNKED + "5\r\n", incomplete(), EOF_BODY),
  eofCase("EOF inside chunk data", CHUNKED + "5\r\nhel", incomplete("hel"), EOF_BODY),
  eofCase("EOF after chunk data, before its CRLF", CHUNKED + "5\r\nhello", incomplete("hello"), EOF_BODY),
  eofCase("EOF between CR and LF after chunk data", CHUNKED + "5\r\nhello\r", incomplete("hello"), EOF_BODY),
  eofCase("EOF after a chunk, before the next size", CHUNKED + "5\r\nhello\r\n", incomplete("hello"), EOF_BODY),
  eofCase("EOF inside the last-chunk line", CHUNKED + "5\r\nhello\r\n0\r", incomplete("hello"), EOF_BODY),
  eofCase("EOF after the last-chunk line", CHUNKED + "0\r\n", incomplete(), EOF_BODY),
  eofCase("EOF inside a trailer line", CHUNKED + "0\r\nX: y", incomplete(), EOF_BODY),
  eofCase("EOF after a trailer line", CHUNKED + "0\r\nX: y\r\n", incomplete(), EOF_BODY),
  eofCase("EOF between CR and LF of the final line", CHUNKED + "0\r\n\r", incomplete(), EOF_BODY),
  eofCase("EOF after a complete chunked body", CHUNKED + HELLO_CHUNKED, closes(P("hello")), "RFC 9112 §9.6"),
  eofCase("EOF between pipelined requests", get("/1") + get("/2"), closes(G("/1"), G("/2")), PIPE + "; RFC 9112 §9.6"),
  eofCase("EOF inside the second pipelined request line", get("/1") + "GET /2 HT", fails(400, "BAD_VERSION", G("/1")), EOF_HEAD),
  eofCase(
    "EOF inside the body of the second pipelined request",
    get("/1") + postCL("hello").slice(0, -2),
    fails(400, "INCOMPLETE_BODY", G("/1"), Pcut("hel")),
    EOF_BODY,
  ),
];

/** The whole corpus. */
export const CORPUS: readonly CorpusCase[] = [
  ...clte,
  ...tete,
  ...cl,
  ...chunkSize,
  ...chunkData,
  ...trailers,
  ...bareCR,
  ...bareLF,
  ...obsFold,
  ...fieldSyntax,
  ...nul,
  ...oversize,
  ...pipelining,
  ...expectCases,
  ...requestLine,
  ...eof,
];
