/**
 * Pure helpers the runtime adapters share (no runtime API: each adapter passes in what it read).
 * @module
 */

/**
 * The soft limit on open files from the text of Linux's `/proc/self/limits` (the
 * `Max open files` row, first number); `null` when the row is missing or reads `unlimited`.
 */
export function descriptorLimitFromProcLimits(text: string): number | null {
  const m = /^Max open files\s+(\d+)\s/m.exec(text);
  return m === null ? null : Number(m[1]);
}

/**
 * `accept(2)` errors after which a listener may go on accepting at once: the client went away
 * before its connection was accepted. Anything else (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM` …)
 * wants a back-off ({@link acceptBackoff}).
 */
export const CLIENT_GONE_ACCEPT_ERRORS: ReadonlySet<string> = new Set(["ECONNABORTED", "ECONNRESET", "ENOTCONN", "EPROTO"]);

/**
 * The delay before the next `accept(2)` after a failure, in milliseconds: 0 when the client went
 * away, else 5 ms doubling up to 1 s (libuv's and Go's back-off while descriptors are exhausted).
 * @param previous the delay used after the previous consecutive failure (0 after a success).
 * @param code the error's POSIX code, if any.
 */
export function acceptBackoff(previous: number, code: string | undefined): number {
  if (code !== undefined && CLIENT_GONE_ACCEPT_ERRORS.has(code)) return 0;
  return previous === 0 ? 5 : Math.min(previous * 2, 1000);
}
