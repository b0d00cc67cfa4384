/**
 * Incremental UTF-8 validation (RFC 3629, the WHATWG Encoding standard's UTF-8 decoder): bytes
 * go in piece by piece, and the first byte that cannot be part of valid UTF-8 is reported at
 * once, however the text was split — a WebSocket endpoint must fail a text message as soon as
 * it sees invalid UTF-8 (RFC 6455 §8.1), not when the message ends.
 * @module
 */

/** Validates one text: feed its pieces in order with {@link push}, then ask {@link complete}. */
export class Utf8Validator {
  /** Continuation bytes still needed by the current sequence (0: between characters). */
  #needed = 0;
  /** The range the next continuation byte must fall in (narrower after E0, ED, F0, F4). */
  #lower = 0x80;
  #upper = 0xbf;

  /**
   * Checks `bytes[start, end)`, continuing the text fed so far.
   * @returns `false` when these bytes make the text invalid (the validator then stays invalid).
   */
  push(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
    let needed = this.#needed;
    if (needed < 0) return false;
    let lower = this.#lower;
    let upper = this.#upper;
    for (let i = start; i < end; i++) {
      const b = bytes[i];
      if (needed === 0) {
        if (b < 0x80) continue;
        if (b >= 0xc2 && b <= 0xdf) needed = 1;
        else if (b >= 0xe0 && b <= 0xef) {
          if (b === 0xe0) lower = 0xa0;
          else if (b === 0xed) upper = 0x9f;
          needed = 2;
        } else if (b >= 0xf0 && b <= 0xf4) {
          if (b === 0xf0) lower = 0x90;
          else if (b === 0xf4) upper = 0x8f;
          needed = 3;
        } else {
          this.#needed = -1;
          return false;
        }
        continue;
      }
      if (b < lower || b > upper) {
        this.#needed = -1;
        return false;
      }
      lower = 0x80;
      upper = 0xbf;
      needed--;
    }
    this.#needed = needed;
    this.#lower = lower;
    this.#upper = upper;
    return true;
  }

  /** True when the text fed so far is valid and ends on a whole character. */
  get complete(): boolean {
    return this.#needed === 0;
  }

  /** Starts a new text. */
  reset(): void {
    this.#needed = 0;
    this.#lower = 0x80;
    this.#upper = 0xbf;
  }
}

/** True when `bytes` is one whole valid UTF-8 text. */
export function isValidUtf8(bytes: Uint8Array): boolean {
  const validator = new Utf8Validator();
  return validator.push(bytes) && validator.complete;
}
