/**
 * `@httpserver/deno`: Python's `http.server` on Deno.
 *
 * ```ts
 * import { ThreadingHTTPServer, SimpleHTTPRequestHandler } from "@httpserver/deno";
 * ```
 * Importing this module registers the Deno platform with the core.
 * @module
 */
import { definePlatform } from "@httpserver/core";
import { denoPlatform } from "./platform.ts";

definePlatform(denoPlatform);

export * from "@httpserver/core";
export { denoPlatform } from "./platform.ts";
