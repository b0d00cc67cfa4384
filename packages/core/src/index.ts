/**
 * `@httpserver/core`: Python's `http.server` for TypeScript, independent of any runtime.
 * Adapters (`@httpserver/node`, `/bun`, `/deno`) implement `platform.ts` and re-export this.
 * @module
 */
export * from "./adapter.js";
export * from "./http/index.js";
export * from "./platform.js";
export * from "./server/index.js";
export * from "./streams.js";
