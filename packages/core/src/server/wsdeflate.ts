/**
 * permessage-deflate's transformation of messages (RFC 7692 §7.2) on the platform's raw DEFLATE
 * codec: a message to send is compressed and loses its final empty block (`00 00 ff ff`), a
 * message received gets it back and is decompressed; with "no context takeover" the codec starts
 * afresh for each message. Each codec is created when first needed.
 * @module
 */

import type { PerMessageDeflateParams } from "../ws/extensions.ts";
import type { Platform, RawDeflateCodec } from "../platform/types.ts";

/** The end of a flushed DEFLATE stream, left out of each message (RFC 7692 §7.2.1). */
const TAIL = Uint8Array.of(0x00, 0x00, 0xff, 0xff);

/** Compression settings of the server's side (the negotiated parameters aside). */
export interface DeflateTuning {
  /** Messages shorter than this (bytes) are sent uncompressed. */
  threshold: number;
  /** zlib's level, 0–9. */
  level: number;
  /** zlib's memLevel, 1–9. */
  memLevel: number;
}

/** The compressor and decompressor of one WebSocket connection. */
export class MessageDeflate {
  readonly #platform: Platform;
  readonly #params: PerMessageDeflateParams;
  readonly #tuning: DeflateTuning;
  #deflate: RawDeflateCodec | null = null;
  #inflate: RawDeflateCodec | null = null;

  constructor(platform: Platform, params: PerMessageDeflateParams, tuning: DeflateTuning) {
    this.#platform = platform;
    this.#params = params;
    this.#tuning = tuning;
  }

  /** True when a message of `length` bytes is worth compressing. */
  compresses(length: number): boolean {
    return length >= this.#tuning.threshold;
  }

  /** A message's payload compressed (RFC 7692 §7.2.1). */
  async compress(data: Uint8Array): Promise<Uint8Array> {
    const { level, memLevel } = this.#tuning;
    this.#deflate ??= this.#platform.deflateRaw({ windowBits: this.#params.serverMaxWindowBits, level, memLevel });
    const out = await this.#deflate.process(data);
    if (this.#params.serverNoContextTakeover) this.#deflate.reset();
    return endsWithTail(out) ? out.subarray(0, out.length - 4) : out;
  }

  /**
   * A received message's payload decompressed (RFC 7692 §7.2.2).
   * @throws (rejects) with `code` `ERR_OUTPUT_LIMIT` beyond `maxBytes`, or zlib's for corrupt data.
   */
  async decompress(data: Uint8Array, maxBytes: number): Promise<Uint8Array> {
    this.#inflate ??= this.#platform.inflateRaw({ windowBits: 15 });
    const input = new Uint8Array(data.length + 4);
    input.set(data);
    input.set(TAIL, data.length);
    const out = await this.#inflate.process(input, maxBytes);
    if (this.#params.clientNoContextTakeover) this.#inflate.reset();
    return out;
  }

  /** Frees both codecs. */
  close(): void {
    this.#deflate?.close();
    this.#inflate?.close();
    this.#deflate = null;
    this.#inflate = null;
  }
}

function endsWithTail(out: Uint8Array): boolean {
  const n = out.length;
  return n >= 4 && out[n - 4] === 0 && out[n - 3] === 0 && out[n - 2] === 0xff && out[n - 1] === 0xff;
}
