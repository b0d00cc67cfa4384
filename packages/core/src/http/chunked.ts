/**
 * The chunked transfer coding (RFC 9112 §7.1), decoded byte by byte so that input may be split
 * anywhere without buffering lines. Strict: chunk-size is 1*HEXDIG (at most 2^53 - 1), the
 * extension grammar is checked, and every line ends in exactly CR LF.
 * @module
 */

import { CR, HEX_VALUE, HT, LF, SP, TCHAR } from "./chars.ts";

// Decoder states; the order matters: states up to SIZE_LF count toward the line limit.
// chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ) (RFC 9112 §7.1.1):
// white space may come before ";" and around "=", never right before the CRLF.
const SIZE_FIRST = 0;
const SIZE = 1;
const EXT_END = 2; // after the size or a value: ";", CR or BWS
const EXT_BWS_BEFORE_SEMI = 3; // BWS seen: only ";" may follow
const EXT_BWS_BEFORE_NAME = 4;
const EXT_NAME = 5;
const EXT_NAME_END = 6; // after a name: "=", ";", CR or BWS
const EXT_BWS_BEFORE_EQ = 7; // BWS seen after a name: "=" or ";" may follow
const EXT_BWS_BEFORE_VALUE = 8;
const EXT_VALUE_TOKEN = 9;
const EXT_QUOTED = 10;
const EXT_QUOTED_PAIR = 11;
const SIZE_LF = 12;
const DATA = 13;
const DATA_CR = 14;
const DATA_LF = 15;
const TRAILER_LINE_START = 16;
const TRAILER_LINE = 17;
const TRAILER_LF = 18;
const FINAL_LF = 19;
const DONE = 20;
const ERROR = 21;

/** The (empty, so immutable) trailer section of most bodies: no allocation per message. */
const NO_BYTES = new Uint8Array(0);

/** Limits of a {@link ChunkedDecoder}, in bytes. */
export interface ChunkedLimits {
  /** Longest chunk-size line including extensions and CRLF (default 4096). */
  maxLineBytes?: number;
  /** Most bytes of trailer section (default 65536). */
  maxTrailerBytes?: number;
  /** Most trailer field lines (default 100). */
  maxTrailerFields?: number;
}

/**
 * Decodes a chunked message body incrementally.
 *
 * Call {@link decode} with the bytes at hand; it consumes framing bytes and stops at the first
 * data byte (then {@link dataRemaining} > 0: the caller takes up to that many bytes as data and
 * reports them with {@link skipData}), at the end of input, at the end of the body
 * ({@link done}), or at an error ({@link error}).
 */
export class ChunkedDecoder {
  #state = SIZE_FIRST;
  #size = 0;
  #lineBytes = 0;
  #trailerBytes = 0;
  #trailerFields = 0;
  #trailer: number[] = [];
  readonly #maxLine: number;
  readonly #maxTrailer: number;
  readonly #maxTrailerFields: number;
  /** Data bytes of the current chunk not yet taken by the caller. */
  dataRemaining = 0;
  /** Why decoding failed, or `null`. */
  error: string | null = null;
  /**
   * True when the limit that failed was a trailer-section limit (the status is then 431, not
   * 400); an over-long chunk-size line is a bad chunk line (400).
   */
  tooLarge = false;

  constructor(limits: ChunkedLimits = {}) {
    this.#maxLine = limits.maxLineBytes ?? 4096;
    this.#maxTrailer = limits.maxTrailerBytes ?? 65536;
    this.#maxTrailerFields = limits.maxTrailerFields ?? 100;
  }

  /** True once the last chunk, the trailer section and the final CRLF were decoded. */
  get done(): boolean {
    return this.#state === DONE;
  }

  /** The raw trailer section (field lines with their CRLFs), available once {@link done}. */
  get trailerBytes(): Uint8Array {
    return this.#trailer.length === 0 ? NO_BYTES : Uint8Array.from(this.#trailer);
  }

