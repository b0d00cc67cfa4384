/**
 * Which time limit applies to what a connection waits for, and when each wait must end: the
 * arithmetic behind the channel's timer, with no timer and no I/O of its own. Times are
 * milliseconds since the epoch; limits are milliseconds, `null` for none.
 *
 * - Waiting for a request head: a connection's first head must be complete `headersMs` after the
 *   accept, a later one `headersMs` after its first byte; a persistent connection may stay idle
 *   (nothing of a next request) `keepAliveMs`.
 * - Waiting for body bytes: at most `requestMs` since the wait began or the last byte came.
 * - Waiting for the socket to drain: at most `sendMs` without progress.
 * - On top of each, Python's handler `timeout` (`pythonMs`): at most that long without progress.
 * @module
 */

/** What a connection waits for: nothing, the next request head, body bytes, or raw bytes. */
export const NO_WAIT = 0;
export const HEAD_WAIT = 1;
export const BODY_WAIT = 2;
/** Bytes of another protocol after a switch: only Python's handler `timeout` applies. */
export const RAW_WAIT = 3;

/** Why a wait ended at its deadline. */
export type Expiry =
  /** Python's handler `timeout` passed first (`TimeoutError('timed out')`). */
  | "python"
  /** Nothing of a next request came in time: close without an answer. */
  | "idle"
  /** Part of a request head came, not all of it in time: 408. */
  | "head"
  /** The body stalled: 408. */
  | "body"
  /** The client took none of the response in time: abort. */
  | "send";

/** The limits of one connection, in milliseconds (`null`: no limit). */
export interface Limits {
  headersMs: number | null;
  keepAliveMs: number | null;
  requestMs: number | null;
  sendMs: number | null;
}

/** The waits of one connection and the limits on them. */
export class TimeLimits {
  /** Python's handler `timeout` in milliseconds, or `null`; the handler may change it. */
  pythonMs: number | null = null;
  readonly #limits: Limits;

  /** What the read side waits for ({@link NO_WAIT}, {@link HEAD_WAIT}, {@link BODY_WAIT}). */
  wait = NO_WAIT;
  /** When the read wait began, or bytes last arrived. */
  #readSince = 0;
  /** When the head waited for started (accept, or its first byte); -1 while idle. */
  #headStart: number;
  /** When the drain wait began or the queue last shrank; the queue's size then. */
  #writeSince = 0;
  #writeQueued = 0;

  /** @param acceptedAt when the connection was accepted (the first head counts from it). */
  constructor(limits: Limits, acceptedAt: number) {
    this.#limits = limits;
    this.#headStart = acceptedAt;
  }

  /**
   * The next head is awaited: it starts now if part of it is already here (`buffered`), else with
   * its first byte. The first head of a connection keeps the accept as its start.
   */
  awaitHead(now: number, buffered: boolean, first: boolean): void {
    if (!first) this.#headStart = buffered ? now : -1;
  }

  /** A read wait of `kind` begins. */
  beginRead(kind: number, now: number): void {
    this.wait = kind;
    this.#readSince = now;
  }

  /** The read wait ended. */
  endRead(): void {
    this.wait = NO_WAIT;
  }

  /** Bytes arrived during a read wait. */
  received(now: number): void {
    this.#readSince = now;
    if (this.#headStart < 0) this.#headStart = now;
  }

  /** A wait for the socket to drain begins, with `queued` bytes not yet taken. */
  beginDrain(now: number, queued: number): void {
    this.#writeSince = now;
    this.#writeQueued = queued;
  }

  /** The socket holds `queued` bytes now: fewer than before is progress. */
  sendProgress(now: number, queued: number): void {
    if (queued < this.#writeQueued) {
      this.#writeSince = now;
      this.#writeQueued = queued;
    }
  }

  /** When the read wait must end (`Infinity`: never). */
  readDeadline(): number {
    const limits = this.#limits;
    let at = Infinity;
    if (this.wait === HEAD_WAIT) {
      if (this.#headStart >= 0) {
        if (limits.headersMs !== null) at = this.#headStart + limits.headersMs;
      } else if (limits.keepAliveMs !== null) {
        at = this.#readSince + limits.keepAliveMs;
      }
    } else if (this.wait === BODY_WAIT && limits.requestMs !== null) {
      at = this.#readSince + limits.requestMs;
    }
    if (this.pythonMs !== null && this.#readSince + this.pythonMs < at) at = this.#readSince + this.pythonMs;
    return this.wait === NO_WAIT ? Infinity : at;
  }

  /** Why the read wait ends at its deadline; `buffered` says whether part of a head came. */
  readExpiry(buffered: boolean): Expiry {
    const python = this.pythonMs === null ? Infinity : this.#readSince + this.pythonMs;
    if (python <= this.readDeadline()) return "python";
    if (this.wait === BODY_WAIT) return "body";
    return buffered ? "head" : "idle";
  }

  /** When a drain wait must end (`Infinity`: never), while `draining`. */
  writeDeadline(draining: boolean): number {
    if (!draining) return Infinity;
    let limit = this.#limits.sendMs ?? Infinity;
    if (this.pythonMs !== null && this.pythonMs < limit) limit = this.pythonMs;
    return this.#writeSince + limit;
  }

  /** Why a drain wait ends at its deadline. */
  writeExpiry(): Expiry {
    return this.pythonMs !== null && this.pythonMs <= (this.#limits.sendMs ?? Infinity) ? "python" : "send";
  }

  /** A limit in seconds, for messages (`1500` → `1.5`). */
  seconds(limit: keyof Limits): number {
    return (this.#limits[limit] ?? 0) / 1000;
  }
}
