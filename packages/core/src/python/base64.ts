/**
 * Python's `base64.decodebytes`, which CGI's `REMOTE_USER` comes through (an `Authorization:
 * Basic` value).
 * @module
 */

const BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/**
 * Python's `base64.decodebytes` (`binascii.a2b_base64`, non-strict): characters outside the
 * alphabet are skipped, decoding stops at complete padding; `null` where Python raises
 * `binascii.Error` (a final group of 1 character, or missing padding).
 */
export function decodeBase64Lenient(text: string): Uint8Array | null {
  const out: number[] = [];
  let quadPos = 0;
  let left = 0;
  let pads = 0;
  for (const ch of text) {
    if (ch === "=") {
      if (quadPos >= 2 && quadPos + ++pads >= 4) return Uint8Array.from(out);
      continue;
    }
    const v = BASE64_ALPHABET.indexOf(ch);
    if (v < 0 || ch.length !== 1) continue;
    pads = 0;
    switch (quadPos) {
      case 0:
        left = v;
        quadPos = 1;
        break;
      case 1:
        out.push(((left << 2) | (v >> 4)) & 0xff);
        left = v & 0x0f;
        quadPos = 2;
        break;
      case 2:
        out.push(((left << 4) | (v >> 2)) & 0xff);
        left = v & 0x03;
        quadPos = 3;
        break;
      default:
        out.push(((left << 6) | v) & 0xff);
        quadPos = 0;
    }
  }
  return quadPos === 0 ? Uint8Array.from(out) : null;
}
