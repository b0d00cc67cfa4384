/**
 * Python's `http.server` API on the platform interfaces.
 * @module
 */
export {
  Channel,
  ConnectionClosedError,
  RequestBodyReader,
  ResponseWriter,
  SendTimeoutError,
  SocketTimeoutError,
  channelOf,
  type ChannelOptions,
} from "./channel.js";
export { MONTH_NAMES, WEEKDAY_NAMES, formatHTTPDate, formatLogDate, parseHTTPDate } from "./dates.js";
export {
  BaseHTTPRequestHandler,
  RESPONSES,
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
  pemBlocks,
  type CertChain,
  type HTTPSServerOptions,
  type PEMBlock,
  type SSLErrorReason,
  type TLSPassword,
} from "./https.js";
export {
  BytesIO,
  FileSource,
  SimpleHTTPRequestHandler,
  type ReadableSource,
  type SimpleHTTPRequestHandlerOptions,
} from "./simple.js";
export { CGIHTTPRequestHandler, urlCollapsePath, warnCGIDeprecated } from "./cgi.js";
export { DEFAULT_EXTENSIONS_MAP, guessFileType, guessType } from "./mimetypes.js";
export { joinPath, normpath, quote, redirectPath, unquote, unquoteLenient, urlsplit, urlunsplit, type SplitResult } from "./urls.js";
export { checkTLSConfig, tlsConfigError, type TLSCheckCrypto } from "./tlsconfig.js";
