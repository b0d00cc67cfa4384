/**
 * HTTP/2 frames (RFC 9113 §4, §6): the codes of frame types, flags, error codes and settings,
 * the 9-byte frame header, and the frames a server sends, serialized.
 * @module
 */

/** Frame types (RFC 9113 §6, §11.2). */
export const FRAME = Object.freeze({
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
});

/** Frame flags (RFC 9113 §6). `ACK` and `END_STREAM` share a bit on different frame types. */
export const FLAG = Object.freeze({ END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4, PADDED: 0x8, PRIORITY: 0x20 });

/** Error codes (RFC 9113 §7). */
export const ERROR_CODE = Object.freeze({
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
});

/**
 * A connection error (RFC 9113 §5.4.1): what the connection ends with, as GOAWAY `code`; the
 * message goes out as the GOAWAY's debug data.
 */
export class ConnectionError extends Error {
  override name = "ConnectionError";
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** The name of an error code (`"PROTOCOL_ERROR"`), or `"0x…"` for one RFC 9113 does not define. */
export function errorCodeName(code: number): string {
  for (const [name, value] of Object.entries(ERROR_CODE)) if (value === code) return name;
  return `0x${code.toString(16)}`;
}

/** Setting identifiers (RFC 9113 §6.5.2). */
export const SETTING = Object.freeze({
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
});

/** The largest flow-control window, and the largest stream identifier: 2^31 − 1 (RFC 9113 §5.1.1, §6.9.1). */
export const MAX_WINDOW = 0x7fffffff;
/** The initial flow-control window of every stream and the connection (RFC 9113 §6.9.2). */
export const DEFAULT_WINDOW = 65_535;
/** The smallest allowed `SETTINGS_MAX_FRAME_SIZE`, and its initial value (RFC 9113 §6.5.2). */
export const MIN_MAX_FRAME_SIZE = 16_384;
/** The largest allowed `SETTINGS_MAX_FRAME_SIZE`: 2^24 − 1 (RFC 9113 §6.5.2). */
export const MAX_MAX_FRAME_SIZE = 0xffffff;
/** The size of a frame header in bytes (RFC 9113 §4.1). */
export const FRAME_HEADER_SIZE = 9;

/** The client connection preface (RFC 9113 §3.4): `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`, 24 bytes. */
export const PREFACE: Uint8Array = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/**
 * Whether `bytes` could be the start of the client connection preface (all of it, or as many of
 * its bytes as have arrived): how a cleartext server tells HTTP/2 with prior knowledge from
 * HTTP/1 (RFC 9113 §3.3).
 */
export function startsLikePreface(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, PREFACE.length);
  for (let i = 0; i < n; i++) if (bytes[i] !== PREFACE[i]) return false;
  return true;
}

/** A frame header (RFC 9113 §4.1). */
export interface FrameHeader {
  /** Payload length in bytes (0 to 2^24 − 1). */
  readonly length: number;
  readonly type: number;
  readonly flags: number;
  /** The stream identifier, its reserved bit ignored (RFC 9113 §4.1). */
  readonly streamId: number;
}

/** Frame types and whether their stream identifier must be 0 (`true`) or must not be (`false`), RFC 9113 §6. */
const ON_CONNECTION: Readonly<Record<number, boolean>> = {
  [FRAME.DATA]: false,
  [FRAME.HEADERS]: false,
  [FRAME.PRIORITY]: false,
  [FRAME.RST_STREAM]: false,
  [FRAME.SETTINGS]: true,
  [FRAME.PUSH_PROMISE]: false,
  [FRAME.PING]: true,
  [FRAME.GOAWAY]: true,
  [FRAME.CONTINUATION]: false,
};
/** Frame types of a fixed payload length (RFC 9113 §6.3, §6.4, §6.7, §6.9). */
const FIXED_LENGTH: Readonly<Record<number, number>> = {
  [FRAME.PRIORITY]: 5,
  [FRAME.RST_STREAM]: 4,
  [FRAME.PING]: 8,
  [FRAME.WINDOW_UPDATE]: 4,
};

/**
 * Checks a received frame's header against its type's stream-identifier and length rules (RFC
 * 9113 §6): `true` when it is well formed, `false` for a PRIORITY frame of the wrong length (a
 * stream error of type FRAME_SIZE_ERROR, §6.3).
 * @throws {ConnectionError} PROTOCOL_ERROR for a stream identifier the type forbids,
 *   FRAME_SIZE_ERROR for a wrong length.
 */
export function checkFrameHeader(header: FrameHeader): boolean {
  const { type, length, streamId } = header;
  const onConnection = ON_CONNECTION[type];
  if (onConnection === true && streamId !== 0) throw new ConnectionError(ERROR_CODE.PROTOCOL_ERROR, `frame type ${type} on a stream`);
  if (onConnection === false && streamId === 0) throw new ConnectionError(ERROR_CODE.PROTOCOL_ERROR, `frame type ${type} on stream 0`);
  const fixed = FIXED_LENGTH[type];
  if (fixed !== undefined && length !== fixed) {
    if (type === FRAME.PRIORITY) return false;
    throw new ConnectionError(ERROR_CODE.FRAME_SIZE_ERROR, `frame type ${type} of ${length} bytes, not ${fixed}`);
  }
  if (type === FRAME.GOAWAY && length < 8) throw new ConnectionError(ERROR_CODE.FRAME_SIZE_ERROR, "GOAWAY shorter than 8 bytes");
  if (type === FRAME.SETTINGS && (header.flags & FLAG.ACK) !== 0 && length !== 0) {
    throw new ConnectionError(ERROR_CODE.FRAME_SIZE_ERROR, "SETTINGS acknowledgement with a payload");
  }
  return true;
}

