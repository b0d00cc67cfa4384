/**
 * `serve({ fetch })`: fetch handlers — `(request: Request, info) => Response` as Deno.serve,
 * Bun.serve, Hono and srvx run them — on our HTTP/1 core, with every limit the Python servers
 * have. srvx's shape (`serve(options)` returning a server with `ready()`, `url`, `close()`),
 * Deno's handler info (`info.remoteAddr`, `info.completed`).
 * @module
 */

import { ProtocolError } from "../http/errors.ts";
import type { RequestEvent } from "../http/events.ts";
import { requestKeepAlive } from "../http/framing.ts";
import {
  type Address,
  type ListenOptions,
  type Listener,
  type Platform,
  type Socket,
  type TLSListenOptions,
  getPlatform,
} from "../platform/types.ts";
import { formatLogDate } from "../python/dates.ts";
import type { H2ConnectionOptions } from "../h2/settings.ts";
import { Channel, type ChannelOptions } from "../server/channel.ts";
import type { ExchangeSource } from "../server/exchange.ts";
import { H2Session, sessionLimits } from "../server/h2session.ts";
import { PrefaceSniffer } from "../server/sniff.ts";
import { escapeControlCharacters } from "../server/handler.ts";
import { loadCertChain } from "../server/https.ts";
import { defaultMaxConnections } from "../server/server.ts";
import { FetchRequest, type RequestState } from "./request.ts";
import { type Answering, writeDirect, writeResponse } from "./respond.ts";
import { directReply } from "./static.ts";
import { upgradeOf } from "./websocket.ts";

/** What a fetch handler gets besides the request (Deno's `ServeHandlerInfo`). */
export interface ServeHandlerInfo {
  /** The client's address. */
  readonly remoteAddr: { readonly hostname: string; readonly port: number; readonly transport: "tcp" };
  /**
   * Resolves once the response was written to the end; rejects when the client went away before
   * (Deno's `info.completed`).
   */
  readonly completed: Promise<void>;
}

/** A fetch handler: answers a `Request` with a `Response` (or a promise of one). */
export type FetchHandler = (request: Request, info: ServeHandlerInfo) => Response | Promise<Response>;

/** What {@link serve} takes: srvx's names, Deno's where srvx has none, Node's `http.Server` limits (in seconds). */
export interface ServeOptions {
  /** The handler. */
  fetch: FetchHandler;
  /** The port (default: `$PORT`, else 3000, as srvx); 0 picks a free one. */
  port?: number | string;
  /** The address to bind (default: every interface, IPv6 and IPv4). */
  hostname?: string;
  /**
   * Serve HTTPS: the certificate chain and key, each a PEM text or a file's path, and the key's
   * passphrase if it is encrypted.
   */
  tls?: { cert: string; key: string; passphrase?: string };
  /** Closes the server when it aborts (Deno's). */
  signal?: AbortSignal;
  /** Called once listening, with the address bound (Deno's); without it, a line is printed unless {@link silent}. */
  onListen?: (address: { hostname: string; port: number; transport: "tcp" }) => void;
  /**
   * Answers when the handler throws or returns something else than a `Response` (Deno's
   * `onError`, srvx's `error`); without it, the answer is `500` with an empty body and one log line.
   */
  onError?: (error: unknown) => Response | Promise<Response>;
  /** srvx's name of {@link onError}. */
  error?: (error: unknown) => Response | Promise<Response>;
  /** Print nothing when listening (srvx's). */
  silent?: boolean;
  /** Log each request as CPython does (`<client> - - [date] "GET / HTTP/1.1" 200 -`; default off). */
  logRequests?: boolean;
  /** Share the port with other processes (SO_REUSEPORT, where supported). */
  reusePort?: boolean;
  /** Seconds a request head may take (default 60; 0: none). As `HTTPServer.headersTimeout`. */
  headersTimeout?: number;
  /** Seconds a persistent connection may stay idle between requests (default 5; 0: none). */
  keepAliveTimeout?: number;
  /** Seconds a request body may stall while it is read (default 60; 0: none). */
  requestTimeout?: number;
  /** Seconds a response may go without the client taking any of it (default 60; 0: none). */
  sendTimeout?: number;
  /** Most connections at once (default: half the descriptor limit less 32; 0: none). */
  maxConnections?: number;
  /** Seconds `close()` lets requests in progress finish (default 5). */
  shutdownTimeout?: number;
  /**
   * Serve HTTP/2 too (default `true`): by ALPN `h2` over TLS, and to a cleartext connection that
   * opens with the HTTP/2 preface (prior knowledge). Each stream calls the handler.
   */
  http2?: boolean;
  /** HTTP/2's limits (`maxConcurrentStreams` 100, windows, header list size…), as `HTTPServer.http2Limits`. */
  http2Limits?: H2ConnectionOptions;
}

