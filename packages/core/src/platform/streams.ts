/**
 * Helpers for adapters: a WHATWG `ReadableStream` (what `Bun.spawn` and `Deno.Command` give for a
 * process's output) as the `AsyncIterable` the platform interfaces use. Runtime-independent: it
 * relies only on the stream's reader, described structurally.
 * @module
 */

/** The part of a WHATWG `ReadableStreamDefaultReader` that {@link readableChunks} uses. */
export interface ChunkReader {
  /** The next chunk, or `done` at the end of the stream. */
  read(): Promise<{ done: boolean; value?: Uint8Array }>;
  /** Stops the stream: nothing more is read from its source. */
  cancel(reason?: unknown): Promise<void>;
  /** Gives the stream back (after the end). */
  releaseLock(): void;
}

/**
 * Iterates the chunks of a byte stream (`ReadableStream<Uint8Array>`). Leaving the loop early
 * (`break`, `return`, an exception) cancels the stream at once, even while a read is pending, so
 * that nothing keeps reading a pipe nobody wants any more.
 * @param stream anything with `getReader()`, e.g. `Bun.spawn(…).stdout` or `child.stdout` of a
 *   `Deno.ChildProcess`.
 */
export function readableChunks(stream: { getReader(): ChunkReader }): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
      const reader = stream.getReader();
      let finished = false;
      const finish = async (): Promise<IteratorResult<Uint8Array>> => {
        if (!finished) {
          finished = true;
          await reader.cancel().catch(() => {});
        }
        return { done: true, value: undefined };
      };
      return {
        async next(): Promise<IteratorResult<Uint8Array>> {
          if (finished) return { done: true, value: undefined };
          const { done, value } = await reader.read();
          if (done || value === undefined) {
            finished = true;
            reader.releaseLock();
            return { done: true, value: undefined };
          }
          return { done: false, value };
        },
        return: finish,
        throw: finish,
      };
    },
  };
}
