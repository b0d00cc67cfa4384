/**
 * `HTTPServer` and `ThreadingHTTPServer`: Python's `http.server` servers with the
 * `socketserver.TCPServer` API they inherit, on the platform's sockets.
 * @module
 */

import { pyRepr } from "../http/pyformat.js";
import { type Address, type ListenOptions, type Listener, type Platform, type Socket, type Timer, getPlatform } from "../platform.js";
import { channelOf } from "./channel.js";
import type { BaseHTTPRequestHandler, HandlerServer, RequestHandlerClass } from "./handler.js";

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
 * cpython-behaviour.md §6.
 */
export class HTTPServer implements HandlerServer {
  /** Python's `allow_reuse_address` (SO_REUSEADDR; runtimes set it on POSIX anyway). */
  allowReuseAddress = true;
  /** Python's `allow_reuse_port` (SO_REUSEPORT). */
  allowReusePort = false;
  /**
   * Listen backlog (Python's `request_queue_size`). 1024 rather than Python's 5: a burst of
   * connections (a browser opens several at once) would otherwise overflow the kernel's accept
   * queue and wait for SYN retransmissions, seconds each (docs/deviations.md).
   */
  requestQueueSize = 1024;
  /** Seconds {@link handleRequest} waits for a connection, or `null` (Python's `timeout`). */
  timeout: number | null = null;
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
  readonly #active = new Set<Socket>();

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
    };
  }

  /**
   * Binds and listens, then sets {@link serverAddress}, {@link serverName}, {@link serverPort}
   * (Python's `server_bind`; binding and listening are one step on every runtime).
   * @throws the platform's error, e.g. `code: 'EADDRINUSE'`.
   */
  async serverBind(): Promise<void> {
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
    if (this.#closed) {
      socket.destroy();
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
   * Handles connections until {@link shutdown} is called (Python's `serve_forever`).
   * @param pollInterval accepted for compatibility; the loop is event-driven, so shutdown takes
   *   effect at once.
   * @throws the bind error if binding failed.
   */
  async serveForever(pollInterval = 0.5): Promise<void> {
    void pollInterval;
    await this.ready;
    if (this.#serving) throw new Error("serveForever() is already running");
    this.#serving = true;
    try {
      while (!this.#shutdownRequested) {
        const socket = await this.#nextConnection();
        if (socket === null) break;
        await this.#handleConnection(socket);
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
   * Called by {@link serveForever} after each connection (Python's `service_actions`).
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
    this.#active.add(socket);
    await this.processRequest(socket, clientAddress);
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
      await this.finishRequest(request, clientAddress);
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
    this.#active.delete(request);
    this.closeRequest(request);
  }

  /** Closes a connection (Python's `close_request`). */
  closeRequest(request: Socket): void {
    const channel = channelOf(request);
    if (channel !== undefined) channel.close();
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
   * Stops listening and closes connections not yet handled; connections being handled finish
   * their current request and then close (Python's `server_close`).
   */
  async serverClose(): Promise<void> {
    this.#closed = true;
    for (const socket of this.#queue.splice(0)) socket.destroy();
    const waiter = this.#queueWaiter;
    if (waiter !== null) {
      this.#queueWaiter = null;
      waiter(null);
    }
    for (const socket of this.#active) channelOf(socket)?.stopWhenIdle();
    const listener = this.#listener;
    this.#listener = null;
    if (listener !== null) await listener.close();
  }

  /** Closes the server (`await using httpd = new HTTPServer(…)`); Python's `__exit__`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.serverClose();
  }
}

/** A class whose instances are servers, for {@link ThreadingMixIn}. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the mixin pattern requires any[]
export type ServerClass<T extends HTTPServer = HTTPServer> = new (...args: any[]) => T;

/**
 * Handles each connection concurrently instead of one at a time (Python's
 * `socketserver.ThreadingMixIn`; JavaScript runs them as concurrent async tasks, not threads).
 */
export function ThreadingMixIn<TBase extends ServerClass>(Base: TBase) {
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

/**
 * {@link HTTPServer} that handles connections concurrently (Python's
 * `http.server.ThreadingHTTPServer`); what the `httpserver` command uses.
 */
export class ThreadingHTTPServer extends ThreadingMixIn(HTTPServer) {
  /** See {@link HTTPServer}. */
  constructor(serverAddress: Address, RequestHandlerClass: RequestHandlerClass<BaseHTTPRequestHandler>, bindAndActivate = true) {
    super(serverAddress, RequestHandlerClass, bindAndActivate);
  }
}
