/**
 * The sans-IO HTTP/1.0–1.1 protocol core: bytes in, events out; response heads in, bytes out.
 * No I/O, no timers, no runtime APIs.
 * @module
 */
export { BodyReader } from "./bodyreader.js";
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
} from "./chars.js";
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
} from "./conditional.js";
export { ChunkedDecoder, LAST_CHUNK, encodeChunk, type ChunkedLimits } from "./chunked.js";
export { ServerConnection, type ConnectionLimits, type SideState } from "./connection.js";
export { LocalProtocolError, NO_REQUEST_LINE, ProtocolError, type RequestLineContext } from "./errors.js";
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
} from "./events.js";
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
} from "./framing.js";
export {
  listElements,
  listHasToken,
  parseFieldLines,
  parseRequestLine,
  parseVersion,
  type FieldSummary,
  type RequestLine,
} from "./head.js";
export { HeadReader, lineContext, requestEvent, type HeadLimits } from "./headreader.js";
export { chooseEncoding, parseAcceptEncoding } from "./negotiation.js";
export {
  contentRange,
  evaluateRange,
  unsatisfiedRange,
  type ByteRange,
  type MultipartPart,
  type RangeLimits,
  type RangeOutcome,
} from "./ranges.js";
export { ReceiveBuffer } from "./receivebuffer.js";
export { pyRepr } from "./repr.js";
export { Response, checkFieldName, checkFieldValue, checkStatusLineText, type ResponseHead } from "./response.js";
