/**
 * HTTP/2 settings (RFC 9113 §6.5): the limits a server connection takes as options, the SETTINGS
 * it sends from them, and the client's SETTINGS read and checked (§6.5.2).
 * @module
 */

import {
  ConnectionError,
  DEFAULT_WINDOW,
  ERROR_CODE,
  MAX_MAX_FRAME_SIZE,
  MAX_WINDOW,
  MIN_MAX_FRAME_SIZE,
  SETTING,
  readUint32,
} from "./frames.ts";

/** Limits and settings of an `H2Connection`; every one has a default. */
export interface H2ConnectionOptions {
  /** `SETTINGS_MAX_CONCURRENT_STREAMS`: streams with a running handler at once. Default 100. */
  maxConcurrentStreams?: number;
  /** `SETTINGS_INITIAL_WINDOW_SIZE`: each stream's receive window, bytes. Default 65,535. */
  initialWindowSize?: number;
  /** The connection's receive window, bytes (raised by a WINDOW_UPDATE at the start). Default 1 MiB. */
  connectionWindowSize?: number;
  /** `SETTINGS_MAX_HEADER_LIST_SIZE`: a decoded field section's bytes (name + value + 32 per field). Default 65,536. */
  maxHeaderListSize?: number;
  /** The most field lines in a field section (beyond: `431`). Default 100, as CPython's `_MAXHEADERS`. */
  maxHeaderFields?: number;
  /** The most CONTINUATION frames after one HEADERS (beyond: ENHANCE_YOUR_CALM). Default 16. */
  maxContinuationFrames?: number;
  /** RST_STREAM frames received at once (rapid reset, CVE-2023-44487). Default 1,000. */
  resetBurst?: number;
  /** RST_STREAM frames received per second, once the burst is spent. Default 33. */
  resetRate?: number;
  /**
   * Frames and faults that cost the server without carrying a request forward (PING, SETTINGS,
   * PRIORITY, unknown frames, empty DATA, refused streams, the server's stream errors) at once.
   * Default 10,000.
   */
  glitchBurst?: number;
  /** Such frames and faults per second, once the burst is spent. Default 330. */
  glitchRate?: number;
}

/** The defaults of {@link H2ConnectionOptions} (nghttp2's and Node's where they agree with RFC 9113's). */
export const H2_DEFAULTS: Readonly<Required<H2ConnectionOptions>> = Object.freeze({
  maxConcurrentStreams: 100,
  initialWindowSize: DEFAULT_WINDOW,
  connectionWindowSize: 1 << 20,
  maxHeaderListSize: 65_536,
  maxHeaderFields: 100,
  maxContinuationFrames: 16,
  resetBurst: 1000,
  resetRate: 33,
  glitchBurst: 10_000,
  glitchRate: 330,
});

/** The most settings one SETTINGS frame may carry here (as nghttp2's `max_settings`). */
const MAX_SETTINGS = 32;

/** The SETTINGS a server sends first (RFC 9113 §3.4), identifier → value. */
export function serverSettings(options: Required<H2ConnectionOptions>): Map<number, number> {
  return new Map([
    [SETTING.HEADER_TABLE_SIZE, 4096],
    [SETTING.ENABLE_PUSH, 0],
    [SETTING.MAX_CONCURRENT_STREAMS, options.maxConcurrentStreams],
    [SETTING.INITIAL_WINDOW_SIZE, options.initialWindowSize],
    [SETTING.MAX_FRAME_SIZE, MIN_MAX_FRAME_SIZE],
    [SETTING.MAX_HEADER_LIST_SIZE, options.maxHeaderListSize],
  ]);
}

/**
 * Reads a SETTINGS frame's payload (not an acknowledgement): identifier → value, the last of a
 * repeated one; unknown identifiers kept (the caller ignores them, RFC 9113 §6.5.2).
 * @throws {ConnectionError} FRAME_SIZE_ERROR for a length not a multiple of 6, PROTOCOL_ERROR
 *   for ENABLE_PUSH not 0 or 1 or MAX_FRAME_SIZE out of range, FLOW_CONTROL_ERROR for
 *   INITIAL_WINDOW_SIZE above 2^31 − 1, ENHANCE_YOUR_CALM for more than 32 settings.
 */
export function readSettings(payload: Uint8Array): Map<number, number> {
  if (payload.length % 6 !== 0) throw new ConnectionError(ERROR_CODE.FRAME_SIZE_ERROR, "SETTINGS not a multiple of 6 bytes");
  if (payload.length > 6 * MAX_SETTINGS) throw new ConnectionError(ERROR_CODE.ENHANCE_YOUR_CALM, "more than 32 settings in a frame");
  const settings = new Map<number, number>();
  for (let at = 0; at < payload.length; at += 6) {
    const id = (payload[at] << 8) | payload[at + 1];
    const value = readUint32(payload, at + 2);
    if (id === SETTING.ENABLE_PUSH && value > 1) throw new ConnectionError(ERROR_CODE.PROTOCOL_ERROR, "ENABLE_PUSH not 0 or 1");
    if (id === SETTING.INITIAL_WINDOW_SIZE && value > MAX_WINDOW) {
      throw new ConnectionError(ERROR_CODE.FLOW_CONTROL_ERROR, "INITIAL_WINDOW_SIZE above 2^31 - 1");
    }
    if (id === SETTING.MAX_FRAME_SIZE && (value < MIN_MAX_FRAME_SIZE || value > MAX_MAX_FRAME_SIZE)) {
      throw new ConnectionError(ERROR_CODE.PROTOCOL_ERROR, "MAX_FRAME_SIZE out of range");
    }
    settings.set(id, value);
  }
  return settings;
}
