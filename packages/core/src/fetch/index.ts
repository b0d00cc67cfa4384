/**
 * Fetch handlers on the core: `serve({ fetch })`, and `serveDir`, `serveFile` and
 * `upgradeWebSocket` as building blocks of any fetch handler.
 * @module
 */
export { type FetchHandler, type FetchServer, type ServeHandlerInfo, type ServeOptions, serve } from "./serve.ts";
export { type ServeDirOptions, serveDir, serveFile } from "./static.ts";
export { upgradeWebSocket } from "./websocket.ts";
