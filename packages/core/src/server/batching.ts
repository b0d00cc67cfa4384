/**
 * The one layer that batches small writes: a head and a small body leave in one socket write (one
 * system call, one TCP segment), and a head with the start of a large body as one vectored write.
 * See `Socket.write` for the rule the adapters keep.
 * @module
 */

import { allocBytes } from "../http/chars.ts";
import type { Socket } from "../platform/types.ts";

/**
 * Small writes made one after another are joined into one socket write up to this many bytes;
 * a larger write goes out at once, after (and together with) the small ones held before it.
 */
export const COALESCE_BYTES = 16 * 1024;

/** The ECMAScript host's microtask queue (HTML's `queueMicrotask`, in every runtime). */
const queueMicrotask = (globalThis as unknown as { queueMicrotask: (fn: () => void) => void }).queueMicrotask;

/**
 * Writes to a socket, holding small chunks until the current run of synchronous code and
 * microtasks ends (or a larger write comes), then sending them joined. Every method returns the
 * socket's backpressure verdict (`true`: below its high-water mark).
 */
export class BatchedWriter {
  readonly #socket: Socket;
  /** The verdict when nothing was written (whether no earlier write still waits to drain). */
  readonly #idle: () => boolean;
  #held: Uint8Array[] = [];
  #heldBytes = 0;
  #flushQueued = false;
  readonly #flushTask = () => {
    this.#flushQueued = false;
    this.#send(null);
  };

  readonly #defer: (fn: () => void) => void;

  /**
   * @param defer runs the flush of held chunks later: the platform's `defer` (the end of the
   *   event-loop turn), else after the current microtasks.
   */
  constructor(socket: Socket, idle: () => boolean, defer: (fn: () => void) => void = queueMicrotask) {
    this.#socket = socket;
    this.#idle = idle;
    this.#defer = defer;
  }

  /** True while small chunks are held, not yet written. */
  get holding(): boolean {
    return this.#held.length > 0;
  }

  /** Bytes held, not yet written. */
  get heldBytes(): number {
    return this.#heldBytes;
  }

  /** Queues `bytes`: held if small (sent at the end of the microtask run), else sent now. */
  queue(bytes: Uint8Array): boolean {
    const n = bytes.length;
    if (n >= COALESCE_BYTES) return this.#send(bytes);
    this.#held.push(bytes);
    this.#heldBytes += n;
    if (this.#heldBytes >= COALESCE_BYTES) return this.#send(null);
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      this.#defer(this.#flushTask);
    }
    return this.#idle();
  }

  /** Sends `bytes` now, with what is held: joined into one chunk when small together. */
  write(bytes: Uint8Array): boolean {
    if (this.#held.length > 0 && this.#heldBytes + bytes.length <= COALESCE_BYTES) {
      this.#held.push(bytes);
      this.#heldBytes += bytes.length;
      return this.#send(null);
    }
    return this.#send(bytes);
  }

  /** Sends what is held now. */
  flush(): boolean {
    return this.#send(null);
  }

  /** Forgets what is held (the connection is closing at once). */
  drop(): void {
    this.#held = [];
    this.#heldBytes = 0;
  }

  /** Writes the held chunks, joined into one array, then `more` if given, in one socket write. */
  #send(more: Uint8Array | null): boolean {
    const held = this.#held;
    let joined: Uint8Array | null = null;
    if (held.length === 1) joined = held[0];
    else if (held.length > 1) {
      joined = allocBytes(this.#heldBytes);
      let at = 0;
      for (const chunk of held) {
        joined.set(chunk, at);
        at += chunk.length;
      }
    }
    if (held.length > 0) this.drop();
    if (joined === null) return more === null ? this.#idle() : this.#socket.write(more);
    return more === null ? this.#socket.write(joined) : this.#socket.write(joined, more);
  }
}
