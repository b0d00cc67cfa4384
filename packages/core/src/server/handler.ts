/**
 * `BaseHTTPRequestHandler`: Python's `http.server.BaseHTTPRequestHandler` in TypeScript.
 * @module
 */

import { ProtocolError } from "../http/errors.ts";
import type { RequestEvent } from "../http/events.ts";
import { protocolVersionNumber, requestKeepAlive } from "../http/framing.ts";
import { pyRepr } from "../http/repr.ts";
import { type Address, type Platform, type Socket, getPlatform } from "../platform/types.ts";
import { MONTH_NAMES, WEEKDAY_NAMES, formatHTTPDate, formatLogDate } from "../python/dates.ts";
import { DEFAULT_ERROR_CONTENT_TYPE, DEFAULT_ERROR_MESSAGE, errorHasBody, renderErrorBody } from "../python/errorpage.ts";
import { HTTPMessage } from "../python/message.ts";
import { type PyFormatArg, pyFormat } from "../python/pyformat.ts";
import { STATUS_TEXT } from "../python/status.ts";
import { Channel, type ChannelOptions } from "./channel.ts";
import type { ExchangeSource } from "./exchange.ts";
import { ConnectionClosedError, SendTimeoutError, SocketTimeoutError } from "./errors.ts";
import { RequestBodyReader, ResponseWriter } from "./files.ts";
import { type ServerWebSocket, type WebSocketOptions, openWebSocket } from "./websocket.ts";

/**
 * The server a handler runs under, as the handler sees it (`HTTPServer` and its subclasses).
 */
export interface HandlerServer {
  /** The bound address. */
  readonly serverAddress: Address;
  /** Python's `server_name`. */
  readonly serverName: string;
  /** Python's `server_port`. */
  readonly serverPort: number;
  /** The runtime. */
  readonly platform: Platform;
  /**
   * Seconds a request head may take from its first byte (from the accept for a connection's first
   * request); `null` or 0 for no limit. See `HTTPServer.headersTimeout`.
   */
  readonly headersTimeout?: number | null;
  /** Seconds a persistent connection may stay idle between requests; `null` or 0 for no limit. */
  readonly keepAliveTimeout?: number | null;
  /** Seconds a request body may stall while the handler reads it; `null` or 0 for no limit. */
  readonly requestTimeout?: number | null;
  /** Seconds a response may go without the client taking any of it; `null` or 0 for no limit. */
  readonly sendTimeout?: number | null;
  /**
   * The exchanges of a connection the server handles (`HTTPServer` opens a channel per connection
   * and closes it after the handler); when absent or `undefined`, the handler opens a channel of
   * its own from the limits above.
   */
  exchangeFor?(request: Socket): ExchangeSource | undefined;
  /** Reports an exception of a connection's (Python's `handle_error`); see `HTTPServer.handleError`. */
  handleError?(request: Socket, clientAddress: Address, error?: unknown): void;
}

/** Seconds (a server's timeout attribute) as the channel's milliseconds; 0 or none: no limit. */
function limitMs(seconds: number | null | undefined): number | null {
  return seconds === null || seconds === undefined || !(seconds > 0) ? null : seconds * 1000;
}

/** The channel options for the limits of `server` (seconds) . */
export function channelLimits(server: HandlerServer): ChannelOptions {
  return {
    headersTimeoutMs: limitMs(server.headersTimeout),
    keepAliveTimeoutMs: limitMs(server.keepAliveTimeout),
    requestTimeoutMs: limitMs(server.requestTimeout),
    sendTimeoutMs: limitMs(server.sendTimeout),
  };
}

/** A request handler class: what `HTTPServer` takes as `RequestHandlerClass`. */
export type RequestHandlerClass<H extends BaseHTTPRequestHandler = BaseHTTPRequestHandler> = new (
  request: Socket,
  clientAddress: Address,
  server: HandlerServer,
) => H;

/** A class producing header collections from flat `[name, value, …]` field lines (`MessageClass`). */
export type MessageClassType = new (fields: string[]) => HTTPMessage;

/**
 * Python's `BaseHTTPRequestHandler.responses`: `{code: [shortmessage, longmessage]}` for every
 * `HTTPStatus`.
 */
