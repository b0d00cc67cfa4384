/**
 * What a handler's reads and writes can fail with, apart from a malformed request
 * (`ProtocolError`): the client left, or a time limit passed.
 * @module
 */

/**
 * The client closed the connection while the server was still writing (Python's
 * `BrokenPipeError` / `ConnectionResetError`).
 */
export class ConnectionClosedError extends Error {
  override readonly name = "ConnectionClosedError";
  constructor(message = "connection closed by the peer") {
    super(message);
  }
}

/**
 * A socket operation did not make progress within the handler's `timeout` (Python's
 * `TimeoutError('timed out')`, raised by a socket with a timeout).
 */
export class SocketTimeoutError extends Error {
  override readonly name = "TimeoutError";
  constructor() {
    super("timed out");
  }
  /** Python's `repr()` of the exception, as CPython logs it. */
  override toString(): string {
    return "TimeoutError('timed out')";
  }
}

/**
 * The client took none of the response for the server's `sendTimeout`: the response is aborted
 * (nginx's `send_timeout`). Not in Python, whose sockets wait forever by default.
 */
export class SendTimeoutError extends Error {
  override readonly name = "SendTimeoutError";
  /** @param seconds the `sendTimeout` that passed. */
  constructor(readonly seconds: number) {
    super(`no progress sending the response for ${seconds} s`);
  }
}

/** `error` as an `Error`: itself when it is one, else wrapped (a thrown string, say). */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
