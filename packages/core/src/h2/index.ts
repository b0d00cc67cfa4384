/**
 * The sans-IO HTTP/2 protocol (RFC 9113, RFC 7541), after python-hyper/h2: HPACK, frames, and a
 * server connection that takes bytes in and hands events out, bounded against the known
 * attacks. No I/O, no timers, no runtime APIs.
 * @module
 */
export { H2Connection } from "./connection.ts";
export type {
  ConnectionTerminated,
  DataReceived,
  GoAwayReceived,
  H2Event,
  PingReceived,
  RequestReceived,
  RequestTooLarge,
  SettingsAcknowledged,
  SettingsChanged,
  StreamEnded,
  StreamReset,
  WindowUpdated,
} from "./events.ts";
export {
  ConnectionError,
  DEFAULT_WINDOW,
  ERROR_CODE,
  FLAG,
  FRAME,
  FRAME_HEADER_SIZE,
  MAX_MAX_FRAME_SIZE,
  MAX_WINDOW,
  MIN_MAX_FRAME_SIZE,
  PREFACE,
  SETTING,
  checkFrameHeader,
  errorCodeName,
  parseFrameHeader,
  startsLikePreface,
  type FrameHeader,
} from "./frames.ts";
export { FieldBlockReader, unpad, type FieldBlock } from "./fieldblocks.ts";
export {
  CompressionError,
  DEFAULT_TABLE_SIZE,
  ENTRY_OVERHEAD,
  HpackDecoder,
  HpackEncoder,
  NOT_INDEXED,
  STATIC_TABLE,
  type DecodedBlock,
  type HpackEncoderOptions,
} from "./hpack.ts";
export { huffmanDecode, huffmanEncode, huffmanLength } from "./huffman.ts";
export { checkRequest, checkTrailers, type RequestHead } from "./message.ts";
export { H2_DEFAULTS, readSettings, serverSettings, type H2ConnectionOptions } from "./settings.ts";
export {
  ClosedStreams,
  ReceiveWindow,
  STREAM_CLOSED,
  Stream,
  TokenBucket,
  type ClosedHow,
  type StreamInput,
  type StreamState,
} from "./stream.ts";