export const RESPONSES: Readonly<Record<number, readonly [string, string]>> = Object.freeze(Object.fromEntries(STATUS_TEXT));

/** Bytes of an unread request body drained after a response so that the connection can be reused. */
const DRAIN_LIMIT = 256 * 1024;

let sysVersionCache: string | undefined;

/**
 * Handles the HTTP requests of one connection, as Python's `http.server.BaseHTTPRequestHandler`.
 * Subclass it and add `doGET`, `doPOST`, `doSPAM` … methods (sync or async) for the methods to
 * serve; a missing method answers `501 Unsupported method ('X')`.
 *
 * Construction handles the connection, as in Python (`setup`, `handle`, then `finish`, started
 * right after the constructor returns); {@link handled} settles when that is over. Subclasses
 * should not need a constructor.
 *
 * Python names are camelCased: `send_response` → `sendResponse`, `close_connection` →
 * `closeConnection`, `do_GET` → `doGET`. I/O is asynchronous: `rfile.read()` and `wfile.write()`
 * return promises; `handle`, `handleOneRequest`, `setup` and `finish` may be async.
 *
 * Source: Python docs, `http.server.BaseHTTPRequestHandler`; docs/cpython.md §1–3.
 */
export class BaseHTTPRequestHandler {
  // -- Python class attributes: override per subclass (field initializers) or per instance. --

  /** Software name and version for the `Server` field (Python's `server_version`). */
  serverVersion = "BaseHTTP/0.6";
  /** Runtime name and version, e.g. `Node/20.20.2` (Python's `sys_version`, `Python/3.x`). */
  sysVersion: string = (sysVersionCache ??= `${getPlatform().name}/${getPlatform().version}`);
  /**
   * HTTP version of responses (Python's `protocol_version`, default `"HTTP/1.0"`). `"HTTP/1.1"`
   * enables persistent connections; responses must then be delimited (`Content-Length`), or the
   * connection closes after them.
   */
  protocolVersion = "HTTP/1.0";
  /** Version assumed until the request line was parsed (Python's `default_request_version`). */
  defaultRequestVersion = "HTTP/0.9";
  /** Error page template with `%(code)d`, `%(message)s`, `%(explain)s` (Python's `error_message_format`). */
  errorMessageFormat = DEFAULT_ERROR_MESSAGE;
  /** `Content-Type` of error pages (Python's `error_content_type`). */
  errorContentType = DEFAULT_ERROR_CONTENT_TYPE;
  /** Class of {@link headers} (Python's `MessageClass`, `http.client.HTTPMessage`). */
  MessageClass: MessageClassType = HTTPMessage;
  /** `{code: [short, long]}` messages (Python's `responses`). */
  responses: Readonly<Record<number, readonly [string, string]>> = RESPONSES;
  /**
   * Socket inactivity timeout in seconds, or `null` for none (Python's `timeout`, default `None`).
   * A read or write that makes no progress for this long ends the connection with the log line
   * `Request timed out: TimeoutError('timed out')`.
   */
  timeout: number | null = null;
  /** Python's `weekdayname`. */
  weekdayname: readonly string[] = WEEKDAY_NAMES;
  /** Python's `monthname`. */
  monthname: readonly (string | null)[] = MONTH_NAMES;

  // -- Instance variables --

  /** The connected socket (Python's `request`). */
  readonly request: Socket;
  /** The client's `[host, port]` (Python's `client_address`). */
  readonly clientAddress: Address;
  /** The server (Python's `server`). */
  readonly server: HandlerServer;
  /** Close the connection after this request (Python's `close_connection`). */
  closeConnection = true;
  /** The request line without its line ending, `""` until one was read (Python's `requestline`). */
  requestline = "";
  /** The request method, e.g. `"GET"` (Python's `command`); `null` until parsed. */
  command: string | null = null;
  /** The request-target, a leading `//` collapsed to `/` (Python's `path`). */
  path = "";
  /** The request's version string, e.g. `"HTTP/1.1"` (Python's `request_version`). */
  requestVersion: string;
  /** The request's header fields (Python's `headers`). */
  headers: HTTPMessage = new HTTPMessage();
  /** The request body (Python's `rfile`), set in {@link setup}. */
  rfile!: RequestBodyReader;
  /** The response stream (Python's `wfile`), set in {@link setup}. */
  wfile!: ResponseWriter;
  /** Settles when the connection has been handled (resolves) or its handling threw (rejects). */
  readonly handled: Promise<void>;

