/**
 * `--workers` on Deno: worker threads (Web Workers), which inherit the permissions and
 * configuration of the command, each running it with its own listener on the shared port
 * (`Deno.listen`'s `reusePort`, which needs `--unstable-net`). What a worker writes to its
 * standard streams, and its exit code, come back as messages; stopping it is a message too
 * (signals reach only the main thread).
 * @module
 */
import type { Platform, ServerWorker, WorkerInfo } from "@httpserver/core/platform";

/** A message from a worker thread. */
export type WorkerMessage = { type: "output"; stream: "stdout" | "stderr"; text: string } | { type: "exit"; code: number };

function spawnWorker(info: WorkerInfo, argv: readonly string[]): ServerWorker {
  const worker = new Worker(new URL("./worker.ts", import.meta.url).href, { type: "module" });
  const listeners: ((stream: "stdout" | "stderr", text: string) => void)[] = [];
  let settle: (code: number | null) => void = () => {};
  const exited = new Promise<number | null>((resolve) => (settle = resolve));
  worker.onmessage = (event: MessageEvent<WorkerMessage>) => {
    const message = event.data;
    if (message.type === "output") for (const listener of listeners) listener(message.stream, message.text);
    else {
      worker.terminate();
      settle(message.code);
    }
  };
  worker.onerror = (event) => {
    // An exception nothing caught: the worker is done for.
    event.preventDefault();
    for (const listener of listeners) listener("stderr", `${event.message}\n`);
    worker.terminate();
    settle(1);
  };
  worker.postMessage({ info, argv: [...argv] });
  return {
    onOutput: (listener) => void listeners.push(listener),
    exited,
    stop: () => worker.postMessage("stop"),
    kill: () => {
      worker.terminate();
      settle(null);
    },
  };
}

/** The workers part of the Deno platform, in the main thread. */
export const threadWorkers: Pick<Platform, "cpuCount" | "worker" | "spawnWorker"> = {
  cpuCount: () => navigator.hardwareConcurrency,
  worker: null,
  spawnWorker,
};
