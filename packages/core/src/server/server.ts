/**
 * `HTTPServer` and `ThreadingHTTPServer`: Python's `http.server` servers with the
 * `socketserver.TCPServer` API they inherit, on the platform's sockets.
 * @module
 */

import { pyRepr } from "../http/repr.ts";
import { type Address, type ListenOptions, type Listener, type Platform, type Socket, type Timer, getPlatform } from "../platform/types.ts";
import { formatLogDate } from "../python/dates.ts";
import type { H2ConnectionOptions } from "../h2/settings.ts";
import { Channel } from "./channel.ts";
import { type H2Exchange, H2StreamSocket } from "./h2exchange.ts";
import { H2Session, sessionLimits } from "./h2session.ts";
import { PrefaceSniffer } from "./sniff.ts";
import type { ExchangeSource } from "./exchange.ts";
import {
  type BaseHTTPRequestHandler,
  type HandlerServer,
  type RequestHandlerClass,
  channelLimits,
  escapeControlCharacters,
} from "./handler.ts";

/** Events of one kind closer together than this (milliseconds) form one burst, logged once. */
const BURST_GAP_MS = 2000;

/** Tells the first event of each burst from the rest. */
class Burst {
  #last = -Infinity;
  /** Records an event at `now` (ms); true when it starts a burst. */
  first(now: number): boolean {
    const first = now - this.#last >= BURST_GAP_MS;
    this.#last = now;
    return first;
  }
}

/**
 * The default connection cap for a descriptor limit: half of what is left after 32 descriptors
 * for the runtime itself, since a connection serving a file holds two. 4096 when the limit is
 * unknown (Deno without read access to `/proc/self/limits`).
 */
export function defaultMaxConnections(descriptorLimit: number | null): number {
  return descriptorLimit === null ? 4096 : Math.max(1, Math.floor((descriptorLimit - 32) / 2));
}

/**
 * A TCP server handing each connection to a new instance of its handler class: Python's
 * `http.server.HTTPServer` (a `socketserver.TCPServer`). It handles **one connection at a time**,
 * as CPython does; use {@link ThreadingHTTPServer} to serve connections concurrently.
 *
 * ```ts
 * await using httpd = new HTTPServer(["", 8000], MyHandler);
 * await httpd.ready;
 * await httpd.serveForever();   // until httpd.shutdown()
 * ```
 *
 * Binding happens in the constructor (unless `bindAndActivate` is false); await {@link ready}
 * before reading {@link serverAddress}. A host of `""` or `"::"` listens on every interface,
 * IPv6 and IPv4.
 *
 * Source: Python docs, `http.server.HTTPServer`, `socketserver.BaseServer`/`TCPServer`;
 * docs/cpython.md §6.
 */
