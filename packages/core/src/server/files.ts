/**
 * The handler's file objects: `rfile`, the request body as a stream, and `wfile`, the response
 * body as a stream (Python's `io.BufferedIOBase` reading and writing methods, asynchronous), on an
 * {@link Exchange}.
 * @module
 */

import { concatBytes, utf8Encode } from "../http/chars.ts";
import type { Exchange } from "./exchange.ts";
import { ConnectionClosedError } from "./errors.ts";

/**
 * The request body as a stream (the handler's `rfile`): the bytes the client sent after the head,
 * framed by `Content-Length` or de-chunked; end of body reads as end of file. After a protocol
 * switch (a `101` to an `Upgrade`, a `2xx` to `CONNECT`) it reads the raw bytes the client sends,
 * those that came with the head first, until the client closes its side, as CPython's socket file
 * does. Python's `io.BufferedIOBase` reading methods, asynchronous.
 */
export class RequestBodyReader {
  readonly #channel: Exchange;
  #chunk: Uint8Array | null = null;
  #offset = 0;
  #eof = false;
  #trailers: readonly string[] = [];
  #request = 0;
  #raw = false;

  constructor(channel: Exchange) {
    this.#channel = channel;
  }

  /** Trailer fields of a chunked body, flat `[name, value, …]` (available at end of body). */
  get trailers(): readonly string[] {
    return this.#trailers;
  }

  /** Fetches the next piece of body; `false` at end of body. */
  async #fill(): Promise<boolean> {
    if (this.#request !== this.#channel.requestCount) {
      // A new request on a persistent connection: its body starts here.
      this.#request = this.#channel.requestCount;
      this.#chunk = null;
      this.#eof = false;
      this.#trailers = [];
    }
    if (!this.#raw && this.#channel.switched) {
      // HTTP is over: what follows is the new protocol's bytes, to the client's end.
      this.#raw = true;
      this.#eof = false;
    }
    while (!this.#eof && (this.#chunk === null || this.#offset >= this.#chunk.length)) {
      if (this.#raw) {
        const chunk = await this.#channel.readRaw();
        if (chunk === null) this.#eof = true;
        else {
          this.#chunk = chunk;
          this.#offset = 0;
        }
        continue;
      }
      if (!this.#channel.readingBody) {
        this.#eof = true;
        break;
      }
      const event = await this.#channel.nextBodyEvent();
      switch (event.type) {
        case "data":
          this.#chunk = event.data;
          this.#offset = 0;
          break;
        case "end":
          this.#trailers = event.trailers;
          this.#eof = true;
          break;
        case "error":
          this.#eof = true;
          throw event.error;
        default:
          this.#eof = true;
      }
    }
    return !this.#eof || (this.#chunk !== null && this.#offset < this.#chunk.length);
  }

  #take(max: number): Uint8Array {
    const chunk = this.#chunk!;
    const n = Math.min(max, chunk.length - this.#offset);
    const out = chunk.subarray(this.#offset, this.#offset + n);
    this.#offset += n;
    return out;
  }

  /**
   * Reads up to `size` bytes, fewer only at end of body; with `size` omitted or negative, reads
   * to the end. Resolves with an empty array at end of body (Python's `read(size=-1)`).
   * @throws {ProtocolError} when the body is malformed or cut short (the server answers 400).
   * @throws `SocketTimeoutError` on inactivity beyond the handler's `timeout`.
   */
  async read(size = -1): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let total = 0;
    const want = size < 0 ? Infinity : size;
    while (total < want && (await this.#fill())) {
      const part = this.#take(want - total);
      parts.push(part);
      total += part.length;
    }
    return concatBytes(parts, total);
  }

  /**
   * Reads at most `size` bytes with at most one wait for the network (Python's `read1`).
   * Resolves with an empty array at end of body.
   */
  async read1(size = -1): Promise<Uint8Array> {
    if (!(await this.#fill())) return new Uint8Array(0);
    return this.#take(size < 0 ? Infinity : size);
  }

  /**
   * Reads one line, up to and including `\n`, or at most `limit` bytes, or to the end of body
   * (Python's `readline(size=-1)`).
   */
  async readline(limit = -1): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let total = 0;
    const want = limit < 0 ? Infinity : limit;
    while (total < want && (await this.#fill())) {
      const chunk = this.#chunk!;
      const lf = chunk.indexOf(0x0a, this.#offset);
      const until = lf < 0 ? chunk.length : lf + 1;
      const part = this.#take(Math.min(until - this.#offset, want - total));
      parts.push(part);
      total += part.length;
      if (part[part.length - 1] === 0x0a) break;
    }
    return concatBytes(parts, total);
  }

  /** Iterates the body line by line (Python's iteration over a file). */
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const line = await this.readline();
      if (line.length === 0) return;
      yield line;
    }
  }
}

/**
 * The response stream (the handler's `wfile`): bytes written go to the client after the head the
 * handler sent with `sendResponse`/`sendHeader`/`endHeaders`. Python's `io.BufferedIOBase`
 * writing methods, asynchronous.
 */
export class ResponseWriter {
  readonly #channel: Exchange;

  constructor(channel: Exchange) {
    this.#channel = channel;
  }

  /**
   * Writes `data` (strings are encoded as UTF-8) and resolves once the socket took the bytes
   * below its high-water mark (backpressure).
   * @throws {ConnectionClosedError} when the client is gone.
   * @throws `SendTimeoutError` or `SocketTimeoutError` when the client takes nothing for the
   *   server's `sendTimeout` or the handler's `timeout`.
   */
  write(data: Uint8Array | string): Promise<void> {
    const channel = this.#channel;
    if (channel.closed) return Promise.reject(new ConnectionClosedError());
    return channel.writeBody(typeof data === "string" ? utf8Encode(data) : data);
  }

  /** Resolves once queued bytes drained below the high-water mark (Python's `flush()`). */
  flush(): Promise<void> {
    return this.#channel.flush();
  }

  /** True once the connection is closed. */
  get closed(): boolean {
    return this.#channel.closed;
  }
}
