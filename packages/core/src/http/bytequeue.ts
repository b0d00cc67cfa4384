/**
 * Received bytes as the list of arrays they came in, taken from the front: the input of the
 * WebSocket and HTTP/2 readers and of a connection after a protocol switch.
 * @module
 */

const EMPTY = new Uint8Array(0);

/**
 * The bytes received and not consumed yet, as the list of arrays they came in (each kept, not
 * copied: the caller hands them over).
 */
export class ByteQueue {
  #chunks: Uint8Array[] = [];
  /** Offset of the first unconsumed byte in `#chunks[0]`. */
  #pos = 0;
  /** Bytes available. */
  length = 0;

  /** Adds received bytes at the end (kept, not copied). */
  push(data: Uint8Array): void {
    if (data.length === 0) return;
    this.#chunks.push(data);
    this.length += data.length;
  }

  /** The byte `i` positions ahead (`i < length`). */
  peek(i: number): number {
    let at = this.#pos + i;
    for (const chunk of this.#chunks) {
      if (at < chunk.length) return chunk[at];
      at -= chunk.length;
    }
    return -1;
  }

  /** Takes up to `max` bytes from the front, from one array only: a view, no copy. */
  takeView(max: number): Uint8Array {
    const chunk = this.#chunks[0];
    if (chunk === undefined) return EMPTY;
    const n = Math.min(max, chunk.length - this.#pos);
    const out = chunk.subarray(this.#pos, this.#pos + n);
    this.#advance(n);
    return out;
  }

  /** Takes exactly `n` bytes (`n <= length`): a view when they lie in one array, else a copy. */
  take(n: number): Uint8Array {
    const first = this.#chunks[0];
    if (first !== undefined && first.length - this.#pos >= n) return this.takeView(n);
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const view = this.takeView(n - at);
      out.set(view, at);
      at += view.length;
    }
    return out;
  }

  /** Drops every byte. */
  clear(): void {
    this.#chunks = [];
    this.#pos = 0;
    this.length = 0;
  }

  #advance(n: number): void {
    this.length -= n;
    this.#pos += n;
    while (this.#chunks.length > 0 && this.#pos >= this.#chunks[0].length) {
      this.#pos -= this.#chunks[0].length;
      this.#chunks.shift();
    }
  }
}
