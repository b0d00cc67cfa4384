/**
 * Errors of the HTTP/1.x core.
 * @module
 */

/**
 * The peer broke the protocol: a malformed, oversized or unsupported request. The connection
 * cannot be used for another request; the server answers with {@link status} (unless it is 0)
 * and closes.
 *
 * `message` and `explain` are CPython's texts where CPython has one (for example
 * `Bad request version ('FOO/1.0')`, cpython-behaviour.md §1.6), so that `sendError(status,
 * message, explain)` renders the same page.
 */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
  /**
   * @param status HTTP status to answer with (400, 414, 431, 501, 505), or 0 for "close without
   *   an answer" (an empty request line, as CPython).
   * @param code A stable machine-readable identifier, e.g. `"CL_TE"`, `"OBS_FOLD"`.
   * @param message The short message (reason phrase of the error response).
   * @param explain The long explanation for the error page, or `undefined` for the status's
   *   default description.
   * @param requestline The decoded request line without its line ending, `""` if none was read.
   * @param requestVersion The request's HTTP-version as far as it was accepted: `undefined`
   *   before the version was read (the handler keeps its `defaultRequestVersion`, and an
   *   HTTP/0.9-style answer without a status line follows), `""` when the answer must carry a
   *   status line regardless (414, invalid or unsupported versions).
   * @param command The request method when the request line was valid, else `null`.
   */
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly explain?: string,
    readonly requestline = "",
    readonly requestVersion?: string,
    readonly command: string | null = null,
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
