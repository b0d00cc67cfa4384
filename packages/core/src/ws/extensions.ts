/**
 * Negotiating permessage-deflate (RFC 7692 §5, §7.1): the client's offers in
 * `Sec-WebSocket-Extensions` are read, the first one the server can accept is accepted, and the
 * response names the parameters both sides then use. Pure functions of strings.
 * @module
 */

/** One extension of an offer: its name and parameters (a parameter without a value is `true`). */
export interface ExtensionOffer {
  readonly name: string;
  readonly params: ReadonlyMap<string, string | true>;
}

/**
 * Reads `Sec-WebSocket-Extensions` values (RFC 6455 §9.1: `1#extension`, each `token *( ";"
 * token [ "=" (token | quoted-string) ] )`); each field line's value is one element of
 * `values`. An element that does not parse is skipped (a client's offer cannot break the
 * handshake; it is just not accepted).
 */
export function parseExtensionOffers(values: readonly string[]): ExtensionOffer[] {
  const offers: ExtensionOffer[] = [];
  for (const value of values) {
    for (const element of splitOutsideQuotes(value, ",")) {
      const parts = splitOutsideQuotes(element, ";").map((p) => p.trim());
      const name = parts[0].toLowerCase();
      if (!TOKEN.test(name)) continue;
      const params = new Map<string, string | true>();
      let ok = true;
      for (const part of parts.slice(1)) {
        const eq = part.indexOf("=");
        const key = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
        let param: string | true = true;
        if (eq >= 0) {
          param = part.slice(eq + 1).trim();
          if (param.startsWith('"')) param = param.length >= 2 && param.endsWith('"') ? param.slice(1, -1).replace(/\\(.)/g, "$1") : "";
          if (!TOKEN.test(param)) ok = false;
        }
        // A parameter given twice makes the offer invalid (RFC 7692 §7.1).
        if (!TOKEN.test(key) || params.has(key)) ok = false;
        params.set(key, param);
      }
      if (ok) offers.push({ name, params });
    }
  }
  return offers;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Splits `s` at `separator` where it is not inside a quoted-string; empty pieces are dropped. */
function splitOutsideQuotes(s: string, separator: string): string[] {
  const out: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"') quoted = !quoted;
    else if (c === "\\" && quoted) i++;
    else if (c === separator && !quoted) {
      if (s.slice(start, i).trim() !== "") out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  if (s.slice(start).trim() !== "") out.push(s.slice(start));
  return out;
}

/** What the server allows of permessage-deflate (the `ws` package's option names). */
export interface PerMessageDeflateOptions {
  /** Always ask the server's compressor to start afresh for each message (less memory, less compression). Default `false`. */
  serverNoContextTakeover?: boolean;
  /** Always ask the client's compressor to start afresh for each message. Default `false`. */
  clientNoContextTakeover?: boolean;
  /** The largest LZ77 window of the server's compressor, 2^n bytes, n in 9–15 (default 15). */
  serverMaxWindowBits?: number;
  /** The largest window asked of the client's compressor, when the client allows asking (8–15, default 15). */
  clientMaxWindowBits?: number;
  /** Messages shorter than this many bytes are sent uncompressed (default 1024, as `ws`). */
  threshold?: number;
  /** zlib's compression level, 0–9 (default 1: fast, as a server compressing every message wants). */
  level?: number;
  /** zlib's `memLevel`, 1–9 (default 8). */
  memLevel?: number;
}

/** The parameters agreed for a connection (RFC 7692 §7.1). */
export interface PerMessageDeflateParams {
  /** The server's compressor resets after each message. */
  readonly serverNoContextTakeover: boolean;
  /** The client's compressor resets after each message (our decompressor must then too). */
  readonly clientNoContextTakeover: boolean;
  /** The window of the server's compressor, 2^n bytes. */
  readonly serverMaxWindowBits: number;
  /** The largest window the client's compressor uses, 2^n bytes. */
  readonly clientMaxWindowBits: number;
  /** The `Sec-WebSocket-Extensions` value of the response. */
  readonly response: string;
}

/** A window-bits parameter's value: 8–15 as plain digits, else `null`. */
function windowBits(value: string | true): number | null {
  if (value === true || !/^(8|9|1[0-5])$/.test(value)) return null;
  return Number(value);
}

/**
 * Accepts the first permessage-deflate offer the server can honour, as RFC 7692 §5 and §7.1
 * require: unknown parameters or invalid values decline that offer; `server_max_window_bits=8`
 * is declined too (zlib's raw compressor has no 256-byte window). `null` when none is accepted
 * (the connection then goes on without compression).
 */
export function acceptPerMessageDeflate(
  offers: readonly ExtensionOffer[],
  options: PerMessageDeflateOptions = {},
): PerMessageDeflateParams | null {
  const ourServerBits = options.serverMaxWindowBits ?? 15;
  const ourClientBits = options.clientMaxWindowBits ?? 15;
  for (const offer of offers) {
    if (offer.name !== "permessage-deflate") continue;
    let ok = true;
    let serverBits = ourServerBits;
    let clientBits = 15;
    let clientBitsAllowed = false;
    for (const [key, value] of offer.params) {
      switch (key) {
        case "server_no_context_takeover":
        case "client_no_context_takeover":
          ok &&= value === true;
          break;
        case "server_max_window_bits": {
          const bits = windowBits(value);
          if (bits === null || bits === 8) ok = false;
          else serverBits = Math.min(serverBits, bits);
          break;
        }
        case "client_max_window_bits": {
          const bits = value === true ? 15 : windowBits(value);
          if (bits === null) ok = false;
          else {
            clientBitsAllowed = true;
            clientBits = Math.min(bits, ourClientBits);
          }
          break;
        }
        default:
          ok = false;
      }
    }
    if (!ok) continue;
    const serverNoContextTakeover = (options.serverNoContextTakeover ?? false) || offer.params.has("server_no_context_takeover");
    const clientNoContextTakeover = (options.clientNoContextTakeover ?? false) || offer.params.has("client_no_context_takeover");
    let response = "permessage-deflate";
    if (serverNoContextTakeover) response += "; server_no_context_takeover";
    if (clientNoContextTakeover) response += "; client_no_context_takeover";
    if (offer.params.has("server_max_window_bits") || serverBits < 15) response += `; server_max_window_bits=${serverBits}`;
    // Only a client that offered client_max_window_bits may be told a window (RFC 7692 §7.1.2.2).
    if (clientBitsAllowed && (clientBits < 15 || offer.params.get("client_max_window_bits") !== true)) {
      response += `; client_max_window_bits=${clientBits}`;
    }
    return { serverNoContextTakeover, clientNoContextTakeover, serverMaxWindowBits: serverBits, clientMaxWindowBits: clientBits, response };
  }
  return null;
}
