/**
 * `@httpserver/core/internal`: the building blocks of the server classes, for adapters, tests and
 * the curious — the channel between a socket and a connection, the sources a file is copied
 * from, Python's standard-library helpers. No stability promise: the public API is
 * `@httpserver/core`.
 * @module
 */
export * from "./python/index.ts";
export * from "./server/index.ts";
