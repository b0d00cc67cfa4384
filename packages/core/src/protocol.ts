/**
 * `@httpserver/core/protocol`: the sans-IO protocol engines — HTTP/1.0–1.1 (after
 * python-hyper/h11), WebSocket (after python-hyper/wsproto) and HTTP/2 (after python-hyper/h2). Bytes in, events out; no I/O,
 * no timers, no runtime APIs.
 * @module
 */
export * from "./http/index.ts";
export * as ws from "./ws/index.ts";
export * as h2 from "./h2/index.ts";
