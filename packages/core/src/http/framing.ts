/**
 * Message framing and persistence decisions: how long a request body is (RFC 9112 §6), whether
 * the connection may carry another request (RFC 9112 §9.3), and how a response is delimited.
 * Pure functions of already-parsed values.
 * @module
 */

import { type RequestLineContext, ProtocolError } from "./errors.ts";
import type { FieldSummary } from "./head.ts";
import { listElements, listHasToken } from "./head.ts";
import { pyRepr } from "./repr.ts";

/** How a request body is delimited. */
export type BodyKind = "none" | "length" | "chunked";

/** A request body's framing: kind and, for `"length"`, its size in bytes. */
export interface RequestFraming {
  kind: BodyKind;
  /** Body size in bytes for `"length"`; 0 otherwise. */
  length: number;
}

/** The framing of a request without `Content-Length` and `Transfer-Encoding` (shared). */
export const NO_BODY: RequestFraming = Object.freeze({ kind: "none", length: 0 });

/**
 * Decides how the body of a request is framed, from its field lines (RFC 9112 §6.1–§6.3):
 *
 * - `Transfer-Encoding` together with `Content-Length` → 400 (a smuggling vector; §6.1 allows
 *   rejecting it and requires closing in any case).
 * - `Transfer-Encoding` in a request below HTTP/1.1 → 400 (§6.1: faulty framing).
 * - `Transfer-Encoding` with `chunked` present but not last → 400 (§6.3 rule 4); `chunked` more
 *   than once, with parameters, or an empty value → 400 (§6.1, §7); otherwise a coding other
 *   than `chunked` → 501 (§6.1).
 * - `Content-Length` repeated, or not 1*DIGIT, or above 2^53 - 1 → 400 (§6.3 rule 5).
 * - Otherwise a `Content-Length` body, or no body at all (§6.3 rule 7).
 *
 * @param major the request's major version, @param minor its minor version.
 * @param context the request line, for the errors.
 * @returns the framing or a {@link ProtocolError} (with status 400 or 501).
 */
export function requestFraming(
  summary: FieldSummary,
  major: number,
  minor: number,
  context: RequestLineContext,
): RequestFraming | ProtocolError {
  const fail = (status: number, code: string, message: string, explain: string) =>
    new ProtocolError(status, code, message, explain, context);
  if (summary.transferEncoding !== null) {
    if (summary.contentLengthCount > 0) {
      return fail(
        400,
        "CL_TE",
        "Content-Length with Transfer-Encoding",
        "A request must not carry both Content-Length and Transfer-Encoding (RFC 9112 §6.1).",
      );
    }
    if (major < 1 || (major === 1 && minor < 1)) {
      return fail(400, "TE_HTTP10", "Transfer-Encoding in an HTTP/1.0 request", "Transfer-Encoding requires HTTP/1.1 (RFC 9112 §6.1).");
    }
    const codings = listElements(summary.transferEncoding);
    let chunked = 0;
    let unknown: string | null = null;
    for (const coding of codings) {
      const lower = coding.toLowerCase();
      if (lower === "chunked") chunked++;
      else if (lower.startsWith("chunked") && /^chunked[ \t]*;/.test(lower)) {
        return fail(400, "TE_PARAMS", "Bad Transfer-Encoding", "The chunked transfer coding takes no parameters (RFC 9112 §7).");
      } else if (unknown === null) unknown = coding;
    }
    // Framing errors (400) before unsupported codings (501): with chunked anywhere but last the
    // body length cannot be determined, and §6.3 rule 4 requires 400 and closing.
    if (chunked > 0 && codings[codings.length - 1].toLowerCase() !== "chunked") {
      return fail(
        400,
        "TE_CHUNKED_NOT_LAST",
        "Bad Transfer-Encoding",
        "The chunked transfer coding must be the final coding (RFC 9112 §6.3).",
      );
    }
    if (unknown !== null && chunked <= 1) {
      return fail(
        501,
        "TE_UNSUPPORTED",
        `Unsupported transfer coding (${pyRepr(unknown)})`,
        "Only the chunked transfer coding is supported (RFC 9112 §6.1).",
      );
    }
    if (chunked !== 1) {
      return fail(
        400,
        "TE_BAD",
        "Bad Transfer-Encoding",
        chunked === 0
          ? "Transfer-Encoding is empty (RFC 9112 §6.1)."
          : "The chunked transfer coding must be applied exactly once (RFC 9112 §6.1).",
      );
    }
    return { kind: "chunked", length: 0 };
  }
  if (summary.contentLengthCount === 0) return NO_BODY;
  if (summary.contentLengthCount > 1) {
    return fail(400, "CL_REPEATED", "Repeated Content-Length", "Content-Length must be sent once (RFC 9112 §6.3).");
  }
  const value = summary.contentLength;
  const length = parseDecimal(value);
  if (length < 0) {
    return fail(
      400,
      "CL_INVALID",
      `Invalid Content-Length (${pyRepr(value)})`,
      "Content-Length must be a decimal number of bytes (RFC 9112 §6.3).",
    );
  }
  return length === 0 ? NO_BODY : { kind: "length", length };
}