/** A server {@link serve} started. */
export interface FetchServer {
  /** Resolves with the server once it listens; rejects with the bind error. */
  ready(): Promise<FetchServer>;
  /** `http://localhost:<port>/` (or the address bound), once ready. */
  readonly url: string;
  /** The port bound, once ready. */
  readonly port: number;
  /** The address bound, once ready. */
  readonly address: { readonly hostname: string; readonly port: number; readonly transport: "tcp" };
  /**
   * Stops listening; idle connections close at once, requests in progress finish (for up to
   * `shutdownTimeout` seconds), or with `closeActiveConnections` every connection closes at once.
   */
  close(closeActiveConnections?: boolean): Promise<void>;
}

const seconds = (value: number | undefined, fallback: number): number | null => {
  const s = value ?? fallback;
  return s > 0 ? s * 1000 : null;
};

/** The fetch server. */
class Server implements FetchServer {
  readonly #options: ServeOptions;
  readonly #platform: Platform;
  readonly #limits: ChannelOptions;
  /** The connections: HTTP/1 channels and HTTP/2 sessions. */
  readonly #channels = new Set<Channel | H2Session>();
  readonly #ready: Promise<FetchServer>;
  readonly #maxConnections: number;
  readonly #scheme: string;
  #listener: Listener | null = null;
  #closing: Promise<void> | null = null;
  #drained: (() => void) | null = null;
  #address: Address = ["", 0];

