/**
 * Reads a request body out of a {@link ReceiveBuffer} as its framing says (RFC 9112 §6): a
 * `Content-Length` count of bytes, or the chunked transfer coding, de-chunked (§7.1). Data comes
 * as views into the received bytes, never copied.
 * @module
 */

import { type ChunkedLimits, ChunkedDecoder } from "./chunked.ts";
import { ProtocolError } from "./errors.ts";
import { type DataEvent, type EndOfMessageEvent, NEED_DATA, NO_TRAILERS, type RequestEvent } from "./events.ts";
import { parseFieldLines } from "./head.ts";
import { lineContext } from "./headreader.ts";
import type { ReceiveBuffer } from "./receivebuffer.ts";

const EMPTY = new Uint8Array(0);

/** The body of one request after another, read from a {@link ReceiveBuffer}. */
export class BodyReader {
  readonly #buffer: ReceiveBuffer;
  readonly #limits: ChunkedLimits;
  #request: RequestEvent | null = null;
  /** Bytes of a `Content-Length` body still to come. */
  #remaining = 0;
  #chunked: ChunkedDecoder | null = null;
  /** The one data event, reused: its `data` is valid until the next call of {@link next}. */
  readonly #data: DataEvent = { type: "data", data: EMPTY };

  constructor(buffer: ReceiveBuffer, limits: ChunkedLimits) {
    this.#buffer = buffer;
    this.#limits = limits;
  }

  /** Starts on the body of `request` (its framing: `bodyKind`, `contentLength`). */
  start(request: RequestEvent): void {
    this.#request = request;
    this.#remaining = request.bodyKind === "length" ? request.contentLength : 0;
    this.#chunked = request.bodyKind === "chunked" ? new ChunkedDecoder(this.#limits) : null;
  }

  /**
   * The next piece of the body (a view into the buffer, in a reused event), its end (with the
   * trailer fields of a chunked body), `NEED_DATA`, or the {@link ProtocolError} of a body that
   * is malformed (400; 431 for oversized chunk lines or trailers) or cut short by EOF (400).
   */
  next(): DataEvent | EndOfMessageEvent | ProtocolError | typeof NEED_DATA {
    return this.#chunked === null ? this.#readLength() : this.#readChunked(this.#chunked);
  }

  #readLength(): DataEvent | EndOfMessageEvent | ProtocolError | typeof NEED_DATA {
    if (this.#remaining === 0) return NO_TRAILERS;
    const buffer = this.#buffer;
    const available = buffer.end - buffer.pos;
    if (available === 0) return buffer.eof ? this.#incomplete() : NEED_DATA;
    const n = available < this.#remaining ? available : this.#remaining;
    this.#data.data = buffer.bytes.subarray(buffer.pos, buffer.pos + n);
    buffer.pos += n;
    this.#remaining -= n;
    return this.#data;
  }

  #readChunked(decoder: ChunkedDecoder): DataEvent | EndOfMessageEvent | ProtocolError | typeof NEED_DATA {
    const buffer = this.#buffer;
    for (;;) {
      if (decoder.dataRemaining > 0) {
        const available = buffer.end - buffer.pos;
        if (available === 0) return buffer.eof ? this.#incomplete() : NEED_DATA;
        const n = available < decoder.dataRemaining ? available : decoder.dataRemaining;
        this.#data.data = buffer.bytes.subarray(buffer.pos, buffer.pos + n);
        buffer.pos += n;
        decoder.skipData(n);
        return this.#data;
      }
      const next = decoder.decode(buffer.bytes, buffer.pos, buffer.end);
      if (next < 0) {
        return new ProtocolError(
          decoder.tooLarge ? 431 : 400,
          "BAD_CHUNKED",
          "Bad chunked encoding",
          `Invalid chunked transfer coding: ${decoder.error} (RFC 9112 §7.1).`,
          this.#context(),
        );
      }
      buffer.pos = next;
      if (decoder.done) {
        const raw = decoder.trailerBytes;
        if (raw.length === 0) return NO_TRAILERS;
        const trailers = parseFieldLines(raw, 0, raw.length, this.#context());
        if (trailers instanceof ProtocolError) return trailers;
        return { type: "end", trailers: trailers.fields };
      }
      if (decoder.dataRemaining === 0) return buffer.eof ? this.#incomplete() : NEED_DATA;
    }
  }

  #incomplete(): ProtocolError {
    return new ProtocolError(
      400,
      "INCOMPLETE_BODY",
      "Incomplete request body",
      "The client closed the connection before the end of the message body (RFC 9112 §8).",
      this.#context(),
    );
  }

  #context() {
    const request = this.#request!;
    return lineContext(request);
  }
}
