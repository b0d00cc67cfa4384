/**
 * The channel's deadlines put to work: one platform timer armed for the earliest deadline, and
 * what a read wait ends with when its deadline passes (RFC 9110 §15.5.9 `408 Request Timeout`,
 * or Python's `TimeoutError`). The arithmetic of the deadlines is timelimits.ts's.
 * @module
 */

import type { ServerConnection } from "../http/connection.ts";
import { ProtocolError } from "../http/errors.ts";
import { lineContext } from "../http/headreader.ts";
import type { Platform, Timer } from "../platform/types.ts";
import { SocketTimeoutError } from "./errors.ts";
import type { TimeLimits } from "./timelimits.ts";

/** One platform timer, armed for the earliest of the deadlines asked for. */
export class DeadlineTimer {
  readonly #platform: Platform;
  readonly #fire: () => void;
  #timer: Timer | null = null;
  #at = Infinity;
  readonly #onTimer = () => {
    this.#timer = null;
    this.#at = Infinity;
    this.#fire();
  };

  /** @param fire called when the deadline armed for passes. */
  constructor(platform: Platform, fire: () => void) {
    this.#platform = platform;
    this.#fire = fire;
  }

  /** Arms the timer for `at` (milliseconds since the epoch) unless it is armed for that or earlier. */
  schedule(at: number): void {
    if (at === Infinity || at >= this.#at) return;
    this.#timer?.cancel();
    this.#at = at;
    this.#timer = this.#platform.setTimer(Math.max(0, at - this.#platform.now()), this.#onTimer);
  }

  /** Disarms the timer. */
  cancel(): void {
    this.#timer?.cancel();
    this.#timer = null;
    this.#at = Infinity;
  }
}

/**
 * What a read wait ends with at its deadline: `SocketTimeoutError` (Python's `timeout`), a `408`
 * for a stalled body or a late head, or `null` (nothing of a next request came: close silently).
 * @param conn the connection read from: whether a byte of the next request head came, the
 *   request whose body is read, what came of the request line waited for.
 */
export function readExpiry(
  limits: TimeLimits,
  conn: Pick<ServerConnection, "headStarted" | "request" | "pendingLine">,
): SocketTimeoutError | ProtocolError | null {
  const { headStarted, request } = conn;
  switch (limits.readExpiry(headStarted)) {
    case "python":
      return new SocketTimeoutError();
    case "body":
      return new ProtocolError(
        408,
        "BODY_TIMEOUT",
        "Request Timeout",
        `The request body stalled for more than ${limits.seconds("requestMs")} s.`,
        request === null ? undefined : lineContext(request),
      );
    case "head":
      return new ProtocolError(
        408,
        "HEADERS_TIMEOUT",
        "Request Timeout",
        `The request head did not arrive within ${limits.seconds("headersMs")} s.`,
        conn.pendingLine,
      );
    default:
      return null;
  }
}
