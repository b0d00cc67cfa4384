/**
 * `--workers` and `serveWorkers` on Deno: worker threads (Web Workers), which inherit the
 * permissions and configuration of the program, each with its own listener on the shared port
 * (`Deno.listen`'s `reusePort`, which needs `--unstable-net`). A worker runs `worker.ts` (the
 * `httpserver` command) or the program's main module again; its name tells it what it is. What it
 * writes to its standard streams, and its exit code, come back as messages; stopping it is a
 * message too (signals reach only the main thread).
 * @module
 */
import type { Platform, ServerWorker, WorkerInfo } from "@httpserver/core/platform";

/** A message from a worker thread. */
type WorkerMessage = { type: "output"; stream: "stdout" | "stderr"; text: string } | { type: "exit"; code: number };

/** What a worker thread is told, in its name after {@link NAME_PREFIX}. */
interface WorkerName {
  info: WorkerInfo;
  /** The command line of `httpserver`, or `null` for the program itself. */
  argv: string[] | null;
}

const NAME_PREFIX = "httpserver-worker ";

function spawnWorker(info: WorkerInfo, argv: readonly string[] | null): ServerWorker {
  // Without --unstable-net, Deno.listen({ reusePort }) in a worker would end the process (exit 70).
  if (typeof (Deno as unknown as { listenDatagram?: unknown }).listenDatagram !== "function") {
    throw new Error("--workers needs Deno's --unstable-net flag (for Deno.listen's reusePort): run again with deno run --unstable-net …");
  }
  const module = argv === null ? Deno.mainModule : new URL("./worker.ts", import.meta.url).href;
  const name: WorkerName = { info, argv: argv === null ? null : [...argv] };
  const worker = new Worker(module, { type: "module", name: NAME_PREFIX + JSON.stringify(name) });
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

/** This thread's {@link WorkerName} when it is a worker thread started by {@link spawnWorker}. */
function workerName(): WorkerName | null {
  const name = (globalThis as { name?: unknown }).name;
  const inWorker = typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined";
  if (!inWorker || typeof name !== "string" || !name.startsWith(NAME_PREFIX)) return null;
  return JSON.parse(name.slice(NAME_PREFIX.length)) as WorkerName;
}

/** The command line of this worker thread when it runs `httpserver` (`worker.ts`). */
export function workerArgv(): string[] {
  return workerName()?.argv ?? [];
}

/**
 * The workers part of the Deno platform: in the main thread, starting worker threads; in a worker
 * thread, its standard streams, signals and end, which replace the process's.
 */
export function threadWorkers(): Partial<Platform> & Pick<Platform, "cpuCount" | "worker"> {
  const cpuCount = () => navigator.hardwareConcurrency;
  const name = workerName();
  if (name === null) return { cpuCount, worker: null, spawnWorker };
  const scope = globalThis as unknown as { postMessage(message: WorkerMessage): void; onmessage: ((event: MessageEvent) => void) | null };
  let stop: (() => void) | null = null;
  scope.onmessage = (event) => {
    if (event.data === "stop") stop?.();
  };
  return {
    cpuCount,
    worker: name.info,
    stdout: (text) => scope.postMessage({ type: "output", stream: "stdout", text }),
    stderr: (text) => scope.postMessage({ type: "output", stream: "stderr", text }),
    // SIGTERM is the main thread's "stop"; SIGINT reaches the main thread only.
    onSignal: (signal, handler) => {
      if (signal === "SIGTERM") stop = handler;
    },
    endWorker: (code) => scope.postMessage({ type: "exit", code }),
  };
}
