/**
 * The events a {@link ServerConnection} hands out (after python-hyper/h11's events): what the
 * client sent, one step at a time.
 * @module
 */

import type { ProtocolError } from "./errors.ts";
import type { BodyKind } from "./framing.ts";

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
  /** `Connection` values joined with `,`, or `null` (input to `requestKeepAlive`). */
  readonly connection: string | null;
  /** The client waits for `100 Continue` before sending the body (RFC 9110 §10.1.1). */
  readonly expectContinue: boolean;
  /** An HTTP/0.9 simple-request (`GET /path`): no fields were read and the answer has no head. */
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
/** The (shared) event for a client that closed between requests. */
export const CLOSED: ConnectionClosedEvent = Object.freeze({ type: "closed" });
/** The end of a body without trailers (shared). */
export const NO_TRAILERS: EndOfMessageEvent = Object.freeze({ type: "end", trailers: Object.freeze([]) });

/** What `ServerConnection.nextEvent` returns. */
export type ConnectionEvent =
  RequestEvent | DataEvent | EndOfMessageEvent | ConnectionClosedEvent | ProtocolErrorEvent | typeof NEED_DATA | typeof PAUSED;