  #channel!: ExchangeSource;
  #pending: RequestEvent | ProtocolError | null = null;
  #status: number | undefined;
  #reason = "";
  #statusVersion = "";
  #fields: string[] = [];
  #buffered = false;
  #ended = false;
  #protocolCache = "";
  #versionOf: [string, string] = ["", ""];
  #version = "";
  #protocolNumber: [number, number] = [1, 0];
  /** Settles when the WebSocket this handler opened has closed: the connection is its until then. */
  #webSocket: Promise<void> | null = null;

  /**
   * @param request the connected socket.
   * @param clientAddress the client's `[host, port]`.
   * @param server the server that accepted the connection.
   */
  constructor(request: Socket, clientAddress: Address, server: HandlerServer) {
    this.request = request;
    this.clientAddress = clientAddress;
    this.server = server;
    this.requestVersion = "HTTP/0.9";
    this.handled = Promise.resolve().then(() => this.#lifecycle());
  }

  async #lifecycle(): Promise<void> {
    this.requestVersion = this.defaultRequestVersion;
    await this.setup();
    try {
      await this.handle();
    } catch (error) {
      if (error instanceof ConnectionClosedError) return;
      const channel = this.#channel as ExchangeSource | undefined;
      if (channel !== undefined && channel.canRespond && !this.#buffered) {
        try {
          this.sendError(500);
        } catch {
          // the connection is unusable; the error below is what matters
        }
      }
      throw error;
    } finally {
      await this.finish();
    }
  }

  /**
   * Prepares the connection (Python's `StreamRequestHandler.setup`): takes the exchanges the
   * server opened for it (or opens a channel with the server's `headersTimeout`,
   * `keepAliveTimeout`, `requestTimeout` and `sendTimeout`), applies {@link timeout}, and creates
   * {@link rfile} and {@link wfile}.
   */
  setup(): void | Promise<void> {
    const server = this.server;
    const channel = server.exchangeFor?.(this.request) ?? new Channel(this.request, server.platform, channelLimits(server));
    channel.timeoutMs = this.timeout === null ? null : this.timeout * 1000;
    this.#channel = channel;
    this.rfile = new RequestBodyReader(channel);
    this.wfile = new ResponseWriter(channel);
  }

  /**
   * The connection's exchanges, for subclasses that need more than {@link rfile} and
   * {@link wfile} (CGI watches it for the client going away). Not in Python.
   */
  protected get exchange(): ExchangeSource {
    return this.#channel;
  }

  /**
   * Handles requests until {@link closeConnection} is set: calls {@link handleOneRequest} once,
   * then again while the connection persists (Python's `handle`).
   */
  async handle(): Promise<void> {
    this.closeConnection = true;
    await this.handleOneRequest();
    while (!this.closeConnection) await this.handleOneRequest();
  }

