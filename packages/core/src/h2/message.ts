/**
 * HTTP/2 message rules for requests (RFC 9113 §8): pseudo-header fields, lowercase names, no
 * connection-specific fields, `te` only `trailers`, `content-length`, `:authority` against
 * `Host`, CONNECT (§8.5), and trailers. A request that breaks one is malformed: a stream error
 * of type PROTOCOL_ERROR (§8.1.1).
 * @module
 */

/** A request's control data and fields, checked. */
export interface RequestHead {
  readonly method: string;
  /** `:scheme`, or `""` for CONNECT. */
  readonly scheme: string;
  /** `:authority`, or `""` when absent. */
  readonly authority: string;
  /** `:path`, or `""` for CONNECT. */
  readonly path: string;
  /**
   * The other field lines, flat `[name, value, …]`, lowercase names, in order; `cookie` lines
   * joined into one with `"; "` (RFC 9113 §8.2.3).
   */
  readonly fields: string[];
  /** The `content-length`, or -1 when absent. */
  readonly contentLength: number;
}

/** Fields that only mean something on one HTTP/1 connection (RFC 9113 §8.2.2). */
const CONNECTION_SPECIFIC = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]);

/** `tchar` of RFC 9110 §5.6.2 without uppercase letters: what a field name may contain in HTTP/2. */
const NAME_CHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz") NAME_CHAR[c.charCodeAt(0)] = 1;

/** Why the field line is malformed (RFC 9113 §8.2.1), or `null`. */
function fieldProblem(name: string, value: string): string | null {
  if (name.length === 0) return "an empty field name";
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 128 || NAME_CHAR[c] === 0) {
      return c >= 0x41 && c <= 0x5a ? `an uppercase field name: ${name}` : `an invalid field name: ${JSON.stringify(name)}`;
    }
  }
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0 || c === 0x0a || c === 0x0d) return `a NUL, CR or LF in the value of ${name}`;
  }
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(value.length - 1);
  if (first === 0x20 || first === 0x09 || last === 0x20 || last === 0x09) return `whitespace around the value of ${name}`;
  if (CONNECTION_SPECIFIC.has(name)) return `a connection-specific field: ${name}`;
  if (name === "te" && value.toLowerCase() !== "trailers") return "te other than trailers";
  return null;
}

/**
 * Checks a request's decoded field block, flat `[name, value, …]` (RFC 9113 §8.3.1, §8.5): the
 * request head, or a string saying why the request is malformed.
 */
export function checkRequest(block: readonly string[]): RequestHead | string {
  let method: string | null = null;
  let scheme: string | null = null;
  let authority: string | null = null;
  let path: string | null = null;
  let host: string | null = null;
  let contentLength = -1;
  let cookie: string | null = null;
  const fields: string[] = [];
  let regular = false;
  for (let i = 0; i < block.length; i += 2) {
    const name = block[i];
    const value = block[i + 1];
    if (name.charCodeAt(0) === 0x3a) {
      if (regular) return `the pseudo-header field ${name} after a regular field`;
      switch (name) {
        case ":method":
          if (method !== null) return "two :method fields";
          method = value;
          break;
        case ":scheme":
          if (scheme !== null) return "two :scheme fields";
          scheme = value;
          break;
        case ":authority":
          if (authority !== null) return "two :authority fields";
          authority = value;
          break;
        case ":path":
          if (path !== null) return "two :path fields";
          path = value;
          break;
        default:
          return `the pseudo-header field ${name} in a request`;
      }
      continue;
    }
    regular = true;
    const problem = fieldProblem(name, value);
    if (problem !== null) return problem;
    if (name === "content-length") {
      if (!/^[0-9]{1,15}$/.test(value) || (contentLength !== -1 && contentLength !== Number(value))) {
        return `an invalid content-length: ${value}`;
      }
      contentLength = Number(value);
    } else if (name === "host") {
      host = value;
    } else if (name === "cookie") {
      cookie = cookie === null ? value : `${cookie}; ${value}`;
      continue;
    }
    fields.push(name, value);
  }
  if (method === null) return "no :method";
  if (method === "CONNECT") {
    if (scheme !== null || path !== null) return "a CONNECT request with :scheme or :path";
    if (authority === null || authority === "") return "a CONNECT request without :authority";
  } else {
    if (scheme === null) return "no :scheme";
    if (path === null) return "no :path";
    if (path === "") return "an empty :path";
  }
  if (authority !== null && host !== null && authority !== host) return ":authority and host differ";
  if (cookie !== null) fields.push("cookie", cookie);
  return { method, scheme: scheme ?? "", authority: authority ?? "", path: path ?? "", fields, contentLength };
}

/** Checks a trailer section (RFC 9113 §8.1): `null`, or why it is malformed. */
export function checkTrailers(block: readonly string[]): string | null {
  for (let i = 0; i < block.length; i += 2) {
    if (block[i].charCodeAt(0) === 0x3a) return `the pseudo-header field ${block[i]} in trailers`;
    const problem = fieldProblem(block[i], block[i + 1]);
    if (problem !== null) return problem;
  }
  return null;
}

/**
 * `:method` and the request-target (`:path`, or `:authority` for CONNECT, RFC 9113 §8.3.1 and
 * §8.5) among `fields`, each `null` when missing: what a refused field block can be logged with.
 */
export function requestLineOf(fields: readonly string[]): { method: string | null; target: string | null } {
  const pseudo = (name: string) => {
    for (let i = 0; i < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
    return null;
  };
  const method = pseudo(":method");
  return { method, target: pseudo(method === "CONNECT" ? ":authority" : ":path") };
}
