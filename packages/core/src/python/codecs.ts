/**
 * Python's UTF-8 error handlers that let file names which are not UTF-8 travel through strings
 * and URLs and back to the same bytes:
 *
 * - `surrogateescape` (PEP 383, `os.fsdecode`/`os.fsencode`): each byte that is not part of
 *   valid UTF-8 becomes the lone surrogate U+DC80–U+DCFF, and back.
 * - `surrogatepass`: a lone surrogate is encoded as the three bytes UTF-8 would give it (as
 *   `SimpleHTTPRequestHandler` quotes links and unquotes paths), and decoded back.
 *
 * JavaScript strings hold lone surrogates as Python's do, so the same names result.
 * @module
 */

import { utf8DecodeStrict, utf8Encode } from "../http/chars.ts";

/** Matches a lone surrogate (a paired one forms a code point, which `\p{Cs}` does not match). */
const LONE_SURROGATE = /\p{Cs}/u;

/** True if `s` holds a lone surrogate: it came from bytes that are not UTF-8. */
export function hasLoneSurrogate(s: string): boolean {
  return LONE_SURROGATE.test(s);
}

/**
 * The length of the valid UTF-8 sequence at `bytes[i]` (1–4), or 0 if none starts there:
 * shortest form only, no surrogates unless `surrogates`, nothing above U+10FFFF.
 */
function sequenceAt(bytes: Uint8Array, i: number, surrogates: boolean): number {
  const b0 = bytes[i];
  if (b0 < 0x80) return 1;
  const cont = (k: number) => i + k < bytes.length && (bytes[i + k] & 0xc0) === 0x80;
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    const b1 = bytes[i + 1];
    if (b0 === 0xe0 && b1 < 0xa0) return 0;
    if (b0 === 0xed && b1 >= 0xa0 && !surrogates) return 0;
    return 3;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const b1 = bytes[i + 1];
    if ((b0 === 0xf0 && b1 < 0x90) || (b0 === 0xf4 && b1 >= 0x90)) return 0;
    return 4;
  }
  return 0;
}

/** Decodes one valid sequence of `n` bytes at `bytes[i]` to its code point. */
function codePointAt(bytes: Uint8Array, i: number, n: number): number {
  if (n === 1) return bytes[i];
  if (n === 2) return ((bytes[i] & 0x1f) << 6) | (bytes[i + 1] & 0x3f);
  if (n === 3) return ((bytes[i] & 0x0f) << 12) | ((bytes[i + 1] & 0x3f) << 6) | (bytes[i + 2] & 0x3f);
  return ((bytes[i] & 0x07) << 18) | ((bytes[i + 1] & 0x3f) << 12) | ((bytes[i + 2] & 0x3f) << 6) | (bytes[i + 3] & 0x3f);
}

/** Python's `bytes.decode('utf-8', 'surrogateescape')` (`os.fsdecode` on Linux). */
export function fsdecode(bytes: Uint8Array): string {
  const text = utf8DecodeStrict(bytes);
  if (text !== null) return text;
  let out = "";
  for (let i = 0; i < bytes.length;) {
    const n = sequenceAt(bytes, i, false);
    if (n === 0) {
      out += String.fromCharCode(0xdc00 | bytes[i]);
      i++;
    } else {
      out += String.fromCodePoint(codePointAt(bytes, i, n));
      i += n;
    }
  }
  return out;
}

/**
 * Python's `str.encode('utf-8', 'surrogateescape')` (`os.fsencode` on Linux): U+DC80–U+DCFF
 * become the bytes 0x80–0xFF. Another lone surrogate (which Python refuses to encode) becomes
 * U+FFFD's bytes.
 */
export function fsencode(s: string): Uint8Array {
  if (!hasLoneSurrogate(s)) return utf8Encode(s);
  const out: number[] = [];
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c >= 0xdc80 && c <= 0xdcff) out.push(c & 0xff);
    else for (const b of utf8Encode(ch)) out.push(b);
  }
  return Uint8Array.from(out);
}

/** Python's `str.encode('utf-8', 'surrogatepass')`: a lone surrogate as its three bytes. */
export function encodeSurrogatePass(s: string): Uint8Array {
  if (!hasLoneSurrogate(s)) return utf8Encode(s);
  const out: number[] = [];
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c >= 0xd800 && c <= 0xdfff) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    else for (const b of utf8Encode(ch)) out.push(b);
  }
  return Uint8Array.from(out);
}

/**
 * Python's `bytes.decode('utf-8', 'surrogatepass')`: the three-byte form of a surrogate decodes
 * to it; `null` when the bytes are not valid UTF-8 otherwise (Python raises `UnicodeDecodeError`).
 */
export function decodeSurrogatePass(bytes: Uint8Array): string | null {
  const text = utf8DecodeStrict(bytes);
  if (text !== null) return text;
  let out = "";
  for (let i = 0; i < bytes.length;) {
    const n = sequenceAt(bytes, i, true);
    if (n === 0) return null;
    out += String.fromCodePoint(codePointAt(bytes, i, n));
    i += n;
  }
  return out;
}