  /**
   * Reads one request, parses it with {@link parseRequest} and calls its `do<METHOD>` method,
   * then finishes the response: a response that is not properly delimited, or an unread request
   * body too large to drain, closes the connection (Python's `handle_one_request`).
   *
   * A request body that turns out malformed, cut short or stalled (`requestTimeout`) while the
   * handler reads it is answered with 400 or 408 if no response was started (else logged), and
   * the connection closes. A response the client takes nothing of for the server's `sendTimeout`
   * is logged (`Response aborted: no progress sending the response for 60 s`) and the
   * connection is closed at once.
   */
  async handleOneRequest(): Promise<void> {
    const channel = this.#channel;
    try {
      const pending = await channel.nextRequest();
      if (pending === null) {
        this.closeConnection = true;
        return;
      }
      this.#pending = pending;
      if (this.parseRequest()) {
        const command = this.command!;
        const method = (this as unknown as Record<string, unknown>)["do" + command];
        if (typeof method !== "function") {
          this.sendError(501, `Unsupported method (${pyRepr(command)})`);
        } else {
          const result = (method as () => unknown).call(this);
          if (isThenable(result)) await result;
          if (this.#webSocket !== null) await this.#webSocket;
        }
        if (channel.draining) await channel.flush();
      }
    } catch (error) {
      if (error instanceof SocketTimeoutError) {
        this.logError("Request timed out: %s", error.toString());
        this.closeConnection = true;
        return;
      }
      if (error instanceof SendTimeoutError) {
        this.logError("Response aborted: %s", error.message);
        this.closeConnection = true;
        channel.abort();
        return;
      }
      if (!(error instanceof ProtocolError)) throw error;
      // The request body was malformed, cut short or stalled while the handler read it.
      this.closeConnection = true;
      if (channel.canRespond && !this.#buffered) {
        this.sendError(error.status, error.message, error.explain, error.fields);
      } else {
        this.logError("%s: %s", error.message, error.explain ?? "");
      }
    }
    if (this.#buffered) this.flushHeaders();
    const reusable = channel.finishResponse(!this.closeConnection, DRAIN_LIMIT);
    if (!(typeof reusable === "boolean" ? reusable : await reusable)) this.closeConnection = true;
  }

  /**
   * Takes the request head that {@link handleOneRequest} read and sets {@link command},
   * {@link path}, {@link requestVersion}, {@link headers} and {@link closeConnection}. Malformed
   * requests are answered with {@link sendError} (400, 414, 431, 501, 505 with CPython's messages)
   * and return `false`; an empty request line returns `false` without an answer. Calls
   * {@link handleExpect100} for `Expect: 100-continue` (Python's `parse_request`).
   */
  parseRequest(): boolean {
    const pending = this.#pending;
    this.command = null;
    this.requestVersion = this.defaultRequestVersion;
    this.closeConnection = true;
    if (pending === null) return false;
    if (pending instanceof ProtocolError) {
      const line = pending.line;
      this.requestline = line.text;
      if (line.version !== null) this.requestVersion = line.version;
      this.command = line.method;
      if (pending.status === 0) return false;
      this.sendError(pending.status, pending.message, pending.explain);
      return false;
    }
    this.requestline = pending.requestline;
    this.command = pending.method;
    const target = pending.target;
    this.path = target.startsWith("//") ? "/" + target.replace(/^\/+/, "") : target;
    // A two-word (HTTP/0.9) line sets no version: CPython keeps default_request_version, and
    // only skips the field lines (so with "HTTP/1.1" the answer has a status line and fields).
    this.requestVersion = pending.simple ? this.defaultRequestVersion : pending.version;
    this.headers = new this.MessageClass(pending.fields);
    const [major, minor] = this.#protocol();
    this.closeConnection = !requestKeepAlive(pending.major, pending.minor, pending.connection, major, minor);
    if (pending.expectContinue && (major > 1 || (major === 1 && minor >= 1))) {
      if (!this.handleExpect100()) return false;
    }
    return true;
  }

  #protocol(): [number, number] {
    if (this.protocolVersion !== this.#protocolCache) {
      this.#protocolCache = this.protocolVersion;
      this.#protocolNumber = protocolVersionNumber(this.protocolVersion);
    }
    return this.#protocolNumber;
  }

  /**
   * Answers `Expect: 100-continue` with `100 Continue` and returns `true`; override to refuse
   * (e.g. send 417 and return `false`). Python's `handle_expect_100`.
   */
  handleExpect100(): boolean {
    this.sendResponseOnly(100);
    this.endHeaders();
    return true;
  }

  /**
   * Sends and logs a complete error response: status line, `Server`, `Date`,
   * `Connection: close`, then `fields`, and unless the status is 1xx, 204, 205 or 304 a
   * `Content-Type`, `Content-Length` and the {@link errorMessageFormat} page (no body for HEAD).
   * `message` and `explain` default to {@link responses}, `"???"` for unknown codes. Python's
   * `send_error`; `fields` (e.g. `[["Retry-After", "1"]]` with a 503) is ours.
   * @throws {LocalProtocolError} if `message` contains CR, LF or NUL, or a field is invalid.
   */
  sendError(code: number, message?: string | null, explain?: string | null, fields: Iterable<readonly [string, string]> = []): void {
    const known = this.responses[code];
    const shortmsg = known?.[0] ?? "???";
    const longmsg = known?.[1] ?? "???";
    const msg = message ?? shortmsg;
    const exp = explain ?? longmsg;
    this.logError("code %d, message %s", code, msg);
    this.sendResponse(code, msg);
    this.sendHeader("Connection", "close");
    for (const [name, value] of fields) this.sendHeader(name, value);
    let body: Uint8Array | null = null;
    if (errorHasBody(code)) {
      body = renderErrorBody(this.errorMessageFormat, code, msg, exp);
      this.sendHeader("Content-Type", this.errorContentType);
      this.sendHeader("Content-Length", String(body.length));
    }
    this.endHeaders();
    if (this.command !== "HEAD" && body !== null) this.#writeBody(body);
  }

  #writeBody(body: Uint8Array): void {
    this.#channel.writeBodyNow(body);
  }