export class HTTPServer implements HandlerServer {
  /** Python's `allow_reuse_address` (SO_REUSEADDR; runtimes set it on POSIX anyway). */
  allowReuseAddress = true;
  /**
   * Python's `allow_reuse_port` (SO_REUSEPORT). `false`, except in a worker started by
   * `serveWorkers` or `--workers` (`Platform.worker`), which shares its port with the others.
   */
  allowReusePort: boolean = (getPlatform().worker ?? null) !== null;
  /**
   * Listen backlog (Python's `request_queue_size`). 1024 rather than Python's 5: a burst of
   * connections (a browser opens several at once) would otherwise overflow the kernel's accept
   * queue and wait for SYN retransmissions, seconds each (docs/deviations.md).
   */
  requestQueueSize = 1024;
  /** Seconds {@link handleRequest} waits for a connection, or `null` (Python's `timeout`). */
  timeout: number | null = null;
  /**
   * Seconds a client has to send a whole request head, counted from its first byte (from the
   * accept for a connection's first request); then `408 Request Timeout` if part of it came, a
   * silent close if nothing did. `null` or 0: no limit. Default 60, as Node's `headersTimeout`
   * and nginx's `client_header_timeout`. Not in Python, which waits forever.
   */
  headersTimeout: number | null = 60;
  /**
   * Seconds a persistent connection may stay idle between requests before it is closed. `null`
   * or 0: no limit. Default 5, as Node's `keepAliveTimeout` (nginx: 75): an idle connection holds
   * a descriptor, and a browser reopens one in a round trip. Not in Python.
   */
  keepAliveTimeout: number | null = 5;
  /**
   * Seconds a request body may stall (no byte arriving) while the handler waits for it; then
   * `408 Request Timeout` if no response was started, and the connection closes. `null` or 0: no
   * limit. Default 60, as nginx's `client_body_timeout` (Node's `requestTimeout` bounds the whole
   * request instead, 300 s). Not in Python.
   */
  requestTimeout: number | null = 60;
  /**
   * Seconds a response may go without the client taking any of it; then the response is aborted
   * and logged (`Response aborted: no progress sending the response for 60 s`). `null` or 0: no
   * limit. Default 60, as nginx's `send_timeout`. Progress is checked once per `sendTimeout`, so
   * the abort comes between one and two of them after the client last took bytes. Not in Python.
   */
  sendTimeout: number | null = 60;
  /**
   * Most connections handled or waiting at once; a connection over it is closed as soon as it is
   * accepted, logged once per burst. `"auto"` (the default) becomes, when the server binds, half of
   * the descriptor limit less 32 ({@link defaultMaxConnections}), so that connections serving
   * files cannot exhaust descriptors; 0: no limit. Not in Python.
   */
  maxConnections: number | "auto" = "auto";
  /**
   * Seconds {@link serverClose} lets connections in the middle of a request finish before it
   * closes them. Default 5. Not in Python, whose daemon threads are cut off at exit.
   */
  shutdownTimeout = 5;
  /**
   * Serve HTTP/2 (RFC 9113) besides HTTP/1.x: over TLS to a client that chooses `h2` by ALPN
   * ({@link HTTPSServer} offers it first), and on a cleartext port to a connection that opens
   * with the HTTP/2 preface (prior knowledge, RFC 9113 §3.3). Each stream is a request with a
   * handler of its own; streams of a connection are served concurrently. `false`: HTTP/1 only,
   * as Python. Not in Python.
   */
  http2 = true;
  /**
   * HTTP/2's limits: `maxConcurrentStreams` (100), `initialWindowSize` (65,535 bytes),
   * `connectionWindowSize` (1 MiB), `maxHeaderListSize` (65,536 bytes), `maxHeaderFields` (100),
   * and the rate limits against floods (see {@link H2ConnectionOptions}). Not in Python.
   */
  http2Limits: H2ConnectionOptions = {};
  /** The runtime this server runs on. */
  readonly platform: Platform;
  /** The handler class instantiated per connection (Python's `RequestHandlerClass`). */
  RequestHandlerClass: RequestHandlerClass;
  /** `[host, port]`; after binding, the address actually bound (Python's `server_address`). */
  serverAddress: Address;
  /** Host name of the server (Python's `server_name`). */
  serverName = "";
  /** Bound port (Python's `server_port`). */
  serverPort = 0;
  /** Resolves once the server is bound and listening; rejects with the bind error. */
  readonly ready: Promise<void>;

  #listener: Listener | null = null;
  #queue: Socket[] = [];
  #queueWaiter: ((socket: Socket | null) => void) | null = null;
  #serving = false;
  #shutdownRequested = false;
  #shutdownWaiters: (() => void)[] = [];
  #closed = false;
  /** The HTTP/1 connections being handled, and their channels. */
  readonly #channels = new Map<Socket, Channel>();
  /** The HTTP/2 connections being handled, and their sessions. */
  readonly #sessions = new Map<Socket, H2Session>();
  /** The HTTP/2 streams being handled (by their handlers' `request`), and their exchanges. */
  readonly #streams = new Map<Socket, H2Exchange>();
  #drained: (() => void) | null = null;
  readonly #acceptBurst = new Burst();
  readonly #limitBurst = new Burst();

