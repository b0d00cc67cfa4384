/**
 * The exchange: what a handler API needs of one request, whatever protocol carries it — the
 * request head, its body as a source of events (pull, with backpressure; `100 Continue` is an
 * interim head the handler sends), a sink for the response (head, body, end), the switch that a
 * `101` or a `2xx` to `CONNECT` makes, and the connection's lifetime. Python's handlers
 * (`BaseHTTPRequestHandler`) and fetch handlers (`serve`) are two faces over it; an HTTP/1
 * {@link Channel} is one for each request of its connection in turn.
 * @module
 */

import type { ProtocolError } from "../http/errors.ts";
import type { RequestEvent } from "../http/events.ts";
import type { ResponseHead } from "../http/response.ts";
import type { Address } from "../platform/types.ts";
import type { BodyEvent } from "./channel.ts";

/** One request and its response, as a handler API uses them. */
export interface Exchange {
  /** The request being answered, or `null` before one was read. */
  readonly request: RequestEvent | null;
  /** Requests read so far on this connection (a body reader starts afresh when it changes). */
  readonly requestCount: number;
  /** The client's address. */
  readonly remoteAddress: Address;

  // -- The request body --

  /** True while the request's body is still coming. */
  readonly readingBody: boolean;
  /**
   * The next piece of the request body (a view, valid until the next call), its end, or the
   * error that replaced the rest.
   */
  nextBodyEvent(): Promise<BodyEvent>;

  // -- The response --

  /** True while no response head was sent (an error page still can be). */
  readonly canRespond: boolean;
  /** True once the connection is closed. */
  readonly closed: boolean;
  /** Sends a response head: interim (1xx), final, or field lines continuing one. */
  sendHead(head: ResponseHead): void;
  /** Writes body bytes; resolves once they were taken below the high-water mark. */
  writeBody(bytes: Uint8Array): Promise<void>;
  /** Queues body bytes without waiting; `false` when over the high-water mark. */
  writeBodyNow(bytes: Uint8Array): boolean;
  /** Resolves when queued bytes drained below the high-water mark. */
  flush(): Promise<void>;
  /** True while written bytes wait for the client. */
  readonly draining: boolean;
  /** Bytes written and not yet taken by the client. */
  readonly bufferedAmount: number;
  /**
   * Ends the response: whether the connection can carry another request (`keepAlive`, a
   * delimited response, the rest of the body drained within `drainLimit` bytes).
   */
  finishResponse(keepAlive: boolean, drainLimit: number): boolean | Promise<boolean>;
  /** Inactivity timeout of reads and writes in milliseconds, or `null` (Python's handler `timeout`). */
  timeoutMs: number | null;

  // -- The connection --

  /** Calls `listener` once when the connection closes; returns a function that removes it. */
  onClose(listener: () => void): () => void;
  /** Closes gracefully (what is queued goes first). */
  close(): void;
  /** Closes at once. */
  abort(): void;

  // -- After a protocol switch --

  /** True once a response head switched protocols: {@link readRaw} and the writes carry raw bytes. */
  readonly switched: boolean;
  /** The client's next raw bytes, `null` at the end. */
  readRaw(): Promise<Uint8Array | null>;
  /** What to do when the server shuts down while the connection carries another protocol. */
  onStop(listener: () => void): void;
}

/** A source of exchanges: one request after another on a connection. */
export interface ExchangeSource extends Exchange {
  /**
   * Waits for the next request: its head (now {@link Exchange.request}), the
   * {@link ProtocolError} that replaced it, or `null` when there is none to come.
   */
  nextRequest(): Promise<RequestEvent | ProtocolError | null>;
}