/**
 * Parses a server's `protocolVersion` (e.g. `"HTTP/1.1"`) into `[major, minor]`; anything that is
 * not `HTTP/<digits>.<digits>` counts as HTTP/1.0. (CPython compares the strings instead, so
 * `"foo" >= "HTTP/1.1"`; docs/deviations.md.)
 */
export function protocolVersionNumber(protocolVersion: string): [number, number] {
  const m = /^HTTP\/(\d+)\.(\d+)$/.exec(protocolVersion);
  return m === null ? [1, 0] : [Number(m[1]), Number(m[2])];
}

/**
 * Whether a request leaves the connection open for another (CPython's `close_connection`
 * logic, docs/cpython.md §1.3, with `Connection` read as a token list, RFC 9112 §9.3):
 *
 * - HTTP/0.9 never persists;
 * - a `close` token ends the connection;
 * - a `keep-alive` token keeps it open when the server speaks HTTP/1.1 or later (even for an
 *   HTTP/1.0 request, as CPython);
 * - otherwise it persists when both the request and the server are HTTP/1.1 or later.
 *
 * @param connection the request's `Connection` values joined with `,`, or `null`.
 * @param serverMajor / @param serverMinor the server's protocol version.
 */
export function requestKeepAlive(
  major: number,
  minor: number,
  connection: string | null,
  serverMajor: number,
  serverMinor: number,
): boolean {
  if (major < 1) return false;
  const server11 = serverMajor > 1 || (serverMajor === 1 && serverMinor >= 1);
  if (connection !== null) {
    if (listHasToken(connection, "close")) return false;
    if (server11 && listHasToken(connection, "keep-alive")) return true;
  }
  return server11 && (major > 1 || minor >= 1);
}

/**
 * Whether a request asks for `100 Continue` (RFC 9110 §10.1.1): HTTP/1.1 or later, an `Expect`
 * list holding `100-continue` (case-insensitive), and a body to send.
 */
export function expectsContinue(major: number, minor: number, expect: string | null, framing: RequestFraming): boolean {
  return (major > 1 || (major === 1 && minor >= 1)) && framing.kind !== "none" && listHasToken(expect, "100-continue");
}

/** How a response body is delimited (RFC 9112 §6.3). */
export type ResponseFramingKind = "none" | "length" | "chunked" | "close";

/**
 * Decides how a response is delimited from its status and field lines (RFC 9112 §6.3 rules 1–3
 * and 7): no body for HEAD, 1xx, 204 and 304; `Transfer-Encoding` ending in `chunked` (only to
 * an HTTP/1.1 client); a single valid `Content-Length`; otherwise the body runs to the close.
 *
 * @param isHead the request method is HEAD.
 * @param peerHttp11 the request was HTTP/1.1 or later.
 */
export function responseFraming(
  status: number,
  isHead: boolean,
  peerHttp11: boolean,
  contentLengths: string[],
  transferEncoding: string | null,
): { kind: ResponseFramingKind; length: number } {
  if (isHead || (status >= 100 && status < 200) || status === 204 || status === 304) return { kind: "none", length: 0 };
  if (transferEncoding !== null) {
    const codings = listElements(transferEncoding);
    const last = codings.length > 0 ? codings[codings.length - 1].toLowerCase() : "";
    return { kind: last === "chunked" && peerHttp11 ? "chunked" : "close", length: 0 };
  }
  if (contentLengths.length === 1) {
    const length = parseDecimal(contentLengths[0]);
    if (length >= 0) return { kind: "length", length };
  }
  return { kind: "close", length: 0 };
}

/**
 * Parses `1*DIGIT` (RFC 9112 §6.3) into a number; -1 if `value` is empty, has any other
 * character, or exceeds 2^53 - 1.
 */
export function parseDecimal(value: string): number {
  if (value.length === 0) return -1;
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const d = value.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
    if (n > Number.MAX_SAFE_INTEGER) return -1;
  }
  return n;
}