/** Reads a frame header from `bytes` at `at` (9 bytes must be there). */
export function parseFrameHeader(bytes: Uint8Array, at: number): FrameHeader {
  return {
    length: (bytes[at] << 16) | (bytes[at + 1] << 8) | bytes[at + 2],
    type: bytes[at + 3],
    flags: bytes[at + 4],
    streamId: readUint31(bytes, at + 5),
  };
}

/** A 31-bit unsigned integer, big-endian, its top bit ignored (stream identifiers, window increments). */
export function readUint31(bytes: Uint8Array, at: number): number {
  return ((bytes[at] & 0x7f) << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3];
}

/** A 32-bit unsigned integer, big-endian (error codes, setting values). */
export function readUint32(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}

/** Writes a frame header into `out` at `at`. */
export function writeFrameHeader(out: Uint8Array, at: number, length: number, type: number, flags: number, streamId: number): void {
  out[at] = length >>> 16;
  out[at + 1] = (length >>> 8) & 0xff;
  out[at + 2] = length & 0xff;
  out[at + 3] = type;
  out[at + 4] = flags;
  writeUint32(out, at + 5, streamId);
}

function writeUint32(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 24;
  out[at + 1] = (value >>> 16) & 0xff;
  out[at + 2] = (value >>> 8) & 0xff;
  out[at + 3] = value & 0xff;
}

/** A frame with the given payload. */
export function frame(type: number, flags: number, streamId: number, payload: Uint8Array = EMPTY): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_SIZE + payload.length);
  writeFrameHeader(out, 0, payload.length, type, flags, streamId);
  out.set(payload, FRAME_HEADER_SIZE);
  return out;
}

const EMPTY = new Uint8Array(0);

/** A SETTINGS frame (RFC 9113 §6.5) with `[identifier, value]` pairs, or its acknowledgement. */
export function settingsFrame(settings: readonly (readonly [number, number])[], ack = false): Uint8Array {
  const payload = new Uint8Array(6 * settings.length);
  settings.forEach(([id, value], i) => {
    payload[6 * i] = id >>> 8;
    payload[6 * i + 1] = id & 0xff;
    writeUint32(payload, 6 * i + 2, value);
  });
  return frame(FRAME.SETTINGS, ack ? FLAG.ACK : 0, 0, payload);
}

/** A PING frame (RFC 9113 §6.7) with its 8 bytes of opaque data. */
export function pingFrame(data: Uint8Array, ack: boolean): Uint8Array {
  return frame(FRAME.PING, ack ? FLAG.ACK : 0, 0, data);
}

/** A GOAWAY frame (RFC 9113 §6.8); `debug` is sent as UTF-8 additional debug data. */
export function goawayFrame(lastStreamId: number, code: number, debug = ""): Uint8Array {
  const text = new TextEncoder().encode(debug);
  const payload = new Uint8Array(8 + text.length);
  writeUint32(payload, 0, lastStreamId);
  writeUint32(payload, 4, code);
  payload.set(text, 8);
  return frame(FRAME.GOAWAY, 0, 0, payload);
}

/** A RST_STREAM frame (RFC 9113 §6.4). */
export function rstStreamFrame(streamId: number, code: number): Uint8Array {
  const payload = new Uint8Array(4);
  writeUint32(payload, 0, code);
  return frame(FRAME.RST_STREAM, 0, streamId, payload);
}

/** A WINDOW_UPDATE frame (RFC 9113 §6.9); `increment` is 1 to 2^31 − 1. */
export function windowUpdateFrame(streamId: number, increment: number): Uint8Array {
  const payload = new Uint8Array(4);
  writeUint32(payload, 0, increment);
  return frame(FRAME.WINDOW_UPDATE, 0, streamId, payload);
}

/**
 * A field block as a HEADERS frame and as many CONTINUATION frames as `maxFrameSize` requires
 * (RFC 9113 §6.2, §6.10), in one array.
 */
export function headersFrames(streamId: number, block: Uint8Array, endStream: boolean, maxFrameSize: number): Uint8Array {
  const count = Math.max(1, Math.ceil(block.length / maxFrameSize));
  const out = new Uint8Array(count * FRAME_HEADER_SIZE + block.length);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const piece = block.subarray(i * maxFrameSize, (i + 1) * maxFrameSize);
    const last = i === count - 1;
    const type = i === 0 ? FRAME.HEADERS : FRAME.CONTINUATION;
    const flags = (last ? FLAG.END_HEADERS : 0) | (i === 0 && endStream ? FLAG.END_STREAM : 0);
    writeFrameHeader(out, at, piece.length, type, flags, streamId);
    out.set(piece, at + FRAME_HEADER_SIZE);
    at += FRAME_HEADER_SIZE + piece.length;
  }
  return out;
}
