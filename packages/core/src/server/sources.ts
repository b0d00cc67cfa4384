/**
 * What `SimpleHTTPRequestHandler.copyfile` copies from: a file (whole, or one byte range), the
 * parts of a `multipart/byteranges` body, a page in memory, a file compressed as it is read, and
 * any of them framed in the chunked transfer coding. Each reads on demand, one piece at a time, so that
 * memory stays bounded by a piece whatever the size.
 * @module
 */

import { latin1Encode } from "../http/chars.ts";
import { LAST_CHUNK, encodeChunk } from "../http/chunked.ts";
import type { MultipartPart } from "../http/ranges.ts";
import type { FileHandle, FileStat } from "../platform/types.ts";

/** Something `copyfile` can copy from: an open file or an in-memory page. */
export interface ReadableSource {
  /** Reads up to `size` bytes; an empty array at the end. */
  read(size: number): Promise<Uint8Array>;
  /** Releases the source. */
  close(): Promise<void>;
}

const EMPTY = new Uint8Array(0);

/** Bytes in memory as a {@link ReadableSource} (Python's `io.BytesIO` as `list_directory` uses it). */
export class BytesIO implements ReadableSource {
  #data: Uint8Array;
  #pos = 0;
  constructor(data: Uint8Array) {
    this.#data = data;
  }
  /** Total size in bytes. */
  get length(): number {
    return this.#data.length;
  }
  async read(size: number): Promise<Uint8Array> {
    return this.readNow(size);
  }
  /** {@link read} without the promise: up to `size` bytes, empty at the end. */
  readNow(size: number): Uint8Array {
    const out = this.#data.subarray(this.#pos, Math.min(this.#data.length, this.#pos + size));
    this.#pos += out.length;
    return out;
  }
  async close(): Promise<void> {}
}

/**
 * An open file read from byte `first` through byte `last` (by default the whole size its `stat`
 * gave, the size sent as `Content-Length`), so that a file growing while it is sent never
 * overruns the length announced.
 */
export class FileSource implements ReadableSource {
  readonly #handle: FileHandle;
  /** The file's `stat`, made before it was opened (the size and time sent). */
  readonly stat: FileStat;
  /** The first and last byte sent (inclusive). */
  readonly first: number;
  readonly last: number;
  /** The file's path, when known (a runtime may then send it itself, `Platform.fileBody`). */
  readonly path: string | undefined;
  #pos: number;
  readonly #end: number;
  /**
   * @param first the first byte to read (default 0).
   * @param last the last byte to read, included (default the last byte of `stat.size`).
   * @param path the file's path.
   */
  constructor(handle: FileHandle, stat: FileStat, first = 0, last = stat.size - 1, path?: string) {
    this.#handle = handle;
    this.stat = stat;
    this.first = first;
    this.last = last;
    this.path = path;
    this.#pos = first;
    this.#end = last + 1;
  }
  /**
   * Reads up to `size` bytes; an empty array once the last byte is read.
   * @throws Error when the file ends before that byte (it was truncated while being sent): the
   *   length sent can no longer be met, and an early end must not pass for the end.
   */
  async read(size: number): Promise<Uint8Array> {
    const want = Math.min(size, this.#end - this.#pos);
    if (want <= 0) return EMPTY;
    const bytes = await this.#handle.read(this.#pos, want);
    this.#pos += bytes.length;
    if (bytes.length < want) {
      throw new Error(`file shrank while being sent: ended at byte ${this.#pos} of ${this.stat.size}`);
    }
    return bytes;
  }
  close(): Promise<void> {
    return this.#handle.close();
  }
}

/**
 * A `multipart/byteranges` body (RFC 9110 §14.6): each part's head, then its bytes of the file,
 * then the closing delimiter.
 */
export class MultipartSource implements ReadableSource {
  readonly #handle: FileHandle;
  readonly #stat: FileStat;
  readonly #parts: readonly MultipartPart[];
  readonly #closing: string;
  #next = 0;
  #current: FileSource | null = null;
  #done = false;

