/**
 * A `Response` made only when somebody looks at it. `serveDir` answers our own `serve` with one:
 * the server writes the answer it stands for (status, fields, bytes) without a `Response` ever
 * being made — on Node, making one costs more than the rest of a small file's request — while a
 * handler that reads or changes it gets the runtime's own `Response`, and then that is what the
 * server sends.
 * @module
 */

/** A `Response` that passes `instanceof Response` and makes the real one on first use. */
export class LazyResponse {
  readonly #make: () => Response;
  readonly #onMade: () => void;
  #real: Response | null = null;

  /**
   * @param make makes the real `Response`.
   * @param onMade called when it was made (what the server had of it no longer holds).
   */
  constructor(make: () => Response, onMade: () => void) {
    this.#make = make;
    this.#onMade = onMade;
  }

  /** The real `Response`, made once. */
  get real(): Response {
    if (this.#real === null) {
      this.#real = this.#make();
      this.#onMade();
    }
    return this.#real;
  }

  static {
    // Every property of Response's, answered by the real one.
    for (const name of Object.getOwnPropertyNames(Response.prototype)) {
      if (name === "constructor") continue;
      const descriptor = Object.getOwnPropertyDescriptor(Response.prototype, name)!;
      if (typeof descriptor.value === "function") {
        Object.defineProperty(LazyResponse.prototype, name, {
          value(this: LazyResponse, ...args: unknown[]) {
            return (this.real as unknown as Record<string, (...a: unknown[]) => unknown>)[name](...args);
          },
          writable: true,
          configurable: true,
        });
      } else if (descriptor.get !== undefined) {
        Object.defineProperty(LazyResponse.prototype, name, {
          get(this: LazyResponse) {
            return (this.real as unknown as Record<string, unknown>)[name];
          },
          configurable: true,
        });
      }
    }
    Object.setPrototypeOf(LazyResponse.prototype, Response.prototype);
  }
}