  /**
   * Accepts the request as a WebSocket opening handshake (RFC 6455 §4.2): sends the `101
   * (Switching Protocols)` answer (logged as any response) and resolves with the socket, open, in
   * the WHATWG `WebSocket` shape (see {@link ServerWebSocket}; its `open` event follows once the
   * caller has added listeners). The connection belongs to the socket until it closes: the
   * handler's request ends then, and the connection with it. Not in Python.
   * @param options the subprotocol(s) to accept, `perMessageDeflate` (off by default),
   *   `maxPayload` (bytes, 16 MiB), `idleTimeout` (seconds, 120), `backpressureLimit` (bytes, 16 MiB).
   * @throws (rejects) {ProtocolError} `400`, or `426` with `Sec-WebSocket-Version: 13`, for a
   *   request that is not a valid handshake; nothing is sent, and uncaught the server answers
   *   with it.
   */
  async upgradeWebSocket(options: WebSocketOptions = {}): Promise<ServerWebSocket> {
    const channel = this.#channel;
    const report = (error: unknown) => this.server.handleError?.(this.request, this.clientAddress, error);
    const { socket, fields } = openWebSocket(channel.request!, options, this.server.platform, report);
    // The 101 is HTTP/1.1's, whatever protocolVersion says (RFC 6455 §4.2.2).
    const version = this.protocolVersion;
    this.protocolVersion = "HTTP/1.1";
    this.sendResponse(101);
    this.protocolVersion = version;
    for (let i = 0; i < fields.length; i += 2) this.sendHeader(fields[i], fields[i + 1]);
    this.endHeaders();
    socket.accept(channel);
    this.#webSocket = socket.closed;
    return socket;
  }

  /**
   * Logs the request and buffers the status line plus `Server` and `Date` fields (Python's
   * `send_response`). Follow with {@link sendHeader} calls and {@link endHeaders}.
   */
  sendResponse(code: number, message?: string | null): void {
    this.logRequest(code);
    this.sendResponseOnly(code, message);
    this.sendHeader("Server", this.versionString());
    this.sendHeader("Date", this.dateTimeString());
  }

