/**
 * The events an {@link H2Connection} hands out (after python-hyper/h2's events): what the client
 * did, one step at a time.
 * @module
 */

import type { RequestHead } from "./message.ts";

/** A request's field block was received and checked (RFC 9113 §8.1). */
export interface RequestReceived {
  readonly type: "request";
  readonly streamId: number;
  readonly head: RequestHead;
  /** The request has no content: an `end` event follows at once. */
  readonly endStream: boolean;
}

/**
 * A request's field block decoded to more than `SETTINGS_MAX_HEADER_LIST_SIZE` or the field
 * limit: the stream is open and the server answers `431` (RFC 6585 §5).
 */
export interface RequestTooLarge {
  readonly type: "request-too-large";
  readonly streamId: number;
  readonly endStream: boolean;
  /** `:method`, when it came before the limit was passed; else `null`. */
  readonly method: string | null;
  /** `:path` (`:authority` for CONNECT), when it came before the limit was passed; else `null`. */
  readonly target: string | null;
}

/**
 * Request content (a DATA frame's, padding removed). `data` is a view into received bytes, valid
 * until the next call of `receiveData`. Give the bytes back with `acknowledgeReceivedData` once
 * consumed: that reopens the flow-control windows (RFC 9113 §6.9).
 */
export interface DataReceived {
  readonly type: "data";
  readonly streamId: number;
  readonly data: Uint8Array;
}

/** The client ended the stream (END_STREAM), with trailer fields (flat pairs) or none. */
export interface StreamEnded {
  readonly type: "end";
  readonly streamId: number;
  readonly trailers: readonly string[];
}

/**
 * The stream was reset: by the client (RST_STREAM, `byPeer`) or by the server for a stream error
 * (RST_STREAM sent). Nothing more is sent or received on it.
 */
export interface StreamReset {
  readonly type: "reset";
  readonly streamId: number;
  /** The error code (RFC 9113 §7). */
  readonly code: number;
  readonly byPeer: boolean;
}

/** The client's SETTINGS were applied (and acknowledged): identifier → value. */
export interface SettingsChanged {
  readonly type: "settings";
  readonly changed: ReadonlyMap<number, number>;
}

/** The client acknowledged our SETTINGS: they apply from now on. */
export interface SettingsAcknowledged {
  readonly type: "settings-acknowledged";
}

/** A PING arrived (already answered) or the answer to ours (`ack`). */
export interface PingReceived {
  readonly type: "ping";
  readonly data: Uint8Array;
  readonly ack: boolean;
}

/** The client sent GOAWAY (RFC 9113 §6.8). */
export interface GoAwayReceived {
  readonly type: "goaway";
  readonly lastStreamId: number;
  readonly code: number;
  /** The additional debug data, UTF-8-decoded. */
  readonly debug: string;
}

/** A flow-control window grew (stream 0: the connection's). */
export interface WindowUpdated {
  readonly type: "window-update";
  readonly streamId: number;
  readonly increment: number;
}

/**
 * The connection ended with a connection error (RFC 9113 §5.4.1): GOAWAY with `code` was queued;
 * send what `dataToSend` returns, then close.
 */
export interface ConnectionTerminated {
  readonly type: "terminated";
  readonly code: number;
  /** What was wrong, for the log (also the GOAWAY's debug data). */
  readonly reason: string;
}

/** What `H2Connection.receiveData` returns. */
export type H2Event =
  | RequestReceived
  | RequestTooLarge
  | DataReceived
  | StreamEnded
  | StreamReset
  | SettingsChanged
  | SettingsAcknowledged
  | PingReceived
  | GoAwayReceived
  | WindowUpdated
  | ConnectionTerminated;
