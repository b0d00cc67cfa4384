/**
 * Python's `http.server` classes on the platform interfaces.
 * @module
 */
export { Channel, type BodyEvent, type ChannelOptions } from "./channel.js";
export { ConnectionClosedError, SendTimeoutError, SocketTimeoutError } from "./errors.js";
export { RequestBodyReader, ResponseWriter } from "./files.js";
export {
  BaseHTTPRequestHandler,
  RESPONSES,
  channelLimits,
  escapeControlCharacters,
  type HandlerServer,
  type MessageClassType,
  type RequestHandlerClass,
} from "./handler.js";
export { HTTPServer, ThreadingHTTPServer, ThreadingMixIn, defaultMaxConnections, type ServerClass } from "./server.js";
export {
  HTTPSServer,
  SSLError,
  ThreadingHTTPSServer,
  loadCertChain,
  type CertChain,
  type HTTPSServerOptions,
  type SSLErrorReason,
  type TLSPassword,
} from "./https.js";
export { SimpleHTTPRequestHandler, statOrNull, type SimpleHTTPRequestHandlerOptions } from "./simple.js";
export { BytesIO, ChunkedSource, CompressedSource, FileSource, MultipartSource, type ReadableSource } from "./sources.js";
export { COMPRESS_MIN_BYTES, ON_THE_FLY, PRECOMPRESSED, entityTag, isCompressible } from "./representation.js";
export { CGIHTTPRequestHandler, warnCGIDeprecated } from "./cgi.js";
