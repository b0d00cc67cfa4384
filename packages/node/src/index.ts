/**
 * `@httpserver/node`: Python's `http.server` on Node.js.
 *
 * ```ts
 * import { ThreadingHTTPServer, SimpleHTTPRequestHandler } from "@httpserver/node";
 * ```
 * Importing this module registers the Node.js platform with the core.
 * @module
 */
import { definePlatform } from "@httpserver/core";
import { nodePlatform } from "./platform.ts";

definePlatform(nodePlatform);

export * from "@httpserver/core";
export { nodePlatform } from "./platform.ts";
