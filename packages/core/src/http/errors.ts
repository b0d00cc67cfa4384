/**
 * Errors of the HTTP/1.x core.
 * @module
 */

/** What had been read of the request line when a {@link ProtocolError} was found. */
export interface RequestLineContext {
  /** The request-line decoded as ISO-8859-1, without its line ending; `""` when none was read. */
  readonly text: string;
  /** The method, once the whole request-line was valid; else `null`. */
  readonly method: string | null;
  /**
   * The HTTP-version: as sent, once the request-line was accepted; `null` when none was read (a
   * line of one or two words, which may be HTTP/0.9: an answer then takes the server's default
   * version); `""` when the line cannot be answered as HTTP/0.9 although no version was accepted
   * (an invalid or unsupported version, a line too long or holding control characters, a head
   * that did not arrive in time): an answer then has a status line.
   */
  readonly version: string | null;
}

/** The context of an error found before any request-line was read. */
export const NO_REQUEST_LINE: RequestLineContext = Object.freeze({ text: "", method: null, version: "" });

/**
 * The peer broke the protocol: a malformed, oversized, unsupported or late request. The
 * connection cannot be used for another request; the server answers with {@link status} (unless
 * it is 0) and closes.
 *
 * `message` and `explain` are CPython's texts where CPython has one (for example
 * `Bad request version ('FOO/1.0')`, docs/cpython.md §1.6), so that an error page renders the
 * same.
 */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
  /**
   * @param status HTTP status to answer with (400, 408, 414, 431, 501, 505), or 0 for "close
   *   without an answer" (an empty request line, as CPython).
   * @param code A stable machine-readable identifier, e.g. `"CL_TE"`, `"OBS_FOLD"`.
   * @param message The short message (reason phrase of the error response).
   * @param explain The long explanation for the error page, or `undefined` for the status's
   *   default description.
   * @param line What had been read of the request line.
   * @param fields Fields the error response carries besides the usual ones (a `426`'s
   *   `Sec-WebSocket-Version`, say), as `[name, value]` pairs.
   */
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly explain?: string,
    readonly line: RequestLineContext = NO_REQUEST_LINE,
    readonly fields: readonly (readonly [string, string])[] = [],
  ) {
    super(message);
  }
}

/**
 * The local side misused the protocol, for example a response field whose name is not a token
 * or whose value holds CR, LF or NUL (RFC 9112 §11.1, response splitting).
 */
export class LocalProtocolError extends TypeError {
  override readonly name = "LocalProtocolError";
}
