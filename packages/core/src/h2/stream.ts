/**
 * An HTTP/2 stream as a server sees it (RFC 9113 §5.1): its state, changed only through the one
 * transition table below, its two flow-control windows (§5.2), and the response bytes waiting
 * for them.
 * @module
 */

/** Stream states (RFC 9113 §5.1); a server never reserves streams (push is disabled). */
export type StreamState = "idle" | "open" | "half-closed-remote" | "half-closed-local" | "closed";

/** What happens to a stream: a frame received (`recv-…`) or sent (`send-…`); `-end` = END_STREAM. */
export type StreamInput =
  "recv-headers" | "recv-data" | "recv-end" | "recv-reset" | "send-headers" | "send-data" | "send-end" | "send-reset";

/**
 * A received frame the state does not allow: the stream is closed to it (a stream error of type
 * STREAM_CLOSED, RFC 9113 §5.1 "half-closed (remote)").
 */
export const STREAM_CLOSED = "stream-closed";

/**
 * The transitions (RFC 9113 §5.1, Figure 2): state × input → next state; an input missing from a
 * state's row is {@link STREAM_CLOSED} when received, and a bug of the server when sent.
 */
const TRANSITIONS: Readonly<Record<StreamState, Partial<Record<StreamInput, StreamState>>>> = {
  idle: { "recv-headers": "open", "send-reset": "closed" },
  open: {
    "recv-headers": "open",
    "recv-data": "open",
    "recv-end": "half-closed-remote",
    "recv-reset": "closed",
    "send-headers": "open",
    "send-data": "open",
    "send-end": "half-closed-local",
    "send-reset": "closed",
  },
  "half-closed-remote": {
    "recv-reset": "closed",
    "send-headers": "half-closed-remote",
    "send-data": "half-closed-remote",
    "send-end": "closed",
    "send-reset": "closed",
  },
  "half-closed-local": {
    "recv-headers": "half-closed-local",
    "recv-data": "half-closed-local",
    "recv-end": "closed",
    "recv-reset": "closed",
    "send-reset": "closed",
  },
  closed: {},
};

/** How a stream came to be closed: what frames arriving later on it mean (RFC 9113 §5.1 "closed"). */
export type ClosedHow = "ended" | "reset-sent" | "reset-received";

/**
 * How the most recent closed streams closed (the oldest forgotten past `limit`): what a frame
 * arriving late on one means (RFC 9113 §5.1 "closed").
 */
export class ClosedStreams {
  readonly #how = new Map<number, ClosedHow>();

  constructor(readonly limit = 1024) {}

  /** How the stream closed, or `undefined` when it is not remembered (never opened, or forgotten). */
  get(streamId: number): ClosedHow | undefined {
    return this.#how.get(streamId);
  }

  /** Records how a stream closed, forgetting the oldest beyond the limit. */
  remember(streamId: number, how: ClosedHow): void {
    this.#how.set(streamId, how);
    if (this.#how.size > this.limit) this.#how.delete(this.#how.keys().next().value as number);
  }
}

/** One stream of a server connection. */
export class Stream {
  state: StreamState = "idle";

  // -- Receiving --
  /** How many more DATA bytes the client may send on it. */
  readonly inbound: ReceiveWindow;
  /** DATA bytes received, padding excluded (against `content-length`, RFC 9113 §8.1.1). */
  received = 0;
  /** The request's `content-length`, or -1. */
  contentLength = -1;

  // -- Sending --
  /** How many more DATA bytes the client allows us (its window, which may go negative: §6.9.2). */
  sendWindow: number;
  /** Response body bytes waiting for the windows, oldest first (views, handed over). */
  readonly queue: Uint8Array[] = [];
  /** Offset of the first unsent byte in `queue[0]`. */
  queueOffset = 0;
  /** Bytes in {@link queue} not sent yet. */
  queued = 0;
  /** END_STREAM goes out after the queued bytes (with {@link trailers} when set). */
  endQueued = false;
  /** Trailer fields to send after the queued bytes, flat pairs. */
  trailers: string[] | null = null;

  constructor(
    readonly id: number,
    recvWindow: number,
    sendWindow: number,
  ) {
    this.inbound = new ReceiveWindow(recvWindow);
    this.sendWindow = sendWindow;
  }

  /**
   * Applies an input: the new state, or {@link STREAM_CLOSED} when a received frame is not
   * allowed in the current state (the state is then unchanged).
   * @throws {Error} when the server sends what the state does not allow.
   */
  apply(input: StreamInput): StreamState | typeof STREAM_CLOSED {
    const next = TRANSITIONS[this.state][input];
    if (next === undefined) {
      if (input.startsWith("recv-")) return STREAM_CLOSED;
      throw new Error(`HTTP/2 stream ${this.id}: cannot ${input} in state ${this.state}`);
    }
    this.state = next;
    return next;
  }

  /** True while the client may still send on it (open or half-closed (local)). */
  get remoteOpen(): boolean {
    return this.state === "open" || this.state === "half-closed-local";
  }

  /** True while the server may still send on it (open or half-closed (remote)). */
  get localOpen(): boolean {
    return this.state === "open" || this.state === "half-closed-remote";
  }

  /** Moves the next `n` queued bytes into `out` at `at`. */
  takeQueued(out: Uint8Array, at: number, n: number): void {
    while (n > 0) {
      const chunk = this.queue[0];
      const take = Math.min(n, chunk.length - this.queueOffset);
      out.set(chunk.subarray(this.queueOffset, this.queueOffset + take), at);
      at += take;
      n -= take;
      this.queued -= take;
      this.queueOffset += take;
      if (this.queueOffset === chunk.length) {
        this.queue.shift();
        this.queueOffset = 0;
      }
    }
  }

  /** Drops the queued response bytes (the stream was reset). */
  dropQueue(): void {
    this.queue.length = 0;
    this.queueOffset = 0;
    this.queued = 0;
    this.endQueued = false;
    this.trailers = null;
  }
}

/**
 * A receive window (RFC 9113 §6.9): what the peer may still send, and the bytes consumed since
 * the last WINDOW_UPDATE, announced once they reach half the window's size.
 */
export class ReceiveWindow {
  /** Bytes consumed and not announced yet. */
  #unacknowledged = 0;

  /** @param size the window's size in bytes: all of it is available at first. */
  constructor(
    public size: number,
    public available: number = size,
  ) {}

  /** Takes `n` bytes received: `false` (nothing taken) when they exceed the window. */
  take(n: number): boolean {
    if (n > this.available) return false;
    this.available -= n;
    return true;
  }

  /** Gives back `n` bytes consumed: the increment to announce in a WINDOW_UPDATE, or 0 for now. */
  giveBack(n: number): number {
    this.#unacknowledged += n;
    if (this.#unacknowledged < this.size / 2) return 0;
    const increment = this.#unacknowledged;
    this.available += increment;
    this.#unacknowledged = 0;
    return increment;
  }
}

/** A token bucket (RFC 9113 §10.5's "limits" on frames a peer may send at a rate). */
export class TokenBucket {
  #tokens: number;
  #last = -1;

  /**
   * @param burst the most events at once.
   * @param ratePerSecond events per second it refills with.
   */
  constructor(
    readonly burst: number,
    readonly ratePerSecond: number,
  ) {
    this.#tokens = burst;
  }

  /** Takes a token at `now` (milliseconds, any monotonic origin): `false` when none is left. */
  take(now: number): boolean {
    if (this.#last >= 0 && now > this.#last) {
      this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) * this.ratePerSecond) / 1000);
    }
    if (this.#last < 0 || now > this.#last) this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
