/**
 * The bytes received and not yet consumed (after python-hyper/h11's ReceiveBuffer): readers look
 * at `bytes[pos, end)` and advance `pos`. Arrays handed in are kept, not copied, while nothing
 * else is buffered; otherwise the unconsumed bytes move into an array of the buffer's own.
 * @module
 */

const EMPTY = new Uint8Array(0);

/** A receive buffer: `bytes[pos, end)` is what has arrived and not been consumed. */
export class ReceiveBuffer {
  /** The current array; bytes beyond `end` are spare room. */
  bytes: Uint8Array = EMPTY;
  /** Index of the first unconsumed byte. */
  pos = 0;
  /** Index after the last received byte. */
  end = 0;
  /** True once the client closed its sending side (EOF). */
  eof = false;
  /** `bytes` is an array of our own (so new data may be copied into its spare room). */
  #owned = false;

  /** Bytes received and not yet consumed. */
  get length(): number {
    return this.end - this.pos;
  }

  /**
   * Adds received bytes (kept, not copied, when nothing else is buffered: the caller must not
   * reuse the array). Returns how many positions the unconsumed bytes moved toward the start of
   * `bytes` (0 when they stayed), so that readers can shift indices they keep.
   */
  add(data: Uint8Array): number {
    const n = data.length;
    if (this.pos >= this.end) {
      const shift = this.pos;
      this.bytes = data;
      this.pos = 0;
      this.end = n;
      this.#owned = false;
      return shift;
    }
    if (this.#owned && this.bytes.length - this.end >= n) {
      this.bytes.set(data, this.end);
      this.end += n;
      return 0;
    }
    const kept = this.end - this.pos;
    const grown = new Uint8Array(Math.max(kept + n, kept * 2, 4096));
    grown.set(this.bytes.subarray(this.pos, this.end));
    grown.set(data, kept);
    const shift = this.pos;
    this.bytes = grown;
    this.pos = 0;
    this.end = kept + n;
    this.#owned = true;
    return shift;
  }

  /** Drops every unconsumed byte (the connection will not read another message). */
  discard(): void {
    this.pos = this.end;
  }
}
