/**
 * Compression for adapters: {@link Platform.compress} on the `node:zlib` and `node:stream`
 * modules, which Node, Bun and Deno all provide. The modules are passed in (described
 * structurally), so the core imports no runtime module.
 * @module
 */

import type { ContentCoding, Platform } from "./types.ts";

/** A `node:zlib` compressor stream, as far as {@link zlibCompression} uses it. */
export interface ZlibStream extends AsyncIterable<Uint8Array> {
  /** Frees the compressor (and ends the pipeline feeding it). */
  destroy(error?: Error): void;
}

/** The part of `node:zlib` used: the compressor factories and the brotli constants. */
export interface ZlibModule {
  /** A gzip compressor (RFC 1952) at `level` 0–9. */
  createGzip(options?: { level?: number }): ZlibStream;
  /** A brotli compressor (RFC 7932) with the given parameters (quality, size hint). */
  createBrotliCompress(options?: { params?: Record<number, number> }): ZlibStream;
  /** Node ≥ 22.15, Bun and Deno; missing on Node 20. */
  createZstdCompress?: (options?: object) => ZlibStream;
  /** The brotli parameter keys used. */
  constants: { BROTLI_PARAM_QUALITY: number; BROTLI_PARAM_SIZE_HINT: number };
}

/** The part of `node:stream` used: `pipeline` from an async iterable into a stream. */
export interface StreamModule {
  /** Feeds `source` into `destination` with backpressure; destroys both when either fails or ends early. */
  pipeline(source: AsyncIterable<Uint8Array>, destination: ZlibStream, callback: (error?: Error | null) => void): unknown;
}

/**
 * Levels for compressing as a response streams out: fast rather than smallest. gzip 6 is zlib's
 * default (and nginx's `gzip_comp_level` advice); brotli 4 is about as fast as gzip 6 and smaller
 * (brotli's default 11 is meant for files compressed ahead of time).
 */
const GZIP_LEVEL = 6;
const BROTLI_QUALITY = 4;

/**
 * {@link Platform.compress} and {@link Platform.compressionCodings} on `node:zlib`.
 * @param zlib the runtime's `node:zlib`.
 * @param stream the runtime's `node:stream`.
 */
export function zlibCompression(zlib: ZlibModule, stream: StreamModule): Pick<Platform, "compressionCodings" | "compress"> {
  const create = (coding: ContentCoding, sizeHint: number | undefined): ZlibStream => {
    switch (coding) {
      case "gzip":
        return zlib.createGzip({ level: GZIP_LEVEL });
      case "br": {
        const params: Record<number, number> = { [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY };
        if (sizeHint !== undefined) params[zlib.constants.BROTLI_PARAM_SIZE_HINT] = sizeHint;
        return zlib.createBrotliCompress({ params });
      }
      case "zstd":
        if (zlib.createZstdCompress === undefined) throw new Error("zstd is not available in this runtime");
        return zlib.createZstdCompress();
    }
  };
  const codings: ContentCoding[] = ["br", "gzip"];
  if (zlib.createZstdCompress !== undefined) codings.push("zstd");
  return {
    compressionCodings: codings,
    compress(coding, input, sizeHint) {
      const compressor = create(coding, sizeHint);
      // The pipeline pulls `input` as the compressor's output is read, and destroys both when
      // either fails or the reader stops early (which ends `input`, closing its file).
      stream.pipeline(input, compressor, () => {});
      return compressor;
    },
  };
}
