/**
 * `--workers` and `serveWorkers` on Node and Bun: worker processes started with `node:cluster`,
 * which runs the same program again. Each worker listens on the port the primary chose: with SO_REUSEPORT where the
 * runtime has it (Bun, Node ≥ 22.12: the kernel spreads connections), else on the handle
 * node:cluster shares from the primary (round-robin). Their output comes back through pipes and is
 * passed on in whole lines. Bun implements node:cluster too, so its adapter reuses this module
 * (`@httpserver/node/workers`).
 * @module
 */
import cluster from "node:cluster";
import { availableParallelism } from "node:os";
import type { Platform, ServerWorker, WorkerInfo } from "@httpserver/core/platform";

/** Environment variable carrying a worker's {@link WorkerInfo} (JSON). */
const WORKER_ENV = "HTTPSERVER_WORKER";

/** True where `net.Server.listen` takes `reusePort` (Node ≥ 22.12, 23.1; every Bun). */
export function hasReusePort(): boolean {
  if (process.versions.bun !== undefined) return true;
  const [major, minor] = process.versions.node.split(".").map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

/** This process's worker info when node:cluster started it as a worker, else `null`. */
function workerInfo(): WorkerInfo | null {
  const text = cluster.isWorker ? process.env[WORKER_ENV] : undefined;
  return text === undefined ? null : (JSON.parse(text) as WorkerInfo);
}

/**
 * This process's command-line arguments (`process.argv.slice(2)`). A node:cluster worker of a
 * `bun build --compile` binary is run as `<binary> <entry> <args>`, and the binary puts its entry
 * in `argv[1]` itself as well: there the repeated entry is dropped.
 */
export function commandArgs(): string[] {
  const args = process.argv.slice(2);
  return cluster.isWorker && args[0] === process.argv[1] ? args.slice(1) : args;
}

/** Calls `emit` with the whole lines of `stream`'s text as they complete (the rest at its end). */
function wholeLines(stream: NodeJS.ReadableStream, emit: (text: string) => void): void {
  let rest = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    const text = rest + chunk;
    const end = text.lastIndexOf("\n") + 1;
    rest = text.slice(end);
    if (end > 0) emit(text.slice(0, end));
  });
  stream.on("end", () => {
    if (rest !== "") emit(rest);
    rest = "";
  });
}

function spawnWorker(info: WorkerInfo, argv: readonly string[] | null): ServerWorker {
  // The same script and runtime options; the worker's standard streams are pipes to this process.
  cluster.setupPrimary({ silent: true, args: argv === null ? process.argv.slice(2) : [...argv] });
  const worker = cluster.fork({ [WORKER_ENV]: JSON.stringify(info) });
  const listeners: ((stream: "stdout" | "stderr", text: string) => void)[] = [];
  const child = worker.process;
  for (const stream of ["stdout", "stderr"] as const) {
    const source = child[stream];
    if (source !== null) wholeLines(source, (text) => listeners.forEach((listener) => listener(stream, text)));
  }
  const exited = new Promise<number | null>((resolve) => worker.once("exit", (code: number | null) => resolve(code)));
  return {
    onOutput: (listener) => void listeners.push(listener),
    exited,
    stop: () => void child.kill("SIGTERM"),
    kill: () => void child.kill("SIGKILL"),
  };
}

/** The workers part of a {@link Platform} on node:cluster. */
export const clusterWorkers: Pick<Platform, "cpuCount" | "worker" | "spawnWorker" | "endWorker"> = {
  cpuCount: () => availableParallelism(),
  worker: workerInfo(),
  spawnWorker,
  endWorker: (code) => process.exit(code),
};
