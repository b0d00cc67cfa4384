/**
 * `@httpserver/bun`: Python's `http.server` on Bun.
 *
 * ```ts
 * import { ThreadingHTTPServer, SimpleHTTPRequestHandler } from "@httpserver/bun";
 * ```
 * Importing this module registers the Bun platform with the core.
 * @module
 */
import { definePlatform } from "@httpserver/core";
import { bunPlatform } from "./platform.ts";

definePlatform(bunPlatform);

export * from "@httpserver/core";
export { bunPlatform } from "./platform.ts";