  constructor(handle: FileHandle, stat: FileStat, parts: readonly MultipartPart[], closing: string) {
    this.#handle = handle;
    this.#stat = stat;
    this.#parts = parts;
    this.#closing = closing;
  }

  async read(size: number): Promise<Uint8Array> {
    for (;;) {
      if (this.#current !== null) {
        const bytes = await this.#current.read(size);
        if (bytes.length > 0) return bytes;
        this.#current = null;
      }
      if (this.#next < this.#parts.length) {
        const { head, range } = this.#parts[this.#next++];
        this.#current = new FileSource(this.#handle, this.#stat, range.first, range.last);
        return latin1Encode(head);
      }
      if (this.#done) return EMPTY;
      this.#done = true;
      return latin1Encode(this.#closing);
    }
  }

  close(): Promise<void> {
    return this.#handle.close();
  }
}

/** Bytes per read of a file being compressed: small enough that every runtime reads it synchronously. */
const COMPRESS_READ_BYTES = 64 * 1024;

/**
 * A file compressed as it is read (`platform.compress`). The compressor starts on the first read,
 * so a HEAD request never reads the file. The file is read and closed by a generator that the
 * compressor pulls from, so that it is closed only after its last read has completed.
 */
export class CompressedSource implements ReadableSource {
  readonly #file: ReadableSource;
  readonly #start: (input: AsyncIterable<Uint8Array>) => AsyncIterable<Uint8Array>;
  #iterator: AsyncIterator<Uint8Array> | null = null;
  #rest: Uint8Array = EMPTY;

  /**
   * @param file the file to compress; owned from now on.
   * @param compress starts the compressor on an input (`platform.compress` with its coding).
   */
  constructor(file: ReadableSource, compress: (input: AsyncIterable<Uint8Array>) => AsyncIterable<Uint8Array>) {
    this.#file = file;
    this.#start = compress;
  }

  async read(size: number): Promise<Uint8Array> {
    this.#iterator ??= this.#start(readAll(this.#file))[Symbol.asyncIterator]();
    while (this.#rest.length === 0) {
      const next: IteratorResult<Uint8Array> = await this.#iterator.next();
      if (next.done === true) return EMPTY;
      this.#rest = next.value;
    }
    const out = this.#rest.subarray(0, size);
    this.#rest = this.#rest.subarray(out.length);
    return out;
  }

  async close(): Promise<void> {
    if (this.#iterator === null) await this.#file.close();
    else await this.#iterator.return?.();
  }
}

/** The bytes of `file` in pieces; closes it when done, failed, or ended early. */
async function* readAll(file: ReadableSource): AsyncGenerator<Uint8Array> {
  try {
    for (;;) {
      const bytes = await file.read(COMPRESS_READ_BYTES);
      if (bytes.length === 0) return;
      yield bytes;
    }
  } finally {
    await file.close();
  }
}

/**
 * Another source's bytes in the chunked transfer coding (RFC 9112 §7.1): a chunk per read, then
 * the last chunk. For a body whose length is not known when the head is sent, on HTTP/1.1.
 */
export class ChunkedSource implements ReadableSource {
  readonly #inner: ReadableSource;
  #ended = false;

  constructor(inner: ReadableSource) {
    this.#inner = inner;
  }

  async read(size: number): Promise<Uint8Array> {
    if (this.#ended) return EMPTY;
    const data = await this.#inner.read(size);
    if (data.length === 0) {
      this.#ended = true;
      return LAST_CHUNK;
    }
    const [prefix, body, crlf] = encodeChunk(data);
    const out = new Uint8Array(prefix.length + body.length + crlf.length);
    out.set(prefix);
    out.set(body, prefix.length);
    out.set(crlf, prefix.length + body.length);
    return out;
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