  /**
   * @param serverAddress `[host, port]` to bind.
   * @param RequestHandlerClass the handler class (e.g. `SimpleHTTPRequestHandler`).
   * @param bindAndActivate bind and listen at once (default); otherwise call
   *   {@link serverBind} and {@link serverActivate} yourself.
   */
  constructor(serverAddress: Address, RequestHandlerClass: RequestHandlerClass<BaseHTTPRequestHandler>, bindAndActivate = true) {
    this.platform = getPlatform();
    this.serverAddress = [serverAddress[0], serverAddress[1]];
    this.RequestHandlerClass = RequestHandlerClass;
    if (bindAndActivate) {
      // Deferred by a microtask so that subclass field initializers (e.g. `allowReusePort`) apply.
      this.ready = Promise.resolve().then(async () => {
        try {
          await this.serverBind();
          this.serverActivate();
        } catch (error) {
          await this.serverClose();
          throw error;
        }
      });
      // The rejection is delivered to whoever awaits `ready` or `serveForever`.
      this.ready.catch(() => {});
    } else {
      this.ready = Promise.resolve();
    }
  }

  /** The options this server listens with; HTTPS servers add TLS. */
  async listenOptions(): Promise<ListenOptions> {
    return {
      host: this.serverAddress[0],
      port: this.serverAddress[1],
      backlog: this.requestQueueSize,
      reusePort: this.allowReusePort,
      onAcceptError: (error) => {
        // Called from the runtime's event handlers: an exception here must not end the process.
        try {
          this.handleAcceptError(error);
        } catch (failure) {
          this.platform.stderr(`${failure instanceof Error ? (failure.stack ?? failure.message) : String(failure)}\n`);
        }
      },
    };
  }

