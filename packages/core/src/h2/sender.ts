/**
 * What an HTTP/2 server connection sends: control frames in the order they were queued, field
 * blocks HPACK-encoded in wire order, and response content round-robin over the streams within
 * the flow-control windows (RFC 9113 §5.2, §6.9) in DATA frames of at most 16,384 bytes.
 * @module
 */

import { DEFAULT_WINDOW, FLAG, FRAME, FRAME_HEADER_SIZE, MIN_MAX_FRAME_SIZE, headersFrames, writeFrameHeader } from "./frames.ts";
import { concatBytes } from "../http/chars.ts";
import { HpackEncoder } from "./hpack.ts";
import type { Stream } from "./stream.ts";

/** The sending half of a connection. */
export class Sender {
  /** Frames to send before any content, oldest first. */
  readonly control: Uint8Array[] = [];
  /** The connection's send window: the client's allowance for DATA on all streams. */
  window = DEFAULT_WINDOW;
  /** The client's `SETTINGS_MAX_FRAME_SIZE`. */
  maxFrameSize = MIN_MAX_FRAME_SIZE;
  readonly encoder = new HpackEncoder();
  /** Streams with content, END_STREAM or trailers waiting, in round-robin order. */
  #sendable: Stream[] = [];

  /** True when {@link take} has something: control frames, or content within the windows. */
  get wantsToSend(): boolean {
    if (this.control.length > 0) return true;
    for (const stream of this.#sendable) if (this.#canSend(stream)) return true;
    return false;
  }

  /** Queues a field block (HEADERS, and CONTINUATION as needed), encoded now: encoding order is wire order. */
  headers(streamId: number, fields: readonly string[], endStream: boolean): void {
    this.control.push(headersFrames(streamId, this.encoder.encode(fields), endStream, this.maxFrameSize));
  }

  /** Notes that the stream has something queued. */
  markSendable(stream: Stream): void {
    if (!this.#sendable.includes(stream)) this.#sendable.push(stream);
  }

  /** Forgets a stream (reset or closed). */
  remove(stream: Stream): void {
    const at = this.#sendable.indexOf(stream);
    if (at >= 0) this.#sendable.splice(at, 1);
  }

  /** Forgets every stream's content (the connection ended); control frames stay. */
  clear(): void {
    this.#sendable = [];
  }

  /**
   * The bytes to send now: every control frame, then content up to about `maxBytes` in all.
   * `onEnd` is called for each stream whose END_STREAM went out.
   */
  take(maxBytes: number, onEnd: (stream: Stream) => void): Uint8Array | null {
    const out = this.control.splice(0);
    let size = 0;
    for (const chunk of out) size += chunk.length;
    size = this.#schedule(out, size, maxBytes, onEnd);
    if (out.length === 0) return null;
    return out.length === 1 ? out[0] : concatBytes(out, size);
  }

  #schedule(out: Uint8Array[], size: number, maxBytes: number, onEnd: (stream: Stream) => void): number {
    const frameSize = Math.min(this.maxFrameSize, MIN_MAX_FRAME_SIZE);
    let progress = true;
    while (progress && size < maxBytes && this.#sendable.length > 0) {
      progress = false;
      const round = this.#sendable;
      this.#sendable = [];
      for (const stream of round) {
        if (size >= maxBytes || !this.#canSend(stream)) {
          if (stream.localOpen && (stream.queued > 0 || stream.endQueued)) this.#sendable.push(stream);
          continue;
        }
        progress = true;
        const n = stream.queued === 0 ? 0 : Math.min(stream.queued, frameSize, stream.sendWindow, this.window);
        const last = n === stream.queued && stream.endQueued && stream.trailers === null;
        if (n > 0 || last) {
          const frame = new Uint8Array(FRAME_HEADER_SIZE + n);
          writeFrameHeader(frame, 0, n, FRAME.DATA, last ? FLAG.END_STREAM : 0, stream.id);
          stream.takeQueued(frame, FRAME_HEADER_SIZE, n);
          stream.sendWindow -= n;
          this.window -= n;
          out.push(frame);
          size += frame.length;
        }
        if (stream.queued === 0 && stream.endQueued && stream.trailers !== null) {
          const block = headersFrames(stream.id, this.encoder.encode(stream.trailers), true, this.maxFrameSize);
          out.push(block);
          size += block.length;
          onEnd(stream);
        } else if (last) onEnd(stream);
        else if (stream.queued > 0) this.#sendable.push(stream);
      }
    }
    return size;
  }

  /** Whether a frame can go out on the stream now: END_STREAM or trailers, or content within both windows. */
  #canSend(stream: Stream): boolean {
    if (!stream.localOpen) return false;
    if (stream.queued === 0) return stream.endQueued;
    return stream.sendWindow > 0 && this.window > 0;
  }
}
