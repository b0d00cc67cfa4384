/**
 * HPACK (RFC 7541): the static and dynamic tables, and a decoder and an encoder of field blocks.
 * Field names and values are strings of ISO-8859-1 characters, one per octet, as the HTTP/1
 * core keeps them.
 * @module
 */

import { latin1Decode } from "../http/chars.ts";
import { huffmanDecode, huffmanEncode, huffmanLength } from "./huffman.ts";

/** The static table (RFC 7541 Appendix A), index 1 first. */
export const STATIC_TABLE: readonly (readonly [string, string])[] = Object.freeze(
  (
    [
      [":authority", ""],
      [":method", "GET"],
      [":method", "POST"],
      [":path", "/"],
      [":path", "/index.html"],
      [":scheme", "http"],
      [":scheme", "https"],
      [":status", "200"],
      [":status", "204"],
      [":status", "206"],
      [":status", "304"],
      [":status", "400"],
      [":status", "404"],
      [":status", "500"],
      ["accept-charset", ""],
      ["accept-encoding", "gzip, deflate"],
      ["accept-language", ""],
      ["accept-ranges", ""],
      ["accept", ""],
      ["access-control-allow-origin", ""],
      ["age", ""],
      ["allow", ""],
      ["authorization", ""],
      ["cache-control", ""],
      ["content-disposition", ""],
      ["content-encoding", ""],
      ["content-language", ""],
      ["content-length", ""],
      ["content-location", ""],
      ["content-range", ""],
      ["content-type", ""],
      ["cookie", ""],
      ["date", ""],
      ["etag", ""],
      ["expect", ""],
      ["expires", ""],
      ["from", ""],
      ["host", ""],
      ["if-match", ""],
      ["if-modified-since", ""],
      ["if-none-match", ""],
      ["if-range", ""],
      ["if-unmodified-since", ""],
      ["last-modified", ""],
      ["link", ""],
      ["location", ""],
      ["max-forwards", ""],
      ["proxy-authenticate", ""],
      ["proxy-authorization", ""],
      ["range", ""],
      ["referer", ""],
      ["refresh", ""],
      ["retry-after", ""],
      ["server", ""],
      ["set-cookie", ""],
      ["strict-transport-security", ""],
      ["transfer-encoding", ""],
      ["user-agent", ""],
      ["vary", ""],
      ["via", ""],
      ["www-authenticate", ""],
    ] as const
  ).map((entry) => Object.freeze([entry[0], entry[1]] as const)),
);

/** An entry's size: its name's and value's octets plus 32 (RFC 7541 §4.1). */
export const ENTRY_OVERHEAD = 32;

/** The default maximum size of a dynamic table in bytes (RFC 9113 §6.5.2 `SETTINGS_HEADER_TABLE_SIZE`). */
export const DEFAULT_TABLE_SIZE = 4096;

/** A field block cannot be decoded: the connection ends with COMPRESSION_ERROR (RFC 9113 §4.3). */
export class CompressionError extends Error {
  override name = "CompressionError";
}

/**
 * The dynamic table (RFC 7541 §2.3.2, §4): entries newest first, evicted oldest first to stay
 * within the maximum size.
 */
class DynamicTable {
  /** Oldest first: `names[names.length - 1]` is index 1 of the dynamic table. */
  names: string[] = [];
  values: string[] = [];
  /** The sum of the entries' sizes, in bytes. */
  size = 0;
  /** Entries ever evicted (an entry's insertion number minus this is its position). */
  evicted = 0;
  onEvict: ((name: string, value: string, insertion: number) => void) | null = null;

  constructor(public maxSize: number) {}

  get length(): number {
    return this.names.length;
  }

  /** Adds an entry (RFC 7541 §4.4: one larger than the table empties it and is not added). */
  add(name: string, value: string): void {
    const size = name.length + value.length + ENTRY_OVERHEAD;
    this.#evictTo(this.maxSize - size);
    if (size > this.maxSize) return;
    this.names.push(name);
    this.values.push(value);
    this.size += size;
  }

  resize(maxSize: number): void {
    this.maxSize = maxSize;
    this.#evictTo(maxSize);
  }

  #evictTo(limit: number): void {
    let count = 0;
    while (this.size > limit && count < this.names.length) {
      this.size -= this.names[count].length + this.values[count].length + ENTRY_OVERHEAD;
      this.onEvict?.(this.names[count], this.values[count], this.evicted + count);
      count++;
    }
    if (count === 0) return;
    this.names.splice(0, count);
    this.values.splice(0, count);
    this.evicted += count;
  }
}

/** A decoded field block. */
export interface DecodedBlock {
  /**
   * Field lines, flat `[name, value, …]`; when {@link oversized}, only the pseudo-header fields
   * decoded before the limit (they come first, RFC 9113 §8.3), so that the `431` can be logged
   * with its request line.
   */
  readonly fields: string[];
  /**
   * The block decodes to more than the limits allow (bytes counted as `name + value + 32` per
   * field, RFC 9113 §6.5.2 `SETTINGS_MAX_HEADER_LIST_SIZE`, or fields): the whole block was still
   * decoded, so the dynamic table stays in step, but its fields were dropped as they came.
   */
  readonly oversized: boolean;
}

