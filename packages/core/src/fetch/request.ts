/**
 * The `Request` a fetch handler gets, built lazily over one exchange (as @hono/node-server's
 * lightweight request is): the method comes from the parsed head; the URL, the `Headers`, the
 * body stream and the abort signal are made only when read; a whole `Request` of the runtime's
 * only when something else is asked of it (`clone()`, `formData()`, `cache` …). It passes
 * `instanceof Request`.
 * @module
 */

import { concatBytes, utf8Decode } from "../http/chars.ts";
import type { RequestEvent } from "../http/events.ts";
import type { Exchange } from "../server/exchange.ts";

const EMPTY = new Uint8Array(0);

/** What a request shares with the code answering it: whether the response went out whole. */
export interface RequestState {
  /** Set once the response was written to the end (then the signal no longer fires). */
  completed: boolean;
  /** Called once when the response was written to the end. */
  onEnd?: () => void;
}

/** The properties of `Request` answered by a whole `Request` of the runtime, made on demand. */
const DELEGATED = [
  "cache",
  "credentials",
  "destination",
  "integrity",
  "keepalive",
  "mode",
  "redirect",
  "referrer",
  "referrerPolicy",
  "duplex",
] as const;

/**
 * A request as the Fetch standard's `Request`, over an {@link Exchange}. The body is read from
 * the connection as it is consumed (`100 Continue` is sent then, if the client waits for it,
 * never before); `signal` aborts when the client goes away before the response is complete.
 */
export class FetchRequest {
  readonly #exchange: Exchange;
  readonly #head: RequestEvent;
  readonly #base: string;
  readonly #state: RequestState;
  #url: string | null = null;
  #headers: Headers | null = null;
  #body: ReadableStream<Uint8Array> | null | undefined = undefined;
  #used = false;
  #controller: AbortController | null = null;
  #real: Request | null = null;
  #continued = false;

  /**
   * @param base the origin the URL starts with (`http://host:port`, from `Host` or the bound address).
   */
  constructor(exchange: Exchange, head: RequestEvent, base: string, state: RequestState) {
    this.#exchange = exchange;
    this.#head = head;
    this.#base = base;
    this.#state = state;
  }

