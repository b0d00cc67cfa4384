/**
 * The server's side of the WebSocket opening handshake (RFC 6455 §4.2): checking the client's
 * request, choosing a subprotocol and permessage-deflate's parameters, and the fields of the
 * `101 (Switching Protocols)` answer. Pure functions; the SHA-1 digest is the caller's.
 * @module
 */

import { ProtocolError } from "../http/errors.ts";
import { listElements, listHasToken } from "../http/head.ts";
import {
  type PerMessageDeflateOptions,
  type PerMessageDeflateParams,
  acceptPerMessageDeflate,
  parseExtensionOffers,
} from "./extensions.ts";

/** The GUID appended to the key before hashing it (RFC 6455 §1.3). */
export const WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** What the server wants of a WebSocket handshake. */
export interface HandshakeOptions {
  /**
   * The subprotocol to speak: the first of these the client offered in
   * `Sec-WebSocket-Protocol` is chosen (none when it offered none of them).
   */
  protocol?: string | readonly string[];
  /** Accept permessage-deflate when offered (default `false`), with these limits when an object. */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
}

/** A handshake the server accepts. */
export interface AcceptedHandshake {
  /** The client's `Sec-WebSocket-Key`. */
  readonly key: string;
  /** The subprotocol chosen, `""` for none. */
  readonly protocol: string;
  /** permessage-deflate's parameters, or `null` without compression. */
  readonly deflate: PerMessageDeflateParams | null;
  /** The `Sec-WebSocket-Extensions` value of the answer, `""` for none. */
  readonly extensions: string;
}

/** The request fields that matter, lower-cased names, as `HTTPMessage.getAll` gives them. */
export interface HandshakeRequest {
  readonly method: string;
  /** The request's HTTP version, `[major, minor]`. */
  readonly version: readonly [number, number];
  /** All values of a field (case-insensitive name), in order; `[]` when absent. */
  getAll(name: string): readonly string[];
}

/** A 16-byte value in base64: 22 characters of the alphabet and `==` (RFC 6455 §4.1). */
const KEY = /^[A-Za-z0-9+/]{22}==$/;

function refuse(status: number, explain: string, fields: [string, string][] = []): ProtocolError {
  return new ProtocolError(status, "WEBSOCKET_HANDSHAKE", status === 426 ? "Upgrade Required" : "Bad Request", explain, undefined, fields);
}

/**
 * Checks a client's opening handshake (RFC 6455 §4.2.1) and, when it is valid, chooses what the
 * answer carries (§4.2.2).
 * @returns the accepted handshake, or the {@link ProtocolError} to answer with: `426` with
 *   `Sec-WebSocket-Version: 13` for another version, `400` for everything else (not a GET over
 *   HTTP/1.1, no `Host`, `Upgrade` without `websocket`, `Connection` without `upgrade`, a key that
 *   is not 16 bytes in base64).
 */
export function checkHandshake(request: HandshakeRequest, options: HandshakeOptions = {}): AcceptedHandshake | ProtocolError {
  const [major, minor] = request.version;
  if (request.method !== "GET") return refuse(400, "A WebSocket handshake is a GET request (RFC 6455 §4.1).");
  if (major < 1 || (major === 1 && minor < 1)) return refuse(400, "A WebSocket handshake needs HTTP/1.1 (RFC 6455 §4.1).");
  if (request.getAll("host").length !== 1) return refuse(400, "A WebSocket handshake needs one Host field (RFC 6455 §4.1).");
  if (!request.getAll("upgrade").some((v) => listElements(v).some((p) => p.toLowerCase() === "websocket"))) {
    return refuse(400, "Upgrade must name websocket (RFC 6455 §4.2.1).");
  }
  if (!request.getAll("connection").some((v) => listHasToken(v, "upgrade")))
    return refuse(400, "Connection must hold upgrade (RFC 6455 §4.2.1).");
  const versions = request.getAll("sec-websocket-version");
  if (versions.length !== 1 || versions[0].trim() !== "13") {
    return refuse(426, "This server speaks WebSocket version 13 (RFC 6455 §4.4).", [["Sec-WebSocket-Version", "13"]]);
  }
  const keys = request.getAll("sec-websocket-key");
  if (keys.length !== 1 || !KEY.test(keys[0].trim())) {
    return refuse(400, "Sec-WebSocket-Key must be 16 bytes in base64 (RFC 6455 §4.1).");
  }
  const offered = request.getAll("sec-websocket-protocol").flatMap((v) => listElements(v));
  const wanted = options.protocol === undefined ? [] : typeof options.protocol === "string" ? [options.protocol] : options.protocol;
  const protocol = wanted.find((p) => offered.includes(p)) ?? "";
  const compression = options.perMessageDeflate ?? false;
  const deflate =
    compression === false
      ? null
      : acceptPerMessageDeflate(parseExtensionOffers(request.getAll("sec-websocket-extensions")), compression === true ? {} : compression);
  return { key: keys[0].trim(), protocol, deflate, extensions: deflate?.response ?? "" };
}

/** `Sec-WebSocket-Accept` for `key`: base64 of SHA-1 of the key and the GUID (RFC 6455 §4.2.2). */
export function acceptValue(key: string, sha1: (data: Uint8Array) => Uint8Array): string {
  return encodeBase64(sha1(new TextEncoder().encode(key + WEBSOCKET_GUID)));
}

/** The fields of the `101` answer, after `Server` and `Date`: flat `[name, value, …]`. */
export function handshakeFields(handshake: AcceptedHandshake, sha1: (data: Uint8Array) => Uint8Array): string[] {
  const fields = ["Upgrade", "websocket", "Connection", "Upgrade", "Sec-WebSocket-Accept", acceptValue(handshake.key, sha1)];
  if (handshake.protocol !== "") fields.push("Sec-WebSocket-Protocol", handshake.protocol);
  if (handshake.extensions !== "") fields.push("Sec-WebSocket-Extensions", handshake.extensions);
  return fields;
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Base64 with padding (RFC 4648 §4). */
export function encodeBase64(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 3 <= bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + ALPHABET[(n >> 6) & 63] + ALPHABET[n & 63];
  }
  if (i + 1 === bytes.length) {
    const n = bytes[i] << 16;
    out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + "==";
  } else if (i + 2 === bytes.length) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + ALPHABET[(n >> 6) & 63] + "=";
  }
  return out;
}