/** Decodes field blocks (RFC 7541 §3, §6); one per connection, fed every block in order. */
export class HpackDecoder {
  readonly #table: DynamicTable;
  /** The most the encoder may set the table to: the `SETTINGS_HEADER_TABLE_SIZE` we sent. */
  #allowedSize: number;

  constructor(maxTableSize = DEFAULT_TABLE_SIZE) {
    this.#table = new DynamicTable(maxTableSize);
    this.#allowedSize = maxTableSize;
  }

  /**
   * Decodes one complete field block.
   * @param maxListSize the largest decoded list in bytes (name + value + 32 per field).
   * @param maxFields the most field lines.
   * @throws {CompressionError} when the block is malformed (RFC 7541 §4.2, §5, §6).
   */
  decode(block: Uint8Array, maxListSize: number, maxFields: number): DecodedBlock {
    const fields: string[] = [];
    let listSize = 0;
    let oversized = false;
    let pos = 0;
    let first = true;
    const readInteger = (prefixBits: number): number => {
      const mask = (1 << prefixBits) - 1;
      let value = block[pos++] & mask;
      if (value < mask) return value;
      let shift = 0;
      for (;;) {
        if (pos >= block.length) throw new CompressionError("truncated integer");
        const byte = block[pos++];
        value += (byte & 0x7f) * 2 ** shift;
        shift += 7;
        if ((byte & 0x80) === 0) break;
        if (shift > 28) throw new CompressionError("integer too large");
      }
      if (value > 0x7fffffff) throw new CompressionError("integer too large");
      return value;
    };
    const readString = (): string => {
      if (pos >= block.length) throw new CompressionError("truncated string");
      const huffman = (block[pos] & 0x80) !== 0;
      const length = readInteger(7);
      if (length > block.length - pos) throw new CompressionError("string longer than the block");
      const bytes = block.subarray(pos, pos + length);
      pos += length;
      if (!huffman) return latin1Decode(bytes);
      const text = huffmanDecode(bytes);
      if (text === null) throw new CompressionError("invalid Huffman code");
      return text;
    };
    const entry = (index: number): [string, string] => {
      if (index === 0) throw new CompressionError("index 0");
      if (index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1] as [string, string];
      const at = this.#table.length - (index - STATIC_TABLE.length);
      if (at < 0) throw new CompressionError(`index ${index} beyond the tables`);
      return [this.#table.names[at], this.#table.values[at]];
    };
    const emit = (name: string, value: string): void => {
      if (oversized) return;
      listSize += name.length + value.length + ENTRY_OVERHEAD;
      if (listSize > maxListSize || fields.length >= 2 * maxFields) {
        oversized = true;
        let pseudo = 0;
        while (pseudo < fields.length && fields[pseudo].startsWith(":")) pseudo += 2;
        fields.length = pseudo;
        return;
      }
      fields.push(name, value);
    };
    while (pos < block.length) {
      const byte = block[pos];
      if (byte & 0x80) {
        const [name, value] = entry(readInteger(7));
        emit(name, value);
      } else if ((byte & 0xe0) === 0x20) {
        // Dynamic table size update (§6.3): only at the start of a block (§4.2).
        if (!first) throw new CompressionError("dynamic table size update after a field");
        const size = readInteger(5);
        if (size > this.#allowedSize) throw new CompressionError("dynamic table size update above the limit");
        this.#table.resize(size);
        continue;
      } else {
        const indexing = (byte & 0xc0) === 0x40;
        const index = readInteger(indexing ? 6 : 4);
        const name = index === 0 ? readString() : entry(index)[0];
        const value = readString();
        if (indexing) this.#table.add(name, value);
        emit(name, value);
      }
      first = false;
    }
    return { fields, oversized };
  }
}

/** Fields whose values change from response to response: indexing them would only churn the table. */
export const NOT_INDEXED: ReadonlySet<string> = new Set([
  ":path",
  "content-length",
  "content-range",
  "etag",
  "last-modified",
  "location",
  "set-cookie",
  "age",
  "if-modified-since",
  "if-none-match",
]);
/** Fields sent as never-indexed literals (RFC 7541 §7.1.3). */
const NEVER_INDEXED = new Set(["authorization", "proxy-authorization"]);

const STATIC_FIELDS = new Map<string, number>();
const STATIC_NAMES = new Map<string, number>();
STATIC_TABLE.forEach(([name, value], i) => {
  STATIC_FIELDS.set(`${name}\0${value}`, i + 1);
  if (!STATIC_NAMES.has(name)) STATIC_NAMES.set(name, i + 1);
});

/** Options of an {@link HpackEncoder}. */
export interface HpackEncoderOptions {
  /** The dynamic table's size in bytes to start with (both sides assume it). Default 4,096. */
  maxTableSize?: number;
  /** Huffman-code strings where that is shorter (default `true`). */
  huffman?: boolean;
  /** Names whose fields are literals without indexing (default {@link NOT_INDEXED}). */
  notIndexed?: ReadonlySet<string>;
}

/**
 * Encodes field blocks (RFC 7541 §6): a field found in the static or dynamic table is sent as an
 * index, others as literals — added to the dynamic table unless their values vary by response —
 * with Huffman-coded strings where that is no longer.
 */
export class HpackEncoder {
  readonly #table: DynamicTable;
  /** Insertion number of the newest entry per `name\0value` and per name. */
  readonly #fields = new Map<string, number>();
  readonly #names = new Map<string, number>();
  #inserted = 0;
  /** The smallest and the final size set since the last block, to signal at the next (§4.2). */
  #pendingUpdate: { min: number; last: number } | null = null;

  readonly #huffman: boolean;
  readonly #notIndexed: ReadonlySet<string>;

  constructor(options: HpackEncoderOptions = {}) {
    this.#table = new DynamicTable(options.maxTableSize ?? DEFAULT_TABLE_SIZE);
    this.#huffman = options.huffman ?? true;
    this.#notIndexed = options.notIndexed ?? NOT_INDEXED;
    this.#table.onEvict = (name, value, insertion) => {
      const key = `${name}\0${value}`;
      if (this.#fields.get(key) === insertion) this.#fields.delete(key);
      if (this.#names.get(name) === insertion) this.#names.delete(name);
    };
  }

  /**
   * Sets the dynamic table's maximum size (the peer's `SETTINGS_HEADER_TABLE_SIZE`, at most
   * {@link DEFAULT_TABLE_SIZE} here); the next block starts with the update.
   */
  setMaxTableSize(size: number): void {
    const next = Math.min(size, DEFAULT_TABLE_SIZE);
    if (next === this.#table.maxSize && this.#pendingUpdate === null) return;
    this.#pendingUpdate = { min: Math.min(this.#pendingUpdate?.min ?? next, next), last: next };
    this.#table.resize(next);
  }

  /** Encodes field lines, flat `[name, value, …]` with lowercase names, into one field block. */
  encode(fields: readonly string[]): Uint8Array {
    let bound = 12;
    for (let i = 0; i < fields.length; i += 2) bound += fields[i].length + fields[i + 1].length + 16;
    const out = new Uint8Array(bound);
    let at = 0;
    const pending = this.#pendingUpdate;
    if (pending !== null) {
      if (pending.min < pending.last) at = writeInteger(out, at, 0x20, 5, pending.min);
      at = writeInteger(out, at, 0x20, 5, pending.last);
      this.#pendingUpdate = null;
    }
    for (let i = 0; i < fields.length; i += 2) {
      const name = fields[i];
      const value = fields[i + 1];
      const key = `${name}\0${value}`;
      const full = STATIC_FIELDS.get(key) ?? this.#dynamicIndex(this.#fields.get(key));
      if (full !== 0) {
        at = writeInteger(out, at, 0x80, 7, full);
        continue;
      }
      const nameIndex = STATIC_NAMES.get(name) ?? this.#dynamicIndex(this.#names.get(name));
      const never = NEVER_INDEXED.has(name);
      const indexing = !never && !this.#notIndexed.has(name) && name.length + value.length + ENTRY_OVERHEAD <= this.#table.maxSize / 2;
      if (indexing) at = writeInteger(out, at, 0x40, 6, nameIndex);
      else at = writeInteger(out, at, never ? 0x10 : 0x00, 4, nameIndex);
      if (nameIndex === 0) at = writeString(out, at, name, this.#huffman);
      at = writeString(out, at, value, this.#huffman);
      if (indexing) {
        // It fits (at most half the table), so it is added: its insertion number is the count so far.
        this.#table.add(name, value);
        const insertion = this.#inserted++;
        this.#fields.set(key, insertion);
        this.#names.set(name, insertion);
      }
    }
    return out.subarray(0, at);
  }

  /** The index of the entry with insertion number `insertion`, or 0 when it is gone. */
  #dynamicIndex(insertion: number | undefined): number {
    if (insertion === undefined || insertion < this.#table.evicted) return 0;
    return STATIC_TABLE.length + (this.#inserted - insertion);
  }
}

/** Writes an integer with an N-bit prefix (RFC 7541 §5.1); `flags` fills the first byte's top bits. */
function writeInteger(out: Uint8Array, at: number, flags: number, prefixBits: number, value: number): number {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out[at++] = flags | value;
    return at;
  }
  out[at++] = flags | max;
  let rest = value - max;
  while (rest >= 0x80) {
    out[at++] = (rest & 0x7f) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  out[at++] = rest;
  return at;
}

/** Writes a string literal (RFC 7541 §5.2), Huffman-coded when allowed and no longer. */
function writeString(out: Uint8Array, at: number, text: string, huffman: boolean): number {
  const coded = huffman ? huffmanLength(text) : text.length;
  if (coded <= text.length && huffman) {
    at = writeInteger(out, at, 0x80, 7, coded);
    return huffmanEncode(text, out, at);
  }
  at = writeInteger(out, at, 0x00, 7, text.length);
  for (let i = 0; i < text.length; i++) out[at++] = text.charCodeAt(i);
  return at;
}
