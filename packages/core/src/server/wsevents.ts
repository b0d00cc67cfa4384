/**
 * The event side of the server's WebSocket (WHATWG HTML's `WebSocket` events): `CloseEvent`
 * where the runtime has none, `addEventListener` whose listeners cannot end the process, and the
 * `onopen`/`onmessage`/`onerror`/`onclose` attributes.
 * @module
 */

import type { ServerWebSocket } from "./websocket.ts";

const globals = globalThis as unknown as {
  CloseEvent?: new (type: string, init: { code: number; reason: string; wasClean: boolean }) => Event;
};

/** The `close` event (WHATWG HTML's `CloseEvent`), for runtimes without a global one (Node < 23). */
class CloseEventPolyfill extends Event {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
  constructor(type: string, init: { code: number; reason: string; wasClean: boolean }) {
    super(type);
    this.code = init.code;
    this.reason = init.reason;
    this.wasClean = init.wasClean;
  }
}

/** The runtime's `CloseEvent`, or ours where it has none. */
export const CloseEventClass: new (type: string, init: { code: number; reason: string; wasClean: boolean }) => Event =
  globals.CloseEvent ?? CloseEventPolyfill;

/** A listener of {@link ServerWebSocket}'s events: a function, or an object with `handleEvent` (the DOM's `EventListenerOrEventListenerObject`). */
export type WebSocketListener =
  | ((event: Event) => void)
  | {
      /** Called with each event. */
      handleEvent(event: Event): void;
    };

/** The options of `addEventListener` (the DOM's `AddEventListenerOptions`). */
export interface WebSocketListenerOptions {
  capture?: boolean;
  once?: boolean;
  passive?: boolean;
  signal?: AbortSignal;
}

/** The `close` event's fields (WHATWG HTML's `CloseEvent`). */
export interface WebSocketCloseEvent extends Event {
  /** The close code the peer sent (1005 when none), or 1006 when the connection ended without one. */
  readonly code: number;
  readonly reason: string;
  /** The closing handshake completed. */
  readonly wasClean: boolean;
}

type Listener = WebSocketListener;
type Wrapped = (event: Event) => void;

/**
 * An `EventTarget` with the WebSocket's event attributes; an exception thrown by a listener goes
 * to `reportError` instead of the runtime's uncaught-exception handling.
 */
export class WebSocketEventTarget extends EventTarget {
  readonly #handlers = new Map<string, Listener | null>();
  readonly #wrapped = new WeakMap<object, Map<string, Wrapped>>();
  /** Logs an exception thrown by a listener (or another fault of the connection). */
  protected readonly reportError: (error: unknown) => void;

  /** @param reportError logs an exception thrown by a listener. */
  constructor(reportError: (error: unknown) => void) {
    super();
    this.reportError = reportError;
  }

  /**
   * Adds a listener (EventTarget's); an exception it throws is logged, and the connection goes
   * on (a runtime would otherwise report it as uncaught and may end the process).
   */
  override addEventListener(type: string, listener: Listener | null, options?: WebSocketListenerOptions | boolean): void {
    if (listener === null) return;
    const capture = typeof options === "boolean" ? options : (options?.capture ?? false);
    let byType = this.#wrapped.get(listener);
    if (byType === undefined) this.#wrapped.set(listener, (byType = new Map<string, Wrapped>()));
    const key = `${type}:${capture}`;
    let wrapper = byType.get(key);
    if (wrapper === undefined) {
      wrapper = (event: Event) => {
        try {
          if (typeof listener === "function") listener.call(this, event);
          else listener.handleEvent(event);
        } catch (error) {
          this.reportError(error);
        }
      };
      byType.set(key, wrapper);
    }
    super.addEventListener(type, wrapper, options);
  }

  /** Removes a listener added with {@link addEventListener}. */
  override removeEventListener(type: string, listener: Listener | null, options?: { capture?: boolean } | boolean): void {
    if (listener === null) return;
    const capture = typeof options === "boolean" ? options : (options?.capture ?? false);
    const wrapper = this.#wrapped.get(listener)?.get(`${type}:${capture}`);
    if (wrapper !== undefined) super.removeEventListener(type, wrapper, options);
  }

  #handler(type: string): Listener | null {
    return this.#handlers.get(type) ?? null;
  }

  #setHandler(type: string, handler: unknown): void {
    if (!this.#handlers.has(type)) {
      this.addEventListener(type, (event: Event) => {
        const current = this.#handlers.get(type);
        if (typeof current === "function") current.call(this, event);
      });
    }
    this.#handlers.set(type, typeof handler === "function" ? (handler as Listener) : null);
  }

  /** The `open` event handler. */
  get onopen(): ((this: ServerWebSocket, event: Event) => void) | null {
    return this.#handler("open") as never;
  }
  /** Sets the `open` event handler (`null` removes it). */
  set onopen(handler: ((this: ServerWebSocket, event: Event) => void) | null) {
    this.#setHandler("open", handler);
  }
  /** The `message` event handler (a `MessageEvent`: `data` is a string, `Blob` or `ArrayBuffer`). */
  get onmessage(): ((this: ServerWebSocket, event: MessageEvent) => void) | null {
    return this.#handler("message") as never;
  }
  /** Sets the `message` event handler (`null` removes it). */
  set onmessage(handler: ((this: ServerWebSocket, event: MessageEvent) => void) | null) {
    this.#setHandler("message", handler);
  }
  /** The `error` event handler (the connection failed: a protocol error, a dropped client). */
  get onerror(): ((this: ServerWebSocket, event: Event) => void) | null {
    return this.#handler("error") as never;
  }
  /** Sets the `error` event handler (`null` removes it). */
  set onerror(handler: ((this: ServerWebSocket, event: Event) => void) | null) {
    this.#setHandler("error", handler);
  }
  /** The `close` event handler (a `CloseEvent`: `code`, `reason`, `wasClean`). */
  get onclose(): ((this: ServerWebSocket, event: WebSocketCloseEvent) => void) | null {
    return this.#handler("close") as never;
  }
  /** Sets the `close` event handler (`null` removes it). */
  set onclose(handler: ((this: ServerWebSocket, event: WebSocketCloseEvent) => void) | null) {
    this.#setHandler("close", handler);
  }
}