  /**
   * Buffers the status line `<protocolVersion> <code> <message>` (nothing for HTTP/0.9);
   * `message` defaults to the code's phrase, `""` if unknown. Python's `send_response_only`.
   * A message with CR, LF or NUL is refused when the head is written (see {@link flushHeaders}).
   */
  sendResponseOnly(code: number, message?: string | null): void {
    if (this.requestVersion === "HTTP/0.9") return;
    const reason = message ?? this.responses[code]?.[0] ?? "";
    if (this.#status !== undefined) this.flushHeaders();
    this.#status = code;
    this.#reason = reason;
    this.#statusVersion = this.protocolVersion;
    this.#buffered = true;
  }

  /**
   * Buffers the field line `<keyword>: <value>` (nothing for HTTP/0.9). A `Connection: close` or
   * `Connection: keep-alive` also sets {@link closeConnection}. Python's `send_header`. A keyword
   * that is not a token, or a value with CR, LF or NUL, is refused when the head is written (see
   * {@link flushHeaders}).
   */
  sendHeader(keyword: string, value: string | number): void {
    const text = String(value);
    if (this.requestVersion !== "HTTP/0.9") {
      this.#fields.push(keyword, text);
      this.#buffered = true;
    }
    if (keyword.length === 10 && keyword.toLowerCase() === "connection") {
      const lower = text.toLowerCase();
      if (lower === "close") this.closeConnection = true;
      else if (lower === "keep-alive") this.closeConnection = false;
    }
  }

  /** Ends the head with an empty line and writes it (Python's `end_headers`). */
  endHeaders(): void {
    if (this.requestVersion === "HTTP/0.9") return;
    this.#ended = true;
    this.#buffered = true;
    this.flushHeaders();
  }

  /**
   * Writes the buffered head, in one write, and empties the buffer (Python's `flush_headers`).
   * @throws {LocalProtocolError} when a field-name is not a token, or a field-value, the reason
   *   phrase or `protocolVersion` holds CR, LF or NUL (CPython writes them as they are: header
   *   injection). The buffer is emptied all the same, so that an error response can follow.
   */
  flushHeaders(): void {
    if (!this.#buffered) return;
    const head = {
      version: this.#statusVersion,
      status: this.#status,
      reason: this.#reason,
      fields: this.#fields,
      complete: this.#ended,
      keepAlive: !this.closeConnection,
    };
    this.#status = undefined;
    this.#fields = [];
    this.#ended = false;
    this.#buffered = false;
    this.#channel.sendHead(head);
  }

  /**
   * Logs an accepted request: `"<requestline>" <code> <size>` (Python's `log_request`).
   * @param code the status code, `"-"` if unknown. @param size the body size, `"-"` if unknown.
   */
  logRequest(code: number | string = "-", size: number | string = "-"): void {
    this.logMessage('"%s" %s %s', this.requestline, String(code), String(size));
  }

  /** Logs an error; by default through {@link logMessage} (Python's `log_error`). */
  logError(format: string, ...args: PyFormatArg[]): void {
    this.logMessage(format, ...args);
  }

  /**
   * Writes `<address> - - [<date>] <message>\n` to standard error, `message` being
   * `format % args` with control characters escaped as `\xNN` and backslashes doubled (Python's
   * `log_message`, 3.12+).
   */
  logMessage(format: string, ...args: PyFormatArg[]): void {
    const message = escapeControlCharacters(pyFormat(format, args));
    this.server.platform.stderr(`${this.addressString()} - - [${this.logDateTimeString()}] ${message}\n`);
  }

  /** `<serverVersion> <sysVersion>`, the `Server` field (Python's `version_string`). */
  versionString(): string {
    const server = this.serverVersion;
    const sys = this.sysVersion;
    if (server !== this.#versionOf[0] || sys !== this.#versionOf[1]) {
      this.#versionOf = [server, sys];
      this.#version = `${server} ${sys}`;
    }
    return this.#version;
  }

  /**
   * `timestamp` (seconds since the epoch; now if omitted) as an IMF-fixdate,
   * `Sun, 06 Nov 1994 08:49:37 GMT` (Python's `date_time_string`).
   */
  dateTimeString(timestamp?: number | null): string {
    return formatHTTPDate(timestamp ?? this.server.platform.now() / 1000);
  }

  /** Now in local time as `dd/Mon/yyyy hh:mm:ss` (Python's `log_date_time_string`). */
  logDateTimeString(): string {
    return formatLogDate(this.server.platform.now() / 1000);
  }

  /** The client's host address, no name lookup (Python's `address_string`). */
  addressString(): string {
    return this.clientAddress[0];
  }

  /**
   * Flushes the response and releases the connection (Python's `finish`). The server then
   * closes the socket gracefully.
   */
  async finish(): Promise<void> {
    if ((this.#channel as ExchangeSource | undefined) === undefined) return;
    try {
      if (this.#buffered) this.flushHeaders();
      await this.wfile.flush();
    } catch {
      // the client is gone; nothing left to flush (Python ignores socket errors here too)
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === "object" && typeof (value as { then?: unknown }).then === "function";
}

/**
 * Escapes U+0000–U+001F and U+007F–U+009F as `\xNN` and `\` as `\\` (CPython's log scrubbing,
 * gh-100001).
 */
export function escapeControlCharacters(s: string): string {
  let out = "";
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x5c) {
      out += s.slice(last, i) + (c === 0x5c ? "\\\\" : "\\x" + (c < 16 ? "0" : "") + c.toString(16));
      last = i + 1;
    }
  }
  return last === 0 ? s : out + s.slice(last);
}