  /** The exchange and request head behind `request`, when it is one of ours (for `upgradeWebSocket`). */
  static sourceOf(request: unknown): { exchange: Exchange; head: RequestEvent } | undefined {
    if (typeof request !== "object" || request === null || !(#head in request)) return undefined;
    const ours = request;
    return { exchange: ours.#exchange, head: ours.#head };
  }

  /** The request method, as sent. */
  get method(): string {
    return this.#head.method;
  }

  /** The absolute URL: the origin, then the request-target (an absolute-form target as it is). */
  get url(): string {
    if (this.#url === null) {
      const target = this.#head.target;
      this.#url = target.startsWith("/") ? this.#base + target : /^https?:\/\//i.test(target) ? target : this.#base + "/";
    }
    return this.#url;
  }

  /** The request's fields (a repeated field keeps each value, in order). */
  get headers(): Headers {
    if (this.#headers === null) {
      const headers = new Headers();
      const fields = this.#head.fields;
      for (let i = 0; i < fields.length; i += 2) headers.append(fields[i], fields[i + 1]);
      this.#headers = headers;
    }
    return this.#headers;
  }

  /** The client's address (srvx's `request.ip`). */
  get ip(): string {
    return this.#exchange.remoteAddress[0];
  }

  /** True when the request has a body (its framing says so). */
  get #hasBody(): boolean {
    return this.#head.bodyKind !== "none";
  }

  /**
   * The body as a stream that pulls from the connection (backpressure: nothing is read ahead of
   * the reader), or `null` when there is none.
   */
  get body(): ReadableStream<Uint8Array> | null {
    if (this.#real !== null) return this.#real.body;
    if (this.#body === undefined) {
      this.#body = !this.#hasBody
        ? null
        : new ReadableStream<Uint8Array>(
            {
              pull: async (controller) => {
                const chunk = await this.#next();
                if (chunk === null) controller.close();
                else controller.enqueue(chunk);
              },
            },
            { highWaterMark: 0 },
          );
    }
    return this.#body;
  }

  /** True once the body was read (or its stream taken). */
  get bodyUsed(): boolean {
    return this.#real !== null ? this.#real.bodyUsed : this.#used || (this.#body?.locked ?? false);
  }

  /**
   * Aborted when the client goes away before the response was written to the end (never after a
   * normal completion); an abort that happened before it was read is replayed.
   */
  get signal(): AbortSignal {
    if (this.#controller === null) {
      const controller = (this.#controller = new AbortController());
      const state = this.#state;
      const abort = () => {
        if (!state.completed) controller.abort(new DOMException("the client went away", "AbortError"));
      };
      if (this.#exchange.closed) abort();
      else this.#exchange.onClose(abort);
    }
    return this.#controller.signal;
  }

  /** The next piece of the body (a copy), `null` at its end; the first call sends `100 Continue` when due. */
  async #next(): Promise<Uint8Array | null> {
    const exchange = this.#exchange;
    if (!this.#continued) {
      this.#continued = true;
      if (this.#head.expectContinue && exchange.canRespond) {
        exchange.sendHead({ version: "HTTP/1.1", status: 100, reason: "Continue", fields: [], complete: true, keepAlive: true });
      }
    }
    if (!exchange.readingBody) return null;
    const event = await exchange.nextBodyEvent();
    switch (event.type) {
      case "data":
        return new Uint8Array(event.data);
      case "error":
        throw event.error;
      default:
        return null;
    }
  }

  /** The whole body's bytes. */
  async #all(): Promise<Uint8Array> {
    if (this.#real !== null) return new Uint8Array(await this.#real.arrayBuffer());
    if (this.bodyUsed) throw new TypeError("the body has already been read");
    this.#used = true;
    if (!this.#hasBody) return EMPTY;
    const parts: Uint8Array[] = [];
    for (let chunk = await this.#next(); chunk !== null; chunk = await this.#next()) parts.push(chunk);
    return parts.length === 1 ? parts[0] : concatBytes(parts);
  }

  /** The body as an `ArrayBuffer`. */
  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = await this.#all();
    return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? (bytes.buffer as ArrayBuffer) : bytes.slice().buffer;
  }

  /** The body's bytes. */
  async bytes(): Promise<Uint8Array> {
    return this.#all();
  }

  /** The body as UTF-8 text (invalid sequences become U+FFFD). */
  async text(): Promise<string> {
    return utf8Decode(await this.#all());
  }

  /** The body parsed as JSON. */
  async json(): Promise<unknown> {
    return JSON.parse(await this.text()) as unknown;
  }

  /** The body as a `Blob` typed by `Content-Type`. */
  async blob(): Promise<Blob> {
    const bytes = await this.#all();
    return new Blob([bytes as Uint8Array<ArrayBuffer>], { type: this.headers.get("content-type") ?? "" });
  }

  /** The body parsed as form data (the runtime's `Request.formData`). */
  async formData(): Promise<FormData> {
    return this.#toRequest().formData();
  }

  /** A copy (the runtime's `Request.clone`, the body teed). */
  clone(): Request {
    return this.#toRequest().clone();
  }

  /** The runtime's own `Request` for this one, made once; its body is this one's stream. */
  #toRequest(): Request {
    if (this.#real === null) {
      const body = this.body;
      this.#real = new Request(this.url, {
        method: this.method,
        headers: this.headers,
        body,
        signal: this.signal,
        ...(body === null ? {} : { duplex: "half" }),
      });
    }
    return this.#real;
  }

  static {
    for (const name of DELEGATED) {
      Object.defineProperty(FetchRequest.prototype, name, {
        get(this: FetchRequest) {
          return (this.#toRequest() as unknown as Record<string, unknown>)[name];
        },
        enumerable: true,
        configurable: true,
      });
    }
    // `request instanceof Request` holds: every property of Request's is answered above.
    Object.setPrototypeOf(FetchRequest.prototype, Request.prototype);
  }
}

/** The exchange and request head behind `request`, when it is one of ours. */
export const exchangeOf: (request: unknown) => { exchange: Exchange; head: RequestEvent } | undefined = (request) =>
  FetchRequest.sourceOf(request);
