/**
 * Python's `http.server` classes on the platform interfaces.
 * @module
 */
export { Channel, type BodyEvent, type ChannelOptions } from "./channel.ts";
export type { Exchange, ExchangeSource } from "./exchange.ts";
export { ConnectionClosedError, SendTimeoutError, SocketTimeoutError } from "./errors.ts";
export { BytesHandle, FileCache, RACY_MS } from "./filecache.ts";
export { RequestBodyReader, ResponseWriter } from "./files.ts";
export {
  BaseHTTPRequestHandler,
  RESPONSES,
  channelLimits,
  escapeControlCharacters,
  type HandlerServer,
  type MessageClassType,
  type RequestHandlerClass,
} from "./handler.ts";
export {
  HTTPServer,
  ThreadingHTTPServer,
  ThreadingMixIn,
  defaultMaxConnections,
  type ServerClass,
  type ThreadingServer,
} from "./server.ts";
export {
  HTTPSServer,
  SSLError,
  ThreadingHTTPSServer,
  loadCertChain,
  type CertChain,
  type HTTPSServerOptions,
  type SSLErrorReason,
  type TLSPassword,
} from "./https.ts";
export { SimpleHTTPRequestHandler, type SimpleHTTPRequestHandlerOptions } from "./simple.ts";
export { listDirectory, sendFile, sendHead, statOrNull, translatePath, type FileServing } from "./fileserving.ts";
export { BytesIO, ChunkedSource, CompressedSource, FileSource, MultipartSource, type ReadableSource } from "./sources.ts";
export { COMPRESS_MIN_BYTES, ON_THE_FLY, PRECOMPRESSED, entityTag, isCompressible } from "./representation.ts";
export { CGIHTTPRequestHandler, warnCGIDeprecated } from "./cgi.ts";
export { ServerWebSocket, openWebSocket, type RawStream, type WebSocketOptions, type WebSocketRequest } from "./websocket.ts";
export { WebSocketEventTarget, type WebSocketCloseEvent, type WebSocketListener, type WebSocketListenerOptions } from "./wsevents.ts";
export { MessageDeflate, type DeflateTuning } from "./wsdeflate.ts";
export { H2Exchange, H2StreamSocket, type StreamHost } from "./h2exchange.ts";
export { H2Session, sessionLimits, type H2SessionOptions } from "./h2session.ts";
export { PrefaceSniffer } from "./sniff.ts";
