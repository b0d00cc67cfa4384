/**
 * HTTP/2 with prior knowledge on a cleartext port (RFC 9113 §3.3): the first bytes of a
 * connection tell whether the client sends the HTTP/2 connection preface. {@link PrefaceSniffer}
 * stands between the socket and the HTTP/1 channel: bytes that cannot begin the preface go on to
 * the channel at once (an HTTP/1 client never notices); a whole preface takes the socket away
 * from the channel (which sees the connection close before any request) and hands it, with the
 * bytes so far, to an HTTP/2 session.
 * @module
 */

import { PREFACE, startsLikePreface } from "../h2/frames.ts";
import { concatBytes } from "../http/chars.ts";
import type { Address, Socket, SocketEvents } from "../platform/types.ts";

/** Watches a socket's first bytes for the HTTP/2 connection preface. */
export class PrefaceSniffer implements Socket {
  readonly #socket: Socket;
  readonly #onPreface: (socket: Socket) => void;
  #events: SocketEvents | null = null;
  /** Bytes held while they could still be the preface; `null` once decided. */
  #held: Uint8Array[] | null = [];
  #heldBytes = 0;
  /** Events that came before the channel started reading. */
  #early: (() => void)[] = [];
  /** The socket went to HTTP/2: the channel's calls do nothing. */
  #detached = false;
  /** The HTTP/2 session's events, once it started reading. */
  #session: SocketEvents | null = null;

  /**
   * @param onPreface called with the socket (its received bytes replayed to whoever starts it)
   *   when the client sent the HTTP/2 preface.
   */
  constructor(socket: Socket, onPreface: (socket: Socket) => void) {
    this.#socket = socket;
    this.#onPreface = onPreface;
    socket.start({
      data: (chunk) => (this.#session !== null ? this.#session.data(chunk) : this.#data(chunk)),
      end: () => (this.#session !== null ? this.#session.end() : this.#forward((events) => events.end())),
      close: () => (this.#session !== null ? this.#session.close() : this.#forward((events) => events.close())),
      drain: () => (this.#session !== null ? this.#session.drain() : this.#forward((events) => events.drain())),
    });
  }

  #data(chunk: Uint8Array): void {
    if (this.#detached) return;
    const held = this.#held;
    if (held === null) return this.#forward((events) => events.data(chunk));
    held.push(chunk);
    this.#heldBytes += chunk.length;
    const bytes = held.length === 1 ? chunk : concatBytes(held, this.#heldBytes);
    if (!startsLikePreface(bytes)) {
      this.#held = null;
      return this.#forward((events) => events.data(bytes));
    }
    if (bytes.length < PREFACE.length) {
      this.#held = [bytes];
      return;
    }
    // HTTP/2: the channel sees the connection close; the socket and its bytes go to the session.
    this.#held = null;
    this.#forward((events) => events.close());
    this.#detached = true;
    const socket = this.#socket;
    this.#onPreface({
      remoteAddress: socket.remoteAddress,
      localAddress: socket.localAddress,
      get bufferedAmount() {
        return socket.bufferedAmount;
      },
      start: (events) => {
        this.#session = events;
        events.data(bytes);
      },
      write: (chunk, more) => socket.write(chunk, more),
      pause: () => socket.pause(),
      resume: () => socket.resume(),
      end: () => socket.end(),
      destroy: () => socket.destroy(),
    });
  }

  #forward(deliver: (events: SocketEvents) => void): void {
    const events = this.#events;
    if (events === null) this.#early.push(() => deliver(this.#events!));
    else deliver(events);
  }

  get remoteAddress(): Address {
    return this.#socket.remoteAddress;
  }

  get localAddress(): Address {
    return this.#socket.localAddress;
  }

  get bufferedAmount(): number {
    return this.#detached ? 0 : this.#socket.bufferedAmount;
  }

  start(events: SocketEvents): void {
    this.#events = events;
    for (const deliver of this.#early.splice(0)) deliver();
  }

  write(chunk: Uint8Array, more?: Uint8Array): boolean {
    return this.#detached || this.#socket.write(chunk, more);
  }

  pause(): void {
    if (!this.#detached) this.#socket.pause();
  }

  resume(): void {
    if (!this.#detached) this.#socket.resume();
  }

  end(): void {
    if (!this.#detached) this.#socket.end();
  }

  destroy(): void {
    if (!this.#detached) this.#socket.destroy();
  }
}