  /** Reports that the caller took `n` data bytes (at most {@link dataRemaining}). */
  skipData(n: number): void {
    this.dataRemaining -= n;
    if (this.dataRemaining === 0) this.#state = DATA_CR;
  }

  #fail(reason: string, tooLarge = false): number {
    this.#state = ERROR;
    this.error = reason;
    this.tooLarge = tooLarge;
    return -1;
  }

  /**
   * Consumes framing bytes of `buf[pos, end)`.
   * @returns the index of the first byte not consumed (a data byte when {@link dataRemaining}
   *   > 0), or -1 on error.
   */
  decode(buf: Uint8Array, pos: number, end: number): number {
    let state = this.#state;
    let i = pos;
    while (i < end) {
      if (state === DATA) {
        this.#state = state;
        return i;
      }
      if (state === DATA_CR && i + 1 < end && buf[i] === CR && buf[i + 1] === LF) {
        state = SIZE_FIRST;
        i += 2;
        continue;
      }
      if (state === SIZE_FIRST && this.#lineBytes === 0) {
        // The usual chunk-size line, whole in the buffer: 1 to 13 hex digits (below 2^53, so no
        // overflow check), CR LF. Anything else goes through the states below. The states count
        // the CR twice toward the line limit (it is looked at in SIZE and again after it), so
        // the limit is checked here for digits + 3 bytes as well.
        let j = i;
        let size = 0;
        const stop = end - i > 13 ? i + 13 : end;
        while (j < stop) {
          const v = HEX_VALUE[buf[j]];
          if (v < 0) break;
          size = size * 16 + v;
          j++;
        }
        if (j > i && j + 1 < end && buf[j] === CR && buf[j + 1] === LF && j + 3 - i <= this.#maxLine) {
          this.#size = size;
          if (size === 0) {
            state = TRAILER_LINE_START;
          } else {
            this.dataRemaining = size;
            state = DATA;
          }
          i = j + 2;
          continue;
        }
      }
      const c = buf[i];
      if (state <= SIZE_LF && ++this.#lineBytes > this.#maxLine) {
        return this.#fail("chunk-size line too long");
      }
      switch (state) {
        case SIZE_FIRST: {
          const v = HEX_VALUE[c];
          if (v < 0) return this.#fail("invalid chunk-size");
          this.#size = v;
          state = SIZE;
          break;
        }
        case SIZE: {
          const v = HEX_VALUE[c];
          if (v >= 0) {
            this.#size = this.#size * 16 + v;
            if (this.#size > Number.MAX_SAFE_INTEGER) return this.#fail("chunk-size too large");
            break;
          }
          state = EXT_END;
          this.#lineBytes--; // c is examined again and must be counted once
          continue;
        }
        case EXT_END:
          if (c === 0x3b) state = EXT_BWS_BEFORE_NAME;
          else if (c === CR) state = SIZE_LF;
          else if (c === SP || c === HT) state = EXT_BWS_BEFORE_SEMI;
          else return this.#fail("invalid chunk-size line");
          break;
        case EXT_BWS_BEFORE_SEMI:
          if (c === 0x3b) state = EXT_BWS_BEFORE_NAME;
          else if (c !== SP && c !== HT) return this.#fail("invalid chunk-size line");
          break;
        case EXT_BWS_BEFORE_NAME:
          if (TCHAR[c] === 1) state = EXT_NAME;
          else if (c !== SP && c !== HT) return this.#fail("invalid chunk extension");
          break;
        case EXT_NAME:
          if (TCHAR[c] === 1) break;
          state = EXT_NAME_END;
          this.#lineBytes--;
          continue;
        case EXT_NAME_END:
          if (c === 0x3d) state = EXT_BWS_BEFORE_VALUE;
          else if (c === 0x3b) state = EXT_BWS_BEFORE_NAME;
          else if (c === CR) state = SIZE_LF;
          else if (c === SP || c === HT) state = EXT_BWS_BEFORE_EQ;
          else return this.#fail("invalid chunk extension");
          break;
        case EXT_BWS_BEFORE_EQ:
          if (c === 0x3d) state = EXT_BWS_BEFORE_VALUE;
          else if (c === 0x3b) state = EXT_BWS_BEFORE_NAME;
          else if (c !== SP && c !== HT) return this.#fail("invalid chunk extension");
          break;
        case EXT_BWS_BEFORE_VALUE:
          if (c === 0x22) state = EXT_QUOTED;
          else if (TCHAR[c] === 1) state = EXT_VALUE_TOKEN;
          else if (c !== SP && c !== HT) return this.#fail("invalid chunk extension");
          break;
        case EXT_VALUE_TOKEN:
          if (TCHAR[c] === 1) break;
          state = EXT_END;
          this.#lineBytes--;
          continue;
        case EXT_QUOTED:
          // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
          if (c === 0x22) state = EXT_END;
          else if (c === 0x5c) state = EXT_QUOTED_PAIR;
          else if (!(c === HT || (c >= 0x20 && c !== 0x7f))) return this.#fail("invalid chunk extension");
          break;
        case EXT_QUOTED_PAIR:
          if (!(c === HT || (c >= 0x20 && c !== 0x7f))) return this.#fail("invalid chunk extension");
          state = EXT_QUOTED;
          break;
        case SIZE_LF:
          if (c !== LF) return this.#fail("chunk-size line not ended by CRLF");
          this.#lineBytes = 0;
          if (this.#size === 0) {
            state = TRAILER_LINE_START;
          } else {
            this.dataRemaining = this.#size;
            state = DATA;
          }
          break;
        case DATA_CR:
          if (c !== CR) return this.#fail("chunk data not followed by CRLF");
          state = DATA_LF;
          break;
        case DATA_LF:
          if (c !== LF) return this.#fail("chunk data not followed by CRLF");
          state = SIZE_FIRST;
          break;
        case TRAILER_LINE_START:
          if (c === CR) {
            state = FINAL_LF;
            break;
          }
          if (c === SP || c === HT) return this.#fail("obsolete line folding in trailer section");
          if (++this.#trailerFields > this.#maxTrailerFields) return this.#fail("too many trailer fields", true);
          state = TRAILER_LINE;
          continue;
        case TRAILER_LINE:
          if (++this.#trailerBytes > this.#maxTrailer) return this.#fail("trailer section too large", true);
          if (c === CR) state = TRAILER_LF;
          else if (c === LF || c === 0) return this.#fail("invalid trailer field line");
          this.#trailer.push(c);
          break;
        case TRAILER_LF:
          if (c !== LF) return this.#fail("CR without LF in trailer section");
          this.#trailer.push(c);
          state = TRAILER_LINE_START;
          break;
        case FINAL_LF:
          if (c !== LF) return this.#fail("chunked body not ended by CRLF");
          this.#state = DONE;
          return i + 1;
        case DONE:
          this.#state = state;
          return i;
        case ERROR:
          return -1;
      }
      i++;
    }
    this.#state = state;
    return i;
  }
}

/**
 * Frames `data` as one chunk (RFC 9112 §7.1): `<hex size> CRLF data CRLF`. Empty data yields an
 * empty array, since a zero-size chunk would end the body.
 */
export function encodeChunk(data: Uint8Array): Uint8Array[] {
  if (data.length === 0) return [];
  const head = data.length.toString(16) + "\r\n";
  const prefix = new Uint8Array(head.length);
  for (let i = 0; i < head.length; i++) prefix[i] = head.charCodeAt(i);
  return [prefix, data, CRLF_BYTES];
}

const CRLF_BYTES = new Uint8Array([CR, LF]);

/** The last chunk and an empty trailer section: `0 CRLF CRLF`. */
export const LAST_CHUNK: Uint8Array = new Uint8Array([0x30, CR, LF, CR, LF]);
