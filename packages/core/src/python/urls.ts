/**
 * The parts of Python's `urllib.parse` and `posixpath` that `SimpleHTTPRequestHandler` relies
 * on, with Python's exact results: `unquote`, `quote`, `urlsplit`, `urlunsplit`, `normpath`,
 * `http.server._url_collapse_path`.
 * @module
 */

import { utf8Decode } from "../http/chars.ts";
import { decodeSurrogatePass, encodeSurrogatePass } from "./codecs.ts";
import { pyRepr } from "../http/repr.ts";

const HEX = "0123456789ABCDEF";

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** Percent-decodes an ASCII run into bytes; invalid escapes stay literal (Python's `unquote_to_bytes`). */
function unquoteToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 && i + 2 < s.length) {
      const hi = hexValue(s.charCodeAt(i + 1));
      const lo = hexValue(s.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        out[n++] = (hi << 4) | lo;
        i += 2;
        continue;
      }
    }
    out[n++] = c;
  }
  return out.subarray(0, n);
}

/**
 * Python's `urllib.parse.unquote(string, errors=...)`: `%XX` escapes decoded as UTF-8, invalid
 * escapes kept literally, characters outside ASCII kept as they are. `strict` decodes as
 * `errors='surrogatepass'` (an escaped surrogate becomes that lone surrogate) and returns `null`
 * when an escape sequence is not valid UTF-8 otherwise (Python raises `UnicodeDecodeError`);
 * without it invalid sequences become U+FFFD (`errors='replace'`).
 */
export function unquote(s: string, strict: true): string | null;
export function unquote(s: string, strict?: false): string;
export function unquote(s: string, strict = false): string | null {
  if (!s.includes("%")) return s;
  let out = "";
  let i = 0;
  while (i < s.length) {
    // Runs of ASCII are unquoted together, so multi-byte escapes decode as one sequence.
    let j = i;
    while (j < s.length && s.charCodeAt(j) < 0x80) j++;
    if (j > i) {
      const bytes = unquoteToBytes(s.slice(i, j));
      if (strict) {
        const text = decodeSurrogatePass(bytes);
        if (text === null) return null;
        out += text;
      } else {
        out += utf8Decode(bytes);
      }
    }
    let k = j;
    while (k < s.length && s.charCodeAt(k) >= 0x80) k++;
    out += s.slice(j, k);
    i = k;
  }
  return out;
}

/**
 * `unquote` as `SimpleHTTPRequestHandler` applies it: `errors='surrogatepass'` first, then
 * `errors='replace'` when that fails.
 */
export function unquoteLenient(s: string): string {
  return unquote(s, true) ?? unquote(s);
}

const ALWAYS_SAFE = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~") ALWAYS_SAFE[c.charCodeAt(0)] = 1;

/**
 * Python's `urllib.parse.quote(string, safe='/', errors='surrogatepass')`: UTF-8 bytes other
 * than letters, digits, `_.-~` and the `safe` characters become `%XX` with upper-case hex; a lone
 * surrogate (a file name byte that is not UTF-8) is quoted as its three surrogatepass bytes.
 */
export function quote(s: string, safe = "/"): string {
  // The usual file name needs no escape: return it as it is, without encoding it to UTF-8.
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c < 0x80 && (ALWAYS_SAFE[c] === 1 || safe.includes(s[i]))) i++;
    else break;
  }
  if (i === s.length) return s;
  const bytes = encodeSurrogatePass(s);
  let out = "";
  for (const b of bytes) {
    if ((b < 0x80 && ALWAYS_SAFE[b] === 1) || (b < 0x80 && safe.includes(String.fromCharCode(b)))) {
      out += String.fromCharCode(b);
    } else {
      out += "%" + HEX[b >> 4] + HEX[b & 15];
    }
  }
  return out;
}

/** A URL split into Python's five `SplitResult` parts. */
export interface SplitResult {
  scheme: string;
  netloc: string;
  path: string;
  query: string;
  fragment: string;
}

const SCHEME_CHARS = /^[A-Za-z][A-Za-z0-9+\-.]*$/;
const USES_NETLOC = new Set([
  "",
  "ftp",
  "http",
  "gopher",
  "nntp",
  "telnet",
  "imap",
  "wais",
  "file",
  "mms",
  "https",
  "shttp",
  "snews",
  "prospero",
  "rtsp",
  "rtsps",
  "rtspu",
  "rsync",
  "svn",
  "svn+ssh",
  "sftp",
  "nfs",
  "git",
  "git+ssh",
  "ws",
  "wss",
  "itms-services",
]);

