/**
 * The sans-IO HTTP/1.0–1.1 protocol core: bytes in, events out; response heads in, bytes out.
 * No I/O, no timers, no runtime APIs.
 * @module
 */
export { BodyReader } from "./bodyreader.ts";
export {
  COLON,
  CR,
  HT,
  LF,
  SP,
  TCHAR,
  allocBytes,
  isToken,
  latin1Decode,
  latin1Encode,
  utf8Decode,
  utf8DecodeStrict,
  utf8Encode,
} from "./chars.ts";
export {
  evaluatePreconditions,
  formatEntityTag,
  ifRangeMatches,
  parseEntityTag,
  parseEntityTagList,
  strongMatch,
  weakMatch,
  type EntityTag,
  type EntityTagList,
  type Preconditions,
  type Validators,
} from "./conditional.ts";
export { ChunkedDecoder, LAST_CHUNK, encodeChunk, type ChunkedLimits } from "./chunked.ts";
export { ServerConnection, type ConnectionLimits, type SideState } from "./connection.ts";
export { LocalProtocolError, NO_REQUEST_LINE, ProtocolError, type RequestLineContext } from "./errors.ts";
export {
  CLOSED,
  NEED_DATA,
  NO_TRAILERS,
  PAUSED,
  type ConnectionClosedEvent,
  type ConnectionEvent,
  type DataEvent,
  type EndOfMessageEvent,
  type ProtocolErrorEvent,
  type RequestEvent,
} from "./events.ts";
export {
  NO_BODY,
  expectsContinue,
  parseDecimal,
  protocolVersionNumber,
  requestFraming,
  requestKeepAlive,
  responseFraming,
  type BodyKind,
  type RequestFraming,
  type ResponseFramingKind,
} from "./framing.ts";
export {
  listElements,
  listHasToken,
  parseFieldLines,
  parseRequestLine,
  parseVersion,
  type FieldSummary,
  type RequestLine,
} from "./head.ts";
export { HeadReader, lineContext, requestEvent, type HeadLimits } from "./headreader.ts";
export { chooseEncoding, parseAcceptEncoding } from "./negotiation.ts";
export {
  contentRange,
  evaluateRange,
  unsatisfiedRange,
  type ByteRange,
  type MultipartPart,
  type RangeLimits,
  type RangeOutcome,
} from "./ranges.ts";
export { ReceiveBuffer } from "./receivebuffer.ts";
export { pyRepr } from "./repr.ts";
export { Response, checkFieldName, checkFieldValue, checkStatusLineText, type ResponseHead } from "./response.ts";
