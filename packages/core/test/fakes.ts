/**
 * Test doubles for the I/O side of the core: a {@link FakeSocket} that records what the channel
 * writes and lets a test deliver bytes, EOF, drain and close, and a {@link FakeClock} platform
 * whose timers fire only when the test advances time.
 */
import type { Address, Platform, Socket, SocketEvents, Timer } from "../src/platform/types.js";
import { bytes, concat, text } from "./helpers.js";

/** One `Socket.write` call: `chunk`, then `more` when given. */
export interface WriteCall {
  chunk: Uint8Array;
  more?: Uint8Array;
}

/**
 * A socket whose peer is the test. Writes are recorded and counted in {@link bufferedAmount}
 * until {@link take} hands them to the "kernel"; `write` returns `false` above
 * {@link highWaterMark} bytes, as Node's streams do.
 */
export class FakeSocket implements Socket {
  readonly remoteAddress: Address = ["127.0.0.1", 40000];
  readonly localAddress: Address = ["127.0.0.1", 8000];
  readonly writes: WriteCall[] = [];
  highWaterMark = 65536;
  bufferedAmount = 0;
  paused = false;
  ended = false;
  destroyed = false;
  #events: SocketEvents | null = null;

  start(events: SocketEvents): void {
    if (this.#events !== null) throw new Error("start called twice");
    this.#events = events;
  }

  write(chunk: Uint8Array, more?: Uint8Array): boolean {
    if (this.ended || this.destroyed) return false;
    this.writes.push(more === undefined ? { chunk } : { chunk, more });
    this.bufferedAmount += chunk.length + (more?.length ?? 0);
    return this.bufferedAmount <= this.highWaterMark;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  end(): void {
    this.ended = true;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.bufferedAmount = 0;
    this.#on().close();
  }

  /** Everything written so far, as ISO-8859-1 text. */
  get sent(): string {
    return text(concat(this.writes.flatMap((w) => (w.more === undefined ? [w.chunk] : [w.chunk, w.more]))));
  }

  /** The peer sends `data`. */
  receive(data: string | Uint8Array): void {
    this.#on().data(typeof data === "string" ? bytes(data) : data);
  }

  /** The peer half-closes (FIN). */
  receiveEOF(): void {
    this.#on().end();
  }

  /** The connection is gone (a reset, or both sides closed). */
  reset(): void {
    this.destroyed = true;
    this.#on().close();
  }

  /** The kernel takes `n` queued bytes (all when omitted); `drain` fires once under the mark. */
  take(n = this.bufferedAmount): void {
    const wasOver = this.bufferedAmount > this.highWaterMark;
    this.bufferedAmount -= Math.min(n, this.bufferedAmount);
    if (wasOver && this.bufferedAmount <= this.highWaterMark) this.#on().drain();
  }

  #on(): SocketEvents {
    if (this.#events === null) throw new Error("the channel did not start the socket");
    return this.#events;
  }
}

/**
 * A platform with a clock the test moves: {@link advance} runs the timers that fall due, in
 * order of their time. Only `now` and `setTimer` are implemented (all a channel uses).
 */
export class FakeClock {
  now = 1_000_000;
  readonly #timers = new Set<{ at: number; fn: () => void }>();

  /** Timers armed and not yet fired or cancelled. */
  get pending(): number {
    return this.#timers.size;
  }

  /** The platform handed to the code under test. */
  readonly platform = {
    now: () => this.now,
    setTimer: (ms: number, fn: () => void): Timer => {
      const timer = { at: this.now + ms, fn };
      this.#timers.add(timer);
      return { cancel: () => void this.#timers.delete(timer) };
    },
  } as unknown as Platform;

  /** Moves the clock `ms` forward, firing each timer due on the way at its own time. */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      let next: { at: number; fn: () => void } | null = null;
      for (const t of this.#timers) if (t.at <= end && (next === null || t.at < next.at)) next = t;
      if (next === null) break;
      this.#timers.delete(next);
      this.now = Math.max(this.now, next.at);
      next.fn();
      await settle();
    }
    this.now = end;
    await settle();
  }
}

/** Lets pending promise callbacks and microtasks run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

/** The state of a promise without waiting: its value, its error, or "pending". */
export async function peek<T>(p: Promise<T>): Promise<{ value: T } | { error: unknown } | "pending"> {
  let state: { value: T } | { error: unknown } | "pending" = "pending";
  p.then(
    (value) => (state = { value }),
    (error: unknown) => (state = { error }),
  );
  await settle();
  return state;
}
