/**
 * Byte classes and the text codecs of the HTTP/1.x core.
 *
 * HTTP/1.x messages are octets (RFC 9112 §2.2); the core decodes only the request line and field
 * lines, as ISO-8859-1 (every byte maps to the code point of the same value), exactly as CPython's
 * `http.server` does. Runtime-neutral: the only globals used are `TextEncoder` and `TextDecoder`.
 *
 * @module
 */

interface TextDecoderLike {
  decode(input: Uint8Array): string;
}
interface TextEncoderLike {
  encode(input: string): Uint8Array;
  encodeInto(input: string, dest: Uint8Array): { read: number; written: number };
}
const codecs = globalThis as unknown as {
  TextDecoder: new (label?: string, options?: { fatal?: boolean }) => TextDecoderLike;
  TextEncoder: new () => TextEncoderLike;
};

const utf8Decoder = new codecs.TextDecoder("utf-8");
const utf8StrictDecoder = new codecs.TextDecoder("utf-8", { fatal: true });
const utf8Encoder = new codecs.TextEncoder();

/** Bytes the protocol looks for (RFC 9112 §2.2): CR, LF, SP, HTAB and the colon of a field line. */
export const CR = 0x0d;
/** LF, line feed: ends every line (RFC 9112 §2.2). */
export const LF = 0x0a;
/** SP, the space between the parts of the request line. */
export const SP = 0x20;
/** HTAB, white space in field values (RFC 9110 §5.6.3). */
export const HT = 0x09;
/** The colon between a field-name and its value (RFC 9112 §5.1). */
export const COLON = 0x3a;

/** Byte is a `tchar` (RFC 9110 §5.6.2): the characters of a token (method, field-name). */
export const TCHAR: Uint8Array = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;

/**
 * Byte is white space to Python's argument-less `str.split()` once the request line has been
 * decoded as ISO-8859-1: HT, LF, VT, FF, CR, the separators 0x1C–0x1F, SP, NEL (0x85) and NBSP
 * (0xA0). CPython splits the request line into words on exactly these (docs/cpython.md §1.2).
 */
export const PY_WHITESPACE = new Uint8Array(256);
for (const c of [0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0]) {
  PY_WHITESPACE[c] = 1;
}

/** Value of a hexadecimal digit byte, or -1 (RFC 5234 HEXDIG, either case). */
export const HEX_VALUE = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX_VALUE[0x30 + c] = c;
for (let c = 0; c < 6; c++) {
  HEX_VALUE[0x41 + c] = 10 + c;
  HEX_VALUE[0x61 + c] = 10 + c;
}

/** True if `s` is a non-empty token (RFC 9110 §5.6.2). */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff || TCHAR[c] === 0) return false;
  }
  return true;
}

/**
 * Decodes `bytes[start, end)` as ISO-8859-1. ASCII input (the usual case) takes the runtime's
 * native UTF-8 decoder, which gives the same result for bytes below 0x80; anything else is decoded
 * byte by byte, because WHATWG's "latin1" label is really windows-1252.
 */
export function latin1Decode(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const n = end - start;
  if (n <= 0) return "";
  const view = start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end);
  const fast = utf8Decoder.decode(view);
  // Every byte >= 0x80 either becomes U+FFFD or joins a multi-byte sequence that shortens the
  // result, so an equal length without U+FFFD proves the input was ASCII.
  if (fast.length === n && fast.indexOf("\ufffd") === -1) return fast;
  let out = "";
  for (let i = start; i < end; i += 4096) {
    const stop = Math.min(end, i + 4096);
    out += String.fromCharCode.apply(null, bytes.subarray(i, stop) as unknown as number[]);
  }
  return out;
}

/**
 * The runtime's UTF-8 decoding of `bytes[start, end)`, without the ISO-8859-1 fix-up of
 * {@link latin1Decode}: equal to it when the bytes are ASCII, which the caller must establish
 * (the head parser's fast path checks the result for U+FFFD and for its length).
 */
export function utf8DecodeRange(bytes: Uint8Array, start: number, end: number): string {
  return utf8Decoder.decode(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end));
}

/** Size of the slabs {@link allocBytes} carves small arrays from. */
const SLAB_BYTES = 64 * 1024;
/** Largest array {@link allocBytes} takes from a slab; larger ones get their own buffer. */
const SLAB_MAX = 4096;
let slab = new Uint8Array(SLAB_BYTES);
let slabUsed = 0;

/**
 * `parts` one after another in a new array (a copy even of a single part); `total` is the sum of
 * their lengths, computed when omitted.
 */
export function concatBytes(parts: readonly Uint8Array[], total = parts.reduce((n, part) => n + part.length, 0)): Uint8Array {
  // Not `.slice()`: a Node Buffer's `slice` is a view, not a copy.
  if (parts.length === 1) return new Uint8Array(parts[0]);
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * A new array of `n` bytes (contents unspecified). Small ones are views carved from a shared
 * 64 KiB slab, never handed out twice: a fresh `ArrayBuffer` per response head costs far more in
 * V8 than a view (Node's `Buffer.allocUnsafe` pools the same way). So `.buffer` of the result may
 * be larger than the array; use `byteOffset` and `byteLength`.
 */
export function allocBytes(n: number): Uint8Array {
  if (n > SLAB_MAX) return new Uint8Array(n);
  if (slabUsed + n > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + n);
  // Keep views 8-byte aligned, as Node's pool does.
  slabUsed = (slabUsed + n + 7) & ~7;
  return out;
}

/**
 * Encodes `s` as ISO-8859-1 into an array from {@link allocBytes}.
 * @throws {RangeError} if `s` has a character above U+00FF (Python's `UnicodeEncodeError` for
 *   `encode('latin-1', 'strict')`).
 */
export function latin1Encode(s: string): Uint8Array {
  const n = s.length;
  if (n > 64 && n <= SLAB_MAX) {
    // ASCII (the usual head) is encoded natively, straight into the slab.
    if (slabUsed + n > SLAB_BYTES) {
      slab = new Uint8Array(SLAB_BYTES);
      slabUsed = 0;
    }
    const { read, written } = utf8Encoder.encodeInto(s, slab.subarray(slabUsed, slabUsed + n));
    if (read === n && written === n) return allocBytes(n);
  }
  const out = allocBytes(n);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw latin1Error(c, i);
    out[i] = c;
  }
  return out;
}

/**
 * Writes `s` as ISO-8859-1 into `out` from index `at` (the caller made room for `s.length` bytes);
 * returns the index after it.
 * @throws {RangeError} if `s` has a character above U+00FF.
 */
export function latin1Write(s: string, out: Uint8Array, at: number): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw latin1Error(c, i);
    out[at + i] = c;
  }
  return at + s.length;
}

function latin1Error(c: number, i: number): RangeError {
  return new RangeError(`'latin-1' codec can't encode character U+${c.toString(16).padStart(4, "0")} in position ${i}`);
}

/** Encodes `s` as UTF-8; lone surrogates become U+FFFD (Python's `errors='replace'`). */
export function utf8Encode(s: string): Uint8Array {
  return utf8Encoder.encode(s);
}

/** Decodes UTF-8; invalid sequences become U+FFFD (Python's `errors='replace'`). */
export function utf8Decode(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}

/**
 * Decodes UTF-8, or returns `null` if `bytes` is not valid UTF-8 (Python's `errors='strict'`
 * raising `UnicodeDecodeError`).
 */
export function utf8DecodeStrict(bytes: Uint8Array): string | null {
  try {
    return utf8StrictDecoder.decode(bytes);
  } catch {
    return null;
  }
}
