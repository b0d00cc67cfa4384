/**
 * `@httpserver/core`: Python's `http.server` for TypeScript, independent of any runtime.
 * Adapters (`@httpserver/node`, `/bun`, `/deno`) implement the platform and re-export this.
 *
 * Subpaths: `@httpserver/core/protocol` is the sans-IO HTTP/1.x engine; `@httpserver/core/platform`
 * is what an adapter implements and the helpers adapters share; `@httpserver/core/cli` is the
 * `httpserver` command.
 * @module
 */
export { LocalProtocolError, ProtocolError, type RequestLineContext } from "./http/errors.js";
export type { RequestEvent } from "./http/events.js";
export { definePlatform, getPlatform } from "./platform/types.js";
export type {
  Address,
  DirEntry,
  FileHandle,
  FileStat,
  FileSystem,
  ListenOptions,
  Listener,
  Platform,
  Socket,
  SocketEvents,
  SpawnOptions,
  Subprocess,
  TLSListenOptions,
  Timer,
} from "./platform/types.js";
export * from "./python/index.js";
export * from "./server/index.js";
