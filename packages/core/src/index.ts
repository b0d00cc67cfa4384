/**
 * `@httpserver/core`: Python's `http.server` for TypeScript, independent of any runtime.
 * Adapters (`@httpserver/node`, `/bun`, `/deno`) implement the platform and re-export this.
 *
 * This entry is the Python API (the classes of `http.server` and what they need from `http` and
 * `http.client`), the WebSocket a handler upgrades to, fetch handlers (`serve`, `serveDir`,
 * `serveFile`, `upgradeWebSocket`), and the types their signatures use.
 * Subpaths: `@httpserver/core/protocol` is the sans-IO HTTP/1.x and WebSocket engines; `@httpserver/core/platform` is what an adapter implements and the
 * helpers adapters share; `@httpserver/core/internal` holds the building blocks of the classes
 * (no stability promise); `@httpserver/core/cli` is the `httpserver` command.
 * @module
 */
export { LocalProtocolError, ProtocolError, type RequestLineContext } from "./http/errors.ts";
export type { RequestEvent } from "./http/events.ts";
export { definePlatform, getPlatform } from "./platform/types.ts";
export type {
  Address,
  ContentCoding,
  DirEntry,
  FileHandle,
  FileStat,
  FileSystem,
  ListenOptions,
  Listener,
  Platform,
  RawDeflateCodec,
  Socket,
  SocketEvents,
  SpawnOptions,
  Subprocess,
  TLSListenOptions,
  Timer,
  WorkerInfo,
} from "./platform/types.ts";
export { DEFAULT_ERROR_CONTENT_TYPE, DEFAULT_ERROR_MESSAGE } from "./python/errorpage.ts";
export { HTTPMessage } from "./python/message.ts";
export { DEFAULT_EXTENSIONS_MAP } from "./python/mimetypes.ts";
export { HTTPStatus, statusDescription, statusPhrase, type HTTPStatusCode } from "./python/status.ts";
export { urlCollapsePath } from "./python/urls.ts";
export { CGIHTTPRequestHandler } from "./server/cgi.ts";
export { ConnectionClosedError, SendTimeoutError, SocketTimeoutError } from "./server/errors.ts";
export { FileCache, RACY_MS } from "./server/filecache.ts";
export { RequestBodyReader, ResponseWriter } from "./server/files.ts";
export {
  BaseHTTPRequestHandler,
  RESPONSES,
  type HandlerServer,
  type MessageClassType,
  type RequestHandlerClass,
} from "./server/handler.ts";
export {
  HTTPSServer,
  SSLError,
  ThreadingHTTPSServer,
  type CertChain,
  type HTTPSServerOptions,
  type SSLErrorReason,
  type TLSPassword,
} from "./server/https.ts";
export { HTTPServer, ThreadingHTTPServer, ThreadingMixIn, type ServerClass, type ThreadingServer } from "./server/server.ts";
export { SimpleHTTPRequestHandler, type SimpleHTTPRequestHandlerOptions } from "./server/simple.ts";
export { BytesIO, FileSource, type ReadableSource } from "./server/sources.ts";
export { ServerWebSocket, type WebSocketOptions } from "./server/websocket.ts";
export {
  WebSocketEventTarget,
  type WebSocketCloseEvent,
  type WebSocketListener,
  type WebSocketListenerOptions,
} from "./server/wsevents.ts";
export type { PerMessageDeflateOptions } from "./ws/extensions.ts";
export type { H2ConnectionOptions } from "./h2/settings.ts";
export { VERSION } from "./version.ts";
export {
  serve,
  serveDir,
  serveFile,
  upgradeWebSocket,
  type FetchHandler,
  type FetchServer,
  type ServeDirOptions,
  type ServeHandlerInfo,
  type ServeOptions,
} from "./fetch/index.ts";
export { serveUntilStopped, serveWorkers, type ServeWorkersOptions } from "./workers.ts";