  constructor(options: ServeOptions) {
    if (typeof options?.fetch !== "function") throw new TypeError("serve() needs a fetch handler: serve({ fetch(request) { … } })");
    this.#options = options;
    this.#platform = getPlatform();
    this.#scheme = options.tls === undefined ? "http" : "https";
    this.#limits = {
      headersTimeoutMs: seconds(options.headersTimeout, 60),
      keepAliveTimeoutMs: seconds(options.keepAliveTimeout, 5),
      requestTimeoutMs: seconds(options.requestTimeout, 60),
      sendTimeoutMs: seconds(options.sendTimeout, 60),
    };
    this.#maxConnections = options.maxConnections ?? defaultMaxConnections(this.#platform.descriptorLimit());
    this.#ready = this.#listen();
    this.#ready.catch(() => {});
    options.signal?.addEventListener("abort", () => void this.close(), { once: true });
  }

  async #listen(): Promise<FetchServer> {
    const options = this.#options;
    const platform = this.#platform;
    const port = Number(options.port ?? platform.getenv("PORT") ?? 3000);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port must be 0-65535, not ${String(options.port)}`);
    const listen: ListenOptions = {
      host: options.hostname ?? "",
      port,
      backlog: 1024,
      reusePort: options.reusePort ?? false,
      onAcceptError: () => {},
      tls: options.tls === undefined ? undefined : this.#tls(options.tls),
    };
    const listener = await platform.listen(listen, (socket) => this.#accept(socket));
    this.#listener = listener;
    this.#address = listener.address;
    if (options.onListen !== undefined) options.onListen(this.address);
    else if (options.silent !== true) platform.stdout(`Listening on ${this.url}\n`);
    return this;
  }

  #tls(tls: { cert: string; key: string; passphrase?: string }): TLSListenOptions {
    const fs = this.#platform.fs;
    const read = (pathOrPem: string) =>
      pathOrPem.includes("-----BEGIN") ? new TextEncoder().encode(pathOrPem) : fs.readFileSync(pathOrPem);
    const chain = loadCertChain(read, tls.cert, tls.key, tls.passphrase ?? null);
    return {
      ...chain,
      alpnProtocols: this.#options.http2 === false ? ["http/1.1"] : ["h2", "http/1.1"],
      handshakeTimeoutMs: 10_000,
      onHandshakeError: (address, error) => this.#log(address[0], `TLS handshake failed: ${error.message}`),
    };
  }

  ready(): Promise<FetchServer> {
    return this.#ready;
  }

  get address(): { hostname: string; port: number; transport: "tcp" } {
    return { hostname: this.#address[0], port: this.#address[1], transport: "tcp" };
  }

  get port(): number {
    return this.#address[1];
  }

  get url(): string {
    const [host, port] = this.#address;
    const name = host === "" || host === "::" || host === "0.0.0.0" ? "localhost" : host.includes(":") ? `[${host}]` : host;
    return `${this.#scheme}://${name}:${port}/`;
  }

  #log(host: string, message: string): void {
    this.#platform.stderr(`${host} - - [${formatLogDate(this.#platform.now() / 1000)}] ${escapeControlCharacters(message)}\n`);
  }

  #accept(socket: Socket): void {
    if (this.#closing !== null || socket.remoteAddress[0] === "") {
      socket.destroy();
      return;
    }
    if (this.#maxConnections > 0 && this.#channels.size >= this.#maxConnections) {
      socket.destroy();
      return;
    }
    const http2 = this.#options.http2 !== false;
    if (http2 && socket.alpnProtocol === "h2") return this.#http2(socket);
    // On cleartext, an HTTP/2 preface takes the connection from the channel (which sees it close).
    const wire = http2 && socket.alpnProtocol == null ? new PrefaceSniffer(socket, (h2) => this.#http2(h2)) : socket;
    const channel = new Channel(wire, this.#platform, this.#limits);
    this.#channels.add(channel);
    void this.#connection(channel).finally(() => {
      channel.close();
      this.#forget(channel);
    });
  }

  /** Serves an HTTP/2 connection: each stream's request goes to the handler. */
  #http2(socket: Socket): void {
    const limits = sessionLimits(this.#limits, this.#options.http2Limits ?? {});
    const session = new H2Session(socket, this.#platform, limits, (exchange) => {
      void this.#connection(exchange).finally(() => exchange.close());
    });
    this.#channels.add(session);
    void session.done.then(() => this.#forget(session));
  }

  #forget(connection: Channel | H2Session): void {
    this.#channels.delete(connection);
    if (this.#channels.size === 0) this.#drained?.();
  }

  /** Answers the requests of one connection, one after another. */
  async #connection(channel: ExchangeSource): Promise<void> {
    const prefix = `${this.#scheme}://`;
    for (;;) {
      let head: RequestEvent | ProtocolError | null;
      try {
        head = await channel.nextRequest();
      } catch {
        return;
      }
      if (head === null) return;
      if (head instanceof ProtocolError) return this.#refuse(channel, head);
      const keep = await this.#exchange(channel, head, prefix);
      if (!keep) return;
    }
  }

  /** Answers a request the protocol refused (400, 408, 414, 431, 501, 505), then closes. */
  #refuse(channel: ExchangeSource, error: ProtocolError): void {
    if (error.status === 0 || !channel.canRespond) return;
    const body = new TextEncoder().encode(`${error.status} ${error.message}\n`);
    const fields = ["content-type", "text/plain; charset=utf-8", "content-length", String(body.length), "connection", "close"];
    for (const [name, value] of error.fields) fields.push(name, value);
    channel.sendHead({ version: "HTTP/1.1", status: error.status, reason: error.message, fields, complete: true, keepAlive: false });
    channel.writeBodyNow(body);
    if (this.#options.logRequests === true) this.#log(channel.remoteAddress[0], `"${error.line.text}" ${error.status} -`);
  }

  /** Calls the handler for one request and writes its answer; whether the connection goes on. */
  async #exchange(channel: ExchangeSource, head: RequestEvent, prefix: string): Promise<boolean> {
    const platform = this.#platform;
    const [host, port] = channel.remoteAddress;
    let authority = "";
    const fields = head.fields;
    for (let i = 0; i < fields.length && authority === ""; i += 2)
      if (fields[i].length === 4 && fields[i].toLowerCase() === "host") authority = fields[i + 1];
    if (authority === "") authority = this.url.slice(prefix.length, -1);
    else if (!/^[\w.:[\]-]+$/.test(authority)) return this.#badHost(channel, head);
    const state: RequestState = { completed: false };
    const request = new FetchRequest(channel, head, prefix + authority, state);
    let completed: Promise<void> | null = null;
    const info: ServeHandlerInfo = {
      remoteAddr: { hostname: host, port, transport: "tcp" },
      get completed() {
        return (completed ??= new Promise<void>((resolve, reject) => {
          const settle = () => (state.completed ? resolve() : reject(new DOMException("the client went away", "AbortError")));
          if (channel.closed || state.completed) settle();
          else {
            state.onEnd = settle;
            channel.onClose(settle);
          }
        }));
      },
    };
    let response: Response;
    let logged = false;
    try {
      const result = this.#options.fetch(request as unknown as Request, info);
      response = isThenable(result) ? await result : result;
      if (!(response instanceof Response)) throw new TypeError(`the fetch handler returned ${describe(response)}, not a Response`);
    } catch (error) {
      if (error instanceof ProtocolError && channel.canRespond) {
        this.#refuse(channel, error);
        return false;
      }
      response = await this.#failed(error, head, host);
      logged = response.status === 500 && this.#options.onError === undefined && this.#options.error === undefined;
    }
    const keepAlive = requestKeepAlive(head.major, head.minor, head.connection, 1, 1);
    const ctx: Answering = { exchange: channel, head, keepAlive, platform, state };
    const upgrade = upgradeOf(response);
    if (upgrade !== undefined) {
      channel.sendHead({
        version: "HTTP/1.1",
        status: 101,
        reason: "Switching Protocols",
        fields: upgrade.fields,
        complete: true,
        keepAlive: false,
      });
      this.#logRequest(head, host, 101);
      upgrade.socket.accept(channel);
      await upgrade.socket.closed;
      return false;
    }
    const direct = directReply(response);
    let keep: boolean;
    try {
      keep = direct !== undefined ? await writeDirect(ctx, direct) : await writeResponse(ctx, response);
    } catch (error) {
      // A head the connection refused (a status out of range …): nothing was sent yet.
      if (!channel.canRespond) throw error;
      keep = await writeResponse(ctx, await this.#failed(error, head, host));
    }
    if (!logged && this.#options.logRequests === true) this.#logRequest(head, host, direct?.status ?? response.status);
    return keep;
  }

  /** A `Host` that cannot be part of a URL: 400 before the handler, as srvx. */
  #badHost(channel: ExchangeSource, head: RequestEvent): boolean {
    this.#refuse(
      channel,
      new ProtocolError(400, "BAD_HOST", "Bad Request", "The Host field is not a valid host.", {
        text: head.requestline,
        method: head.method,
        version: head.version,
      }),
    );
    return false;
  }

  #logRequest(head: RequestEvent, host: string, status: number): void {
    if (this.#options.logRequests === true) this.#log(host, `"${head.requestline}" ${status} -`);
  }

  /** The answer when the handler failed: `onError`'s, else 500 with an empty body, logged once. */
  async #failed(error: unknown, head: RequestEvent, host: string): Promise<Response> {
    const onError = this.#options.onError ?? this.#options.error;
    if (onError !== undefined) {
      try {
        const answer = await onError(error);
        if (answer instanceof Response) return answer;
      } catch (failure) {
        error = failure;
      }
    }
    const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    this.#log(host, `"${head.requestline}" 500 - fetch handler failed: ${what.replace(/\s+/g, " ")}`);
    return new Response(null, { status: 500 });
  }

  close(closeActiveConnections = false): Promise<void> {
    this.#closing ??= this.#close(closeActiveConnections);
    if (closeActiveConnections) for (const channel of this.#channels) channel.abort();
    return this.#closing;
  }

  async #close(closeActiveConnections: boolean): Promise<void> {
    await this.#ready.catch(() => {});
    const listener = this.#listener;
    this.#listener = null;
    for (const channel of this.#channels) {
      if (closeActiveConnections) channel.abort();
      else channel.stopWhenIdle();
    }
    await listener?.close();
    if (this.#channels.size === 0) return;
    await new Promise<void>((resolve) => {
      const timer = this.#platform.setTimer(Math.max(0, this.#options.shutdownTimeout ?? 5) * 1000, resolve);
      this.#drained = () => {
        timer.cancel();
        resolve();
      };
    });
    for (const channel of this.#channels) channel.abort();
  }
}

function isThenable(value: unknown): value is PromiseLike<Response> {
  return value !== null && typeof value === "object" && typeof (value as { then?: unknown }).then === "function";
}

function describe(value: unknown): string {
  return value === null ? "null" : typeof value === "object" ? `an object (${Object.prototype.toString.call(value)})` : typeof value;
}

/**
 * Starts a server answering each request with `options.fetch` (srvx's `serve`): on our HTTP/1
 * core, over the platform's sockets (`node:net`, `Bun.listen`, `Deno.listen`), with the time
 * limits and connection cap of the Python servers. The request is a standard `Request` (its URL
 * from `Host` or the bound address, its body a stream read from the socket as it is consumed,
 * `100 Continue` sent only then, its `signal` aborted if the client goes away before the response
 * is complete); the response is written as HTTP/1.1 frames it (see `writeResponse`).
 * `upgradeWebSocket(request)` and `serveDir(request)` work inside it.
 * @throws {TypeError} without a `fetch` function.
 */
export function serve(options: ServeOptions): FetchServer {
  return new Server(options);
}
