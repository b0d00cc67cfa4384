/**
 * The response side of a connection: what has been sent of the current response, whether it is
 * delimited (RFC 9112 §6.3), and the bytes of its head, checked so that nothing can split it
 * (RFC 9112 §11.1): field names must be tokens; field values, reason phrases and versions must be
 * free of CR, LF and NUL and fit ISO-8859-1. Violations throw; nothing is silently repaired.
 * @module
 */

import { allocBytes, isToken, latin1Write } from "./chars.ts";
import { ChunkedDecoder } from "./chunked.ts";
import { LocalProtocolError } from "./errors.ts";
import type { RequestEvent } from "./events.ts";
import { type ResponseFramingKind, responseFraming } from "./framing.ts";

/** Description of a response head for `ServerConnection.sendHead`. */
export interface ResponseHead {
  /** Protocol version for the status line, inserted verbatim (the handler's `protocolVersion`). */
  version: string;
  /** Status code, or `undefined` when the head holds only field lines (no status line). */
  status?: number;
  /** Reason phrase (may be empty). */
  reason?: string;
  /**
   * Field lines, flat `[name, value, …]`. Each name must be a token and each value free of CR, LF
   * and NUL, ISO-8859-1 text ({@link checkFieldName}, {@link checkFieldValue}).
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

function checkText(what: string, s: string): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x0d || c === 0x0a || c === 0) {
      throw new LocalProtocolError(`${what} must not contain CR, LF or NUL: ${JSON.stringify(s)}`);
    }
    if (c > 0xff) throw new LocalProtocolError(`${what} must be ISO-8859-1 text: ${JSON.stringify(s)}`);
  }
}

/**
 * Checks a response field-name: a non-empty token (RFC 9110 §5.1).
 * @throws {LocalProtocolError} otherwise.
 */
export function checkFieldName(name: string): void {
  if (!isToken(name)) throw new LocalProtocolError(`field-name must be a token: ${JSON.stringify(name)}`);
}

/** The last field values that passed {@link checkFieldValue}. */
const checked: string[] = ["", "", "", ""];
let checkedNext = 0;

/**
 * Checks a response field-value: no CR, LF or NUL (RFC 9110 §5.5), characters up to U+00FF.
 * @throws {LocalProtocolError} otherwise.
 */
export function checkFieldValue(value: string): void {
  // Most responses repeat the values of the previous one (Server, Date for a whole second, the
  // content type): remember the last few that passed.
  if (value === checked[0] || value === checked[1] || value === checked[2] || value === checked[3]) return;
  checkText("field-value", value);
  checked[checkedNext] = value;
  checkedNext = (checkedNext + 1) & 3;
}

/**
 * Checks a reason phrase or protocol version for a status line: no CR, LF or NUL, characters
 * up to U+00FF (RFC 9112 §4).
 * @throws {LocalProtocolError} otherwise.
 */
export function checkStatusLineText(what: string, s: string): void {
  checkText(what, s);
}

/** What has been sent of a response: nothing yet, a framed head, or bytes the framing cannot tell. */
type Sent = "pending" | ResponseFramingKind | "raw";

/**
 * The current response of a connection, from its first head to its last byte: interim heads,
 * the final head and how it delimits the body, the body bytes against that framing.
 */
export class Response {
  #sent: Sent = "pending";
  #remaining = 0;
  #observer: ChunkedDecoder | null = null;
  #broken = false;
  /** `100 Continue` was sent for this request. */
  continueSent = false;

  /** Starts over for the next request. */
  reset(): void {
    this.#sent = "pending";
    this.#remaining = 0;
    this.#observer = null;
    this.#broken = false;
    this.continueSent = false;
  }

  /** True once a final head, or bytes without one, were sent: the body is under way. */
  get started(): boolean {
    return this.#sent !== "pending";
  }

