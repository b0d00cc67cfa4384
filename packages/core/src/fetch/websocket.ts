/**
 * `upgradeWebSocket(request)` for fetch handlers, exactly in Deno's shape: it checks the
 * handshake and returns the socket (`CONNECTING` until the answer is sent) and the `101`
 * response to return; our `serve` sends that answer, then hands the connection to the socket.
 * The socket is the same `ServerWebSocket` the Python API's `upgradeWebSocket()` gives.
 * @module
 */

import { type Platform, getPlatform } from "../platform/types.ts";
import { type ServerWebSocket, type WebSocketOptions, openWebSocket } from "../server/websocket.ts";
import { exchangeOf } from "./request.ts";

/** The `101` responses made here, and the socket each one opens. */
const upgrades = new WeakMap<Response, { socket: ServerWebSocket; fields: string[] }>();

/** The upgrade a `Response` from {@link upgradeWebSocket} stands for, taken once. */
export function upgradeOf(response: Response): { socket: ServerWebSocket; fields: string[] } | undefined {
  const upgrade = upgrades.get(response);
  if (upgrade !== undefined) upgrades.delete(response);
  return upgrade;
}

/** Logs an exception a WebSocket listener threw, as the server logs a handler's. */
function reporter(platform: Platform): (error: unknown) => void {
  return (error) => platform.stderr(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
}

/**
 * Accepts `request` as a WebSocket opening handshake (RFC 6455 §4.2), as Deno's
 * `Deno.upgradeWebSocket`: returns the socket, `CONNECTING` until the handler's answer is sent,
 * and the response to answer with (status `101`, `Upgrade`, `Connection`,
 * `Sec-WebSocket-Accept`, and the subprotocol and extension chosen). Once our `serve` has sent
 * it, the socket opens and the connection is its until it closes.
 * @param options the subprotocol(s), `perMessageDeflate`, `maxPayload`, `idleTimeout`,
 *   `backpressureLimit` (see `WebSocketOptions`).
 * @throws {TypeError} for a request that did not come from our `serve`.
 * @throws {ProtocolError} `400`, or `426` with `Sec-WebSocket-Version: 13`, for a request that is
 *   not a valid handshake: thrown from the handler, `serve` answers with it.
 */
export function upgradeWebSocket(request: Request, options: WebSocketOptions = {}): { socket: ServerWebSocket; response: Response } {
  const source = exchangeOf(request);
  if (source === undefined) throw new TypeError("upgradeWebSocket() takes a request from httpserver's serve()");
  const platform = getPlatform();
  const { socket, fields } = openWebSocket(source.head, options, platform, reporter(platform));
  const headers = new Headers();
  for (let i = 0; i < fields.length; i += 2) headers.append(fields[i], fields[i + 1]);
  // The Fetch standard's Response takes no 1xx status: it is made as 200 and reads as 101.
  const response = new Response(null, { status: 200, statusText: "Switching Protocols", headers });
  Object.defineProperty(response, "status", { value: 101, enumerable: true });
  upgrades.set(response, { socket, fields });
  return { socket, response };
}