  /**
   * Binds and listens, then sets {@link serverAddress}, {@link serverName}, {@link serverPort}
   * and an `"auto"` {@link maxConnections} (Python's `server_bind`; binding and listening are one
   * step on every runtime).
   * @throws the platform's error, e.g. `code: 'EADDRINUSE'`.
   */
  async serverBind(): Promise<void> {
    if (this.maxConnections === "auto") this.maxConnections = defaultMaxConnections(this.platform.descriptorLimit());
    const listener = await this.platform.listen(await this.listenOptions(), (socket) => this.#accept(socket));
    this.#listener = listener;
    this.serverAddress = [listener.address[0], listener.address[1]];
    const host = this.serverAddress[0];
    this.serverName = host === "" || host === "0.0.0.0" || host === "::" ? this.platform.hostname() : host;
    this.serverPort = this.serverAddress[1];
  }

  /** Python's `server_activate`; listening already started in {@link serverBind}. */
  serverActivate(): void {}

  #accept(socket: Socket): void {
    // Closing; or a client that reset the connection before it was accepted: nobody to answer.
    if (this.#closed || socket.remoteAddress[0] === "") {
      socket.destroy();
      return;
    }
    const cap = this.maxConnections;
    if (typeof cap === "number" && cap > 0 && this.#channels.size + this.#sessions.size + this.#queue.length >= cap) {
      socket.destroy();
      if (this.#limitBurst.first(this.platform.now())) this.handleConnectionLimit(socket.remoteAddress);
      return;
    }
    const waiter = this.#queueWaiter;
    if (waiter !== null) {
      this.#queueWaiter = null;
      waiter(socket);
    } else {
      this.#queue.push(socket);
    }
  }

  /** The next accepted connection, or `null` on shutdown or after `timeoutMs`. */
  #nextConnection(timeoutMs: number | null = null): Promise<Socket | null> {
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.#shutdownRequested || this.#closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      let timer: Timer | null = null;
      this.#queueWaiter = (socket) => {
        timer?.cancel();
        resolve(socket);
      };
      if (timeoutMs !== null) {
        timer = this.platform.setTimer(timeoutMs, () => {
          this.#queueWaiter = null;
          resolve(null);
        });
      }
    });
  }

  /**
   * Handles connections until {@link shutdown} is called (Python's `serve_forever`), calling
   * {@link serviceActions} after each connection and every `pollInterval` seconds while none
   * comes. Connections are taken as they arrive (no polling): shutdown takes effect at once.
   * @param pollInterval seconds between {@link serviceActions} calls while idle; 0 for none.
   * @throws the bind error if binding failed.
   */
  async serveForever(pollInterval = 0.5): Promise<void> {
    await this.ready;
    if (this.#serving) throw new Error("serveForever() is already running");
    this.#serving = true;
    const idleMs = pollInterval > 0 ? pollInterval * 1000 : null;
    try {
      while (!this.#shutdownRequested) {
        const socket = await this.#nextConnection(idleMs);
        if (socket !== null) await this.#handleConnection(socket);
        else if (this.#shutdownRequested || this.#closed) break;
        this.serviceActions();
      }
    } finally {
      this.#serving = false;
      this.#shutdownRequested = false;
      for (const waiter of this.#shutdownWaiters.splice(0)) waiter();
    }
  }

  /**
   * Stops the {@link serveForever} loop; resolves once it has stopped. Connections being handled
   * carry on (Python's `shutdown`; unlike Python it does not block forever when the loop is not
   * running).
   */
  shutdown(): Promise<void> {
    if (!this.#serving) return Promise.resolve();
    this.#shutdownRequested = true;
    const waiter = this.#queueWaiter;
    if (waiter !== null) {
      this.#queueWaiter = null;
      waiter(null);
    }
    return new Promise((resolve) => this.#shutdownWaiters.push(resolve));
  }

  /**
   * Called by {@link serveForever} after each connection and every `pollInterval` seconds while
   * idle (Python's `service_actions`); does nothing by default.
   */
  serviceActions(): void {}

  /**
   * Handles one connection, waiting up to {@link timeout} seconds for one; calls
   * {@link handleTimeout} if none came (Python's `handle_request`).
   */
  async handleRequest(): Promise<void> {
    await this.ready;
    const socket = await this.#nextConnection(this.timeout === null ? null : this.timeout * 1000);
    if (socket === null) {
      this.handleTimeout();
      return;
    }
    await this.#handleConnection(socket);
  }

  /** Called when {@link handleRequest} times out (Python's `handle_timeout`). */
  handleTimeout(): void {}

  async #handleConnection(socket: Socket): Promise<void> {
    const clientAddress = socket.remoteAddress;
    if (!this.verifyRequest(socket, clientAddress)) {
      this.shutdownRequest(socket);
      return;
    }
    if (this.http2 && socket.alpnProtocol === "h2") this.#startHTTP2(socket, socket, clientAddress);
    else {
      // On cleartext, an HTTP/2 preface takes the connection from the channel (which sees it close).
      const wire =
        this.http2 && socket.alpnProtocol == null
          ? new PrefaceSniffer(socket, (h2) => this.#startHTTP2(socket, h2, clientAddress))
          : socket;
      this.#channels.set(socket, new Channel(wire, this.platform, channelLimits(this)));
    }
    await this.processRequest(socket, clientAddress);
  }

  /** Serves an HTTP/2 connection: each stream goes through {@link processRequest} as a request of its own. */
  #startHTTP2(request: Socket, socket: Socket, clientAddress: Address): void {
    const session = new H2Session(socket, this.platform, sessionLimits(channelLimits(this), this.http2Limits), (exchange) => {
      const stream = new H2StreamSocket(exchange, request);
      this.#streams.set(stream, exchange);
      void this.processRequest(stream, clientAddress);
    });
    this.#sessions.set(request, session);
  }

  /**
   * The channel this server opened for a connection it is handling: the handler reads and
   * writes its exchanges through it (`BaseHTTPRequestHandler.setup`). Not in Python.
   */
  exchangeFor(request: Socket): ExchangeSource | undefined {
    return this.#streams.get(request) ?? this.#channels.get(request);
  }

  /** Return `false` to refuse a connection (Python's `verify_request`). */
  verifyRequest(request: Socket, clientAddress: Address): boolean {
    void request;
    void clientAddress;
    return true;
  }

  /**
   * Handles a connection and closes it; errors go to {@link handleError}. Resolves when done
   * (Python's `process_request`; {@link ThreadingMixIn} returns at once instead).
   */
  async processRequest(request: Socket, clientAddress: Address): Promise<void> {
    try {
      if (!this.#sessions.has(request)) await this.finishRequest(request, clientAddress);
      // An HTTP/2 connection (by ALPN, or by its preface after the channel let go of it).
      await this.#sessions.get(request)?.done;
    } catch (error) {
      this.handleError(request, clientAddress, error);
    } finally {
      this.shutdownRequest(request);
    }
  }

  /**
   * Instantiates {@link RequestHandlerClass} for the connection and waits until it has been
   * handled (Python's `finish_request`). Override to pass handler options.
   */
  async finishRequest(request: Socket, clientAddress: Address): Promise<void> {
    await new this.RequestHandlerClass(request, clientAddress, this).handled;
  }

  /** Closes a connection gracefully (Python's `shutdown_request`). */
  shutdownRequest(request: Socket): void {
    this.closeRequest(request);
    if (this.#streams.delete(request)) return;
    this.#channels.delete(request);
    this.#sessions.delete(request);
    if (this.#channels.size + this.#sessions.size === 0 && this.#drained !== null) this.#drained();
  }

  /** Closes a connection: its channel sends what is queued, then FIN (Python's `close_request`). */
  closeRequest(request: Socket): void {
    const exchange = this.#streams.get(request) ?? this.#sessions.get(request) ?? this.#channels.get(request);
    if (exchange !== undefined) exchange.close();
    else request.destroy();
  }

  /**
   * Reports an exception raised while handling a connection, as Python's `handle_error`: a line
   * of 40 dashes, `Exception occurred during processing of request from ('host', port)`, the
   * stack trace, 40 dashes; on standard error. The server keeps serving.
   */
  handleError(request: Socket, clientAddress: Address, error?: unknown): void {
    void request;
    const line = "-".repeat(40);
    const trace = error instanceof Error ? (error.stack ?? String(error)) : String(error);
    this.platform.stderr(
      `${line}\nException occurred during processing of request from (${pyRepr(clientAddress[0])}, ${clientAddress[1]})\n${trace}\n${line}\n`,
    );
  }

  /**
   * Writes `<host> - - [<date>] <message>` to standard error, in the format of the handler's
   * `logMessage` (control characters escaped), for events of the server rather than of a request.
   * @param host the client's address, or `-` when there is none.
   */
  logServerEvent(host: string, message: string): void {
    this.platform.stderr(`${host} - - [${formatLogDate(this.platform.now() / 1000)}] ${escapeControlCharacters(message)}\n`);
  }

  /**
   * Called when accepting a connection failed (the client reset it first, descriptors or memory
   * ran out). The listener keeps accepting (after a back-off while resources are exhausted); this
   * logs the first error of each burst: `- - - [<date>] cannot accept connections: EMFILE (too
   * many open files); retrying`. Not in Python, whose `socketserver` ignores such `OSError`s.
   */
  handleAcceptError(error: Error & { code?: string }): void {
    if (!this.#acceptBurst.first(this.platform.now())) return;
    const reason = error.code !== undefined && error.code !== error.message ? `${error.code} (${error.message})` : error.message;
    this.logServerEvent("-", `cannot accept connections: ${reason}; retrying`);
  }

  /**
   * Called when a connection was closed because {@link maxConnections} were open already (once
   * per burst): logs `<client> - - [<date>] connection limit reached (N connections): closing new
   * connections`. Not in Python.
   */
  handleConnectionLimit(clientAddress: Address): void {
    this.logServerEvent(clientAddress[0], `connection limit reached (${String(this.maxConnections)} connections): closing new connections`);
  }

  /**
   * Stops listening and closes connections not yet handled; idle connections close at once, and
   * connections in the middle of a request finish it, then close. Resolves once every connection
   * is closed, closing the last ones after {@link shutdownTimeout} seconds (Python's
   * `server_close`, which does not wait).
   */
  async serverClose(): Promise<void> {
    this.#closed = true;
    for (const socket of this.#queue.splice(0)) socket.destroy();
    const waiter = this.#queueWaiter;
    if (waiter !== null) {
      this.#queueWaiter = null;
      waiter(null);
    }
    for (const channel of this.#channels.values()) channel.stopWhenIdle();
    for (const session of this.#sessions.values()) session.stopWhenIdle();
    const listener = this.#listener;
    this.#listener = null;
    if (listener !== null) await listener.close();
    if (this.#channels.size + this.#sessions.size === 0) return;
    await new Promise<void>((resolve) => {
      const timer = this.platform.setTimer(Math.max(0, this.shutdownTimeout) * 1000, () => resolve());
      this.#drained = () => {
        timer.cancel();
        resolve();
      };
    });
    this.#drained = null;
    for (const channel of this.#channels.values()) channel.abort();
    for (const session of this.#sessions.values()) session.abort();
  }

  /** Closes the server (`await using httpd = new HTTPServer(…)`); Python's `__exit__`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.serverClose();
  }
}

/** A class whose instances are servers, for {@link ThreadingMixIn}. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the mixin pattern requires any[]
export type ServerClass<T extends HTTPServer = HTTPServer> = new (...args: any[]) => T;

/** What {@link ThreadingMixIn} adds to a server class. */
export interface ThreadingServer {
  /** Python's `daemon_threads`: in-flight connections do not keep `serverClose` waiting. */
  daemonThreads: boolean;
  /** Resolves when every connection being handled is done. */
  joinTasks(): Promise<void>;
}

/**
 * Handles each connection concurrently instead of one at a time (Python's
 * `socketserver.ThreadingMixIn`; JavaScript runs them as concurrent async tasks, not threads).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the mixin pattern requires any[]
export function ThreadingMixIn<TBase extends ServerClass>(Base: TBase): TBase & (new (...args: any[]) => ThreadingServer) {
  class Threading extends Base {
    /** Python's `daemon_threads`: in-flight connections do not keep {@link serverClose} waiting. */
    daemonThreads = true;
    /** Connections being handled. */
    readonly #tasks = new Set<Promise<void>>();

    /** Starts handling the connection and returns at once. */
    override processRequest(request: Socket, clientAddress: Address): Promise<void> {
      const task = super.processRequest(request, clientAddress);
      this.#tasks.add(task);
      void task.finally(() => this.#tasks.delete(task));
      return Promise.resolve();
    }

    /** Resolves when every connection being handled is done. */
    async joinTasks(): Promise<void> {
      while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
    }
  }
  return Threading;
}

// A named base, so that the class's type is explicit (JSR's fast type check).
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the mixin pattern requires any[]
const ThreadingHTTPServerBase: typeof HTTPServer & (new (...args: any[]) => ThreadingServer) = ThreadingMixIn(HTTPServer);

/**
 * {@link HTTPServer} that handles connections concurrently (Python's
 * `http.server.ThreadingHTTPServer`); what the `httpserver` command uses.
 */
export class ThreadingHTTPServer extends ThreadingHTTPServerBase {
  /** See {@link HTTPServer}. */
  constructor(serverAddress: Address, RequestHandlerClass: RequestHandlerClass<BaseHTTPRequestHandler>, bindAndActivate = true) {
    super(serverAddress, RequestHandlerClass, bindAndActivate);
  }
}