  /**
   * The bytes of a response head for `request`, after checking every text in it; records what
   * the head says about framing. A head with status 100–199 is interim (for HTTP/1.1 clients
   * only). A head without a status line, an unfinished head, or a second final head makes the
   * rest of the response raw bytes, delimited by closing.
   * @throws {LocalProtocolError} for an interim response to an HTTP/1.0 client (RFC 9110 §15.2)
   *   or text that fails the checks. Nothing is recorded when it throws.
   */
  head(head: ResponseHead, request: RequestEvent | null): Uint8Array {
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
    if (interim && this.#sent === "pending") {
      if (request !== null && (request.major < 1 || (request.major === 1 && request.minor < 1))) {
        throw new LocalProtocolError("an interim (1xx) response must not be sent to an HTTP/1.0 client");
      }
      if (status === 100) this.continueSent = true;
      return encodeHead(head.version, status, reason, fields, false, true);
    }
    if (this.#sent !== "pending" || status === undefined || !head.complete) {
      this.#sent = "raw";
      return encodeHead(head.version, status, reason, fields, false, head.complete);
    }
    const lengths: string[] = [];
    let te: string | null = null;
    let hasConnection = false;
    for (let i = 0; i < fields.length; i += 2) {
      const name = fields[i];
      if (name.length === 14 && name.toLowerCase() === "content-length") lengths.push(fields[i + 1]);
      else if (name.length === 17 && name.toLowerCase() === "transfer-encoding")
        te = te === null ? fields[i + 1] : te + "," + fields[i + 1];
      else if (name.length === 10 && name.toLowerCase() === "connection") hasConnection = true;
    }
    const peer11 = request !== null && (request.major > 1 || (request.major === 1 && request.minor >= 1));
    // A 2xx to CONNECT starts a tunnel right after the head (RFC 9112 §6.3 rule 2): no body framing.
    const tunnel = request?.method === "CONNECT" && status >= 200 && status < 300;
    const framing = tunnel ? TUNNEL : responseFraming(status, request?.method === "HEAD", peer11, lengths, te);
    this.#sent = framing.kind;
    this.#remaining = framing.length;
    if (framing.kind === "chunked") this.#observer = new ChunkedDecoder({ maxLineBytes: 1 << 20, maxTrailerBytes: 1 << 20 });
    const addClose = framing.kind === "close" && head.keepAlive && !hasConnection && request !== null && !request.simple;
    return encodeHead(head.version, status, reason, fields, addClose, true);
  }

  /**
   * Records body bytes sent. Bytes before any head, beyond `Content-Length`, after the end of a
   * chunked body, or in a response that has no body (HEAD, 204, 304) break the framing: the
   * connection must then close after this response.
   */
  body(data: Uint8Array): void {
    if (this.#sent === "pending") this.#sent = "raw";
    const n = data.length;
    if (n === 0) return;
    switch (this.#sent) {
      case "length":
        this.#remaining -= n;
        if (this.#remaining < 0) this.#broken = true;
        break;
      case "none":
        this.#broken = true;
        break;
      case "chunked": {
        const observer = this.#observer!;
        let pos = 0;
        while (pos < n && !this.#broken) {
          if (observer.done) {
            this.#broken = true;
            break;
          }
          if (observer.dataRemaining > 0) {
            const take = Math.min(observer.dataRemaining, n - pos);
            observer.skipData(take);
            pos += take;
            continue;
          }
          const next = observer.decode(data, pos, n);
          if (next < 0) this.#broken = true;
          else if (next === pos && observer.dataRemaining === 0 && !observer.done) break;
          else pos = next;
        }
        break;
      }
    }
  }

  /** True while what was sent is correctly delimited and complete (another response may follow). */
  get complete(): boolean {
    if (this.#broken) return false;
    switch (this.#sent) {
      case "none":
        return true;
      case "length":
        return this.#remaining === 0;
      case "chunked":
        return this.#observer!.done;
      default:
        return false;
    }
  }
}

const CONNECTION_CLOSE = "Connection: close\r\n";

/** The framing of a tunnel's head: nothing after it belongs to the response. */
const TUNNEL = Object.freeze({ kind: "none" as const, length: 0 });

/**
 * The bytes of a response head: `<version> <status> <reason>\r\n` when `status` is given (RFC
 * 9112 §4; the space before an empty reason is kept, as CPython does), a field line per
 * `[name, value]` pair (§5), `Connection: close` when `addClose`, and the empty line when
 * `complete`. Written character by character into one array from {@link allocBytes}: no
 * intermediate string.
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
    out[at] = 0x0d;
    out[at + 1] = 0x0a;
  }
  return out;
}
