/**
 * The sans-IO WebSocket protocol (RFC 6455, RFC 7692's negotiation), after python-hyper/wsproto:
 * the opening handshake's checks, frames, and a connection that takes bytes in and hands events
 * out. No I/O, no timers, no runtime APIs.
 * @module
 */
export {
  CLOSE_CODE,
  NEED_DATA,
  WebSocketConnection,
  isValidCloseCode,
  type CloseEvent,
  type EndedEvent,
  type FailedEvent,
  type MessageEvent,
  type PingEvent,
  type PongEvent,
  type WebSocketConnectionOptions,
  type WebSocketEvent,
  type WebSocketState,
} from "./connection.ts";
export {
  acceptPerMessageDeflate,
  parseExtensionOffers,
  type ExtensionOffer,
  type PerMessageDeflateOptions,
  type PerMessageDeflateParams,
} from "./extensions.ts";
export { ByteQueue } from "../http/bytequeue.ts";
export { MAX_CONTROL_PAYLOAD, OPCODE, applyMask, encodeFrameHeader, readFrameHeader, type FrameHeader } from "./frames.ts";
export {
  WEBSOCKET_GUID,
  acceptValue,
  checkHandshake,
  encodeBase64,
  handshakeFields,
  type AcceptedHandshake,
  type HandshakeOptions,
  type HandshakeRequest,
} from "./handshake.ts";
export { Utf8Validator, isValidUtf8 } from "./utf8.ts";
