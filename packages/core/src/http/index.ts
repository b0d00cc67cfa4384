/**
 * The sans-IO HTTP/1.0–1.1 protocol core: bytes in, events out; response heads in, bytes out.
 * No I/O, no timers, no runtime APIs.
 * @module
 */
export { TCHAR, allocBytes, isToken, latin1Decode, latin1Encode, utf8Decode, utf8DecodeStrict, utf8Encode } from "./chars.js";
export { ChunkedDecoder, LAST_CHUNK, encodeChunk, type ChunkedLimits } from "./chunked.js";
export {
  NEED_DATA,
  PAUSED,
  ServerConnection,
  type ConnectionEvent,
  type ConnectionClosedEvent,
  type ConnectionLimits,
  type DataEvent,
  type EndOfMessageEvent,
  type ProtocolErrorEvent,
  type RequestEvent,
  type ResponseHead,
  type SideState,
} from "./connection.js";
export {
  DEFAULT_ERROR_CONTENT_TYPE,
  DEFAULT_ERROR_MESSAGE,
  errorHasBody,
  renderErrorBody,
  renderErrorResponse,
  type ErrorResponseOptions,
} from "./errorpage.js";
export { LocalProtocolError, ProtocolError } from "./errors.js";
export {
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
export { listElements, listHasToken, parseFieldLines, parseRequestLine, parseVersion, type FieldSummary, type RequestLine } from "./head.js";
export { HTTPMessage } from "./message.js";
export { htmlEscape, pyFormat, pyRepr, type PyFormatArg } from "./pyformat.js";
export { checkFieldName, checkFieldValue, checkStatusLineText, fieldLine, statusLine } from "./serialize.js";
export { HTTPStatus, STATUS_TEXT, statusDescription, statusPhrase, type HTTPStatusCode } from "./status.js";
