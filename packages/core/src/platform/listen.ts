/**
 * What the runtime adapters' listeners and sockets share (no runtime API: each adapter passes in
 * what it calls or read): the dual-stack fallback, the accept back-off, the descriptor limit and
 * the write high-water mark.
 * @module
 */

/**
 * Bytes an adapter queues for a socket before `Socket.write` reports backpressure (64 KiB, the
 * high-water mark of Node 24's streams).
 */
export const WRITE_HIGH_WATER_MARK = 64 * 1024;

/** True for an error saying the machine has no IPv6 (`EAFNOSUPPORT`, `EADDRNOTAVAIL`). */
export function noIPv6(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "EAFNOSUPPORT" || code === "EADDRNOTAVAIL";
}

/**
 * Listens with `listen(host)`. A host of `""` or `"::"` means every interface: `"::"` (IPv6 and
 * IPv4 on a dual-stack system), then `"0.0.0.0"` when `isNoIPv6` says the machine has no IPv6.
 * @param listen binds one host; rejects (or throws) with the runtime's error.
 * @param isNoIPv6 recognises the runtime's "no IPv6" error (default {@link noIPv6}).
 */
export async function listenDualStack<T>(
  host: string,
  listen: (host: string) => T | Promise<T>,
  isNoIPv6: (error: unknown) => boolean = noIPv6,
): Promise<T> {
  const wildcard = host === "" || host === "::";
  try {
    return await listen(wildcard ? "::" : host);
  } catch (error) {
    if (!wildcard || !isNoIPv6(error)) throw error;
    return await listen("0.0.0.0");
  }
}

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