/** Python's `urllib.parse.urlsplit(url)` (RFC 3986 §3, Python's relaxed rules). */
export function urlsplit(url: string): SplitResult {
  // Leading C0 controls and spaces are stripped, then every tab, CR and LF (WHATWG URL).
  let start = 0;
  while (start < url.length && url.charCodeAt(start) <= 0x20) start++;
  let rest = url.slice(start).replace(/[\t\r\n]/g, "");
  let scheme = "";
  const colon = rest.indexOf(":");
  if (colon > 0 && SCHEME_CHARS.test(rest.slice(0, colon))) {
    scheme = rest.slice(0, colon).toLowerCase();
    rest = rest.slice(colon + 1);
  }
  let netloc = "";
  if (rest.startsWith("//")) {
    let end = rest.length;
    for (const delimiter of ["/", "?", "#"]) {
      const at = rest.indexOf(delimiter, 2);
      if (at >= 0 && at < end) end = at;
    }
    netloc = rest.slice(2, end);
    rest = rest.slice(end);
  }
  let fragment = "";
  const hash = rest.indexOf("#");
  if (hash >= 0) {
    fragment = rest.slice(hash + 1);
    rest = rest.slice(0, hash);
  }
  let query = "";
  const q = rest.indexOf("?");
  if (q >= 0) {
    query = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  return { scheme, netloc, path: rest, query, fragment };
}

/** Python's `urllib.parse.urlunsplit(parts)`: empty query and fragment are dropped. */
export function urlunsplit(parts: SplitResult): string {
  let url = parts.path;
  if (parts.netloc) {
    if (url && !url.startsWith("/")) url = "/" + url;
    url = "//" + parts.netloc + url;
  } else if (url.startsWith("//")) {
    url = "//" + url;
  } else if (parts.scheme && USES_NETLOC.has(parts.scheme) && (!url || url.startsWith("/"))) {
    url = "//" + url;
  }
  if (parts.scheme) url = parts.scheme + ":" + url;
  if (parts.query) url += "?" + parts.query;
  if (parts.fragment) url += "#" + parts.fragment;
  return url;
}

/**
 * Python's `posixpath.normpath(path)`: collapses repeated `/`, drops `.`, resolves `..` lexically
 * (never above the root), keeps exactly two leading slashes as POSIX allows.
 */
export function normpath(path: string): string {
  if (path === "") return ".";
  let initial = path.startsWith("/") ? 1 : 0;
  if (initial === 1 && path.startsWith("//") && !path.startsWith("///")) initial = 2;
  const out: string[] = [];
  for (const comp of path.split("/")) {
    if (comp === "" || comp === ".") continue;
    if (comp !== ".." || (initial === 0 && out.length === 0) || (out.length > 0 && out[out.length - 1] === "..")) {
      out.push(comp);
    } else if (out.length > 0) {
      out.pop();
    }
  }
  const joined = "/".repeat(initial) + out.join("/");
  return joined === "" ? "." : joined;
}

/** Python's `posixpath.join(a, b)` for a relative `b`. */
export function joinPath(a: string, b: string): string {
  return a === "" || a.endsWith("/") ? a + b : a + "/" + b;
}

/**
 * A path for a `Location` field that no client can read as another origin: a leading run of `/`
 * becomes one (what gh-87389 does to the request path: `//evil.com/` would be a network-path
 * reference, RFC 3986 §4.2), and every `\` is percent-encoded, since WHATWG URL parsers read `\`
 * as `/` in http(s) URLs (`/\evil.com/` resolves to `http://evil.com/`). Python sends the path
 * as it is.
 */
export function redirectPath(path: string): string {
  let p = path.includes("\\") ? path.replaceAll("\\", "%5C") : path;
  if (p.startsWith("//")) p = "/" + p.replace(/^\/+/, "");
  return p;
}

/**
 * Python's `_url_collapse_path(path)`: the query split off, the path percent-decoded, empty and
 * `.` segments dropped and `..` resolved, the query put back. The result always starts with `/`
 * (`""` gives `"//"`, as in Python).
 * @throws {RangeError} when `..` climbs above the root (Python raises `IndexError`).
 */
export function urlCollapsePath(path: string): string {
  const q = path.indexOf("?");
  const query = q < 0 ? "" : path.slice(q + 1);
  const pathParts = unquote(q < 0 ? path : path.slice(0, q)).split("/");
  const headParts: string[] = [];
  const tooManyDots = () => new RangeError(`too many '..' in ${pyRepr(path)}`);
  for (const part of pathParts.slice(0, -1)) {
    if (part === "..") {
      if (headParts.pop() === undefined) throw tooManyDots();
    } else if (part !== "" && part !== ".") {
      headParts.push(part);
    }
  }
  let tailPart = pathParts.pop()!;
  if (tailPart === "..") {
    if (headParts.pop() === undefined) throw tooManyDots();
    tailPart = "";
  } else if (tailPart === ".") {
    tailPart = "";
  }
  if (query !== "") tailPart = `${tailPart}?${query}`;
  return `/${headParts.join("/")}/${tailPart}`;
}
