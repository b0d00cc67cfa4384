/**
 * Compression for adapters: {@link Platform.compress}, {@link Platform.deflateRaw} and
 * {@link Platform.inflateRaw} on the `node:zlib` and `node:stream` modules, which Node, Bun and Deno all provide. The modules are passed in (described
 * structurally), so the core imports no runtime module.
 * @module
 */

import { concatBytes } from "../http/chars.ts";
import type { ContentCoding, Platform, RawDeflateCodec } from "./types.ts";

/** A `node:zlib` compressor stream, as far as {@link zlibCompression} uses it. */
export interface ZlibStream extends AsyncIterable<Uint8Array> {
  /** Frees the compressor (and ends the pipeline feeding it). */
  destroy(error?: Error): void;
}

/** A `node:zlib` raw DEFLATE stream, as far as {@link zlibRawDeflate} uses it. */
export interface ZlibRawStream {
  /** Feeds bytes in. */
  write(data: Uint8Array): boolean;
  /** Flushes with `kind` (`Z_SYNC_FLUSH`); `callback` runs once the output so far was emitted. */
  flush(kind: number, callback: () => void): void;
  /** Returns the stream to its initial state (zlib's `deflateReset`/`inflateReset`). */
  reset(): void;
  /** Frees the stream. */
  destroy(error?: Error): void;
  /** The error that ended the stream, once it failed (Deno reports it here before its `error` event). */
  readonly errored?: Error | null;
  /** Output as it is produced. */
  on(event: "data", listener: (chunk: Uint8Array) => void): unknown;
  /** A failure (corrupt input): the stream is unusable after. */
  on(event: "error", listener: (error: Error) => void): unknown;
}

/** The part of `node:zlib` used: the compressor factories and the brotli constants. */
export interface ZlibModule {
  /** A raw DEFLATE compressor (RFC 1951), for permessage-deflate. */
  createDeflateRaw(options: { windowBits: number; level: number; memLevel: number }): ZlibRawStream;
  /** A raw DEFLATE decompressor. */
  createInflateRaw(options: { windowBits: number }): ZlibRawStream;
  /** A gzip compressor (RFC 1952) at `level` 0–9. */
  createGzip(options?: { level?: number }): ZlibStream;
  /** A brotli compressor (RFC 7932) with the given parameters (quality, size hint). */
  createBrotliCompress(options?: { params?: Record<number, number> }): ZlibStream;
  /** Node ≥ 22.15, Bun and Deno; missing on Node 20. */
  createZstdCompress?: (options?: object) => ZlibStream;
  /** The brotli parameter keys and the flush kind used. */
  constants: { BROTLI_PARAM_QUALITY: number; BROTLI_PARAM_SIZE_HINT: number; Z_SYNC_FLUSH: number };
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

/** A {@link RawDeflateCodec} on a `node:zlib` stream: write, flush, collect what was emitted. */
class ZlibRawCodec implements RawDeflateCodec {
  readonly #stream: ZlibRawStream;
  readonly #syncFlush: number;
  #chunks: Uint8Array[] = [];
  #bytes = 0;
  #limit = Infinity;
  #pending: { resolve: (out: Uint8Array) => void; reject: (error: Error) => void } | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  #failed: Error | null = null;

  constructor(stream: ZlibRawStream, syncFlush: number) {
    this.#stream = stream;
    this.#syncFlush = syncFlush;
    stream.on("data", (chunk) => {
      this.#chunks.push(chunk);
      this.#bytes += chunk.length;
      if (this.#bytes > this.#limit) this.#fail(Object.assign(new Error("output limit exceeded"), { code: "ERR_OUTPUT_LIMIT" }));
    });
    stream.on("error", (error) => this.#fail(error));
  }

  #fail(error: Error): void {
    if (this.#failed !== null) return;
    this.#failed = error;
    this.#stream.destroy();
    const pending = this.#pending;
    this.#pending = null;
    pending?.reject(error);
  }

  process(data: Uint8Array, maxOutputBytes = Infinity): Promise<Uint8Array> {
    const run = (): Promise<Uint8Array> =>
      new Promise((resolve, reject) => {
        if (this.#failed !== null) return reject(this.#failed);
        this.#chunks = [];
        this.#bytes = 0;
        this.#limit = maxOutputBytes;
        this.#pending = { resolve, reject };
        this.#stream.write(data);
        this.#stream.flush(this.#syncFlush, () => {
          const errored = this.#stream.errored;
          if (errored) return this.#fail(errored);
          const pending = this.#pending;
          if (pending === null || this.#failed !== null) return;
          this.#pending = null;
          const chunks = this.#chunks;
          this.#chunks = [];
          pending.resolve(chunks.length === 1 ? chunks[0] : concatBytes(chunks, this.#bytes));
        });
      });
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => {});
    return result;
  }

  reset(): void {
    if (this.#failed === null) this.#stream.reset();
  }

  close(): void {
    this.#fail(Object.assign(new Error("codec closed"), { code: "ERR_CLOSED" }));
  }
}

/**
 * {@link Platform.deflateRaw} and {@link Platform.inflateRaw} on `node:zlib`'s streams, which
 * Node, Bun and Deno all provide (each flush is one round trip to zlib, as the `ws` package does).
 * @param zlib the runtime's `node:zlib`.
 */
export function zlibRawDeflate(zlib: ZlibModule): Pick<Platform, "deflateRaw" | "inflateRaw"> {
  const flush = zlib.constants.Z_SYNC_FLUSH;
  return {
    deflateRaw: (options) => new ZlibRawCodec(zlib.createDeflateRaw(options), flush),
    inflateRaw: (options) => new ZlibRawCodec(zlib.createInflateRaw(options), flush),
  };
}
