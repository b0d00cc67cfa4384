/**
 * `httpserver --workers N`: the instance the user started (the primary) runs N workers — the same
 * command, each with its own server on the same port (SO_REUSEPORT, or node:cluster's round-robin
 * where the runtime has no `reusePort`) — and does nothing else but look after them:
 *
 * - one startup line (each worker prints one; the first is shown once every worker is up, so that
 *   whoever waits for it finds the port fully served), every log line whole;
 * - a worker that dies is logged and started again after a back-off (1 s, doubling to 30 s, back
 *   to 1 s once a worker has run for a minute); if the first workers cannot start (the port is
 *   taken …), their error is shown and the command exits with their code;
 * - Ctrl-C or SIGTERM stops every worker as SIGTERM stops one server (requests in progress get
 *   `--shutdown-timeout` seconds), then exits 0; a second signal ends them at once.
 * @module
 */

import { getPlatform, type Platform, type ServerWorker, type WorkerInfo } from "./platform/types.ts";
import { formatLogDate } from "./python/dates.ts";
import { HTTPSServer } from "./server/https.ts";
import type { HTTPServer } from "./server/server.ts";

/** What the primary needs to know. */
export interface WorkerPlan {
  /** How many workers. */
  count: number;
  /** The port they share (resolved already when 0 was asked). */
  port: number;
  /** Seconds a worker gets to finish requests in progress when stopping. */
  shutdownTimeout: number;
}

/** Restart back-off: first, largest, and how long a worker must run for it to start over. */
const BACKOFF_FIRST_MS = 1000;
const BACKOFF_MAX_MS = 30_000;
const BACKOFF_RESET_MS = 60_000;

/** One worker slot: the running worker (or `null` while it waits to restart) and its history. */
interface Slot {
  index: number;
  worker: ServerWorker | null;
  startedAt: number;
  ready: boolean;
  /** Standard error of a worker not ready yet: shown once it is, or if it is the first to fail. */
  held: string;
  backoffMs: number;
  restart: { cancel(): void } | null;
}

/**
 * Runs `plan.count` workers until Ctrl-C or SIGTERM: the `httpserver` command with `argv` (the
 * command line the user gave), or with `argv` `null` this program again (see {@link serveWorkers}).
 * Resolves with the exit code: 0, or the code of the workers that could not start.
 * @throws Error when the platform cannot start workers.
 */
export function runWorkers(platform: Platform, argv: readonly string[] | null, plan: WorkerPlan): Promise<number> {
  const spawn = platform.spawnWorker?.bind(platform);
  if (spawn === undefined) throw new Error(`--workers is not supported on ${platform.name}`);
  const log = (message: string) => platform.stderr(`- - - [${formatLogDate(platform.now() / 1000)}] ${message}\n`);

  return new Promise<number>((resolve) => {
    const slots: Slot[] = [];
    /** The startup line, held until every worker has printed its own; `null` once shown. */
    let startup: string | null = "";
    let everReady = false;
    let stopping = false;
    let exitCode = 0;
    let deadline: { cancel(): void } | null = null;

    const finishIfDone = () => {
      if (stopping && slots.every((slot) => slot.worker === null)) {
        deadline?.cancel();
        resolve(exitCode);
      }
    };

    const stopAll = (code: number) => {
      if (stopping) return;
      stopping = true;
      exitCode = code;
      for (const slot of slots) {
        slot.restart?.cancel();
        slot.restart = null;
        slot.worker?.stop();
      }
      // Workers get their shutdown time, and a little more to exit.
      deadline = platform.setTimer((plan.shutdownTimeout + 2) * 1000, () => {
        for (const slot of slots) slot.worker?.kill();
      });
      finishIfDone();
    };

    const start = (slot: Slot) => {
      slot.restart = null;
      slot.ready = false;
      slot.held = "";
      slot.startedAt = platform.now();
      const worker = spawn({ index: slot.index, port: plan.port }, argv);
      slot.worker = worker;
      worker.onOutput((stream, text) => {
        if (stream === "stderr") {
          // Until a worker is up, its errors are held: when the command cannot start, every
          // worker says the same, and the user reads it once.
          if (slot.ready) platform.stderr(text);
          else slot.held += text;
          return;
        }
        let shown = "";
        for (const line of text.split(/(?<=\n)/)) {
          if (!line.startsWith("Serving ")) {
            shown += line;
            continue;
          }
          slot.ready = everReady = true;
          if (startup === "") startup = line;
          if (startup !== null && slots.every((s) => s.ready)) {
            shown += startup;
            startup = null;
          }
        }
        if (shown !== "") platform.stdout(shown);
        if (slot.ready && slot.held !== "") {
          platform.stderr(slot.held);
          slot.held = "";
        }
      });
      void worker.exited.then((code) => {
        slot.worker = null;
        if (stopping) return finishIfDone();
        if (slot.held !== "") platform.stderr(slot.held);
        slot.held = "";
        if (!slot.ready && !everReady) {
          // The command cannot start (its error was just shown): stop the others, exit with it.
          stopAll(code ?? 1);
          return;
        }
        if (platform.now() - slot.startedAt >= BACKOFF_RESET_MS) slot.backoffMs = BACKOFF_FIRST_MS;
        log(
          `worker ${slot.index} exited (${code === null ? "killed by a signal" : `code ${code}`}); restarting in ${slot.backoffMs / 1000} s`,
        );
        slot.restart = platform.setTimer(slot.backoffMs, () => start(slot));
        slot.backoffMs = Math.min(slot.backoffMs * 2, BACKOFF_MAX_MS);
      });
    };

    let signals = 0;
    const onSignal = (message: string) => {
      if (++signals > 1) {
        // A second signal while requests are still finishing: end them now.
        for (const slot of slots) slot.worker?.kill();
        resolve(0);
        return;
      }
      if (message !== "") platform.stdout(message);
      stopAll(0);
    };
    platform.onSignal("SIGINT", () => onSignal("\nKeyboard interrupt received, exiting.\n"));
    platform.onSignal("SIGTERM", () => onSignal(""));

    for (let index = 1; index <= plan.count; index++) {
      const slot: Slot = { index, worker: null, startedAt: 0, ready: false, held: "", backoffMs: BACKOFF_FIRST_MS, restart: null };
      slots.push(slot);
      start(slot);
    }
  });
}

/**
 * Serves with `httpd` (bound already: its `ready` resolved) until Ctrl-C or SIGTERM, as the
 * `httpserver` command does: prints `Serving HTTP on <host> port <port> (http://<host>:<port>/) ...`
 * (`HTTPS` for an {@link HTTPSServer}), and on the signal stops accepting and lets requests in
 * progress finish for up to `httpd.shutdownTimeout` seconds (a second signal ends it at once; Ctrl-C
 * first prints `Keyboard interrupt received, exiting.`). In a worker, Ctrl-C is left to the
 * instance that started it, which stops its workers as SIGTERM does.
 * @param onError called when serving fails (the result is then 1).
 * @returns 0 once stopped, 1 if `serveForever` failed.
 */
export function serveUntilStopped(platform: Platform, httpd: HTTPServer, onError: (error: unknown) => void): Promise<number> {
  const [host, port] = httpd.serverAddress;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  const scheme = httpd instanceof HTTPSServer ? "HTTPS" : "HTTP";
  const inWorker = (platform.worker ?? null) !== null;
  // Signal handlers go in before the startup line: whoever waits for that line (a supervisor, a
  // test, the instance that started this worker) may signal the process as soon as it has read it.
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (message: string) => {
      // A second signal while requests are still finishing: exit now.
      if (stopping) return resolve(0);
      stopping = true;
      if (message) platform.stdout(message);
      void httpd
        .shutdown()
        .then(
          () => httpd.serverClose(),
          () => httpd.serverClose(),
        )
        .finally(() => resolve(0));
    };
    platform.onSignal("SIGINT", () => (inWorker ? undefined : stop("\nKeyboard interrupt received, exiting.\n")));
    platform.onSignal("SIGTERM", () => stop(""));
    platform.stdout(`Serving ${scheme} on ${host} port ${port} (${scheme.toLowerCase()}://${urlHost}:${port}/) ...\n`);
    httpd.serveForever().catch((error: unknown) => {
      onError(error);
      resolve(1);
    });
  });
}

/** Options of {@link serveWorkers}. */
export interface ServeWorkersOptions {
  /**
   * Seconds a worker gets to finish requests in progress when stopping: set on each worker's
   * server, and the instance that started the workers ends one that takes 2 s longer. Default: the
   * server's own `shutdownTimeout` in a worker, 5 (its default) for that deadline; give it here
   * when `start` sets another.
   */
  shutdownTimeout?: number;
}

/**
 * `--workers` for a program of your own: serves on `count` workers (`"auto"`: one per CPU) that
 * share the server's port, each running this program again — node:cluster processes on Node and
 * Bun, worker threads on Deno (which needs `--unstable-net` for the shared port).
 *
 * - In the program as started, with `count` above 1: starts the workers and looks after them as
 *   `httpserver --workers` does (one startup line, whole log lines, a worker that dies restarted
 *   after a back-off, Ctrl-C and SIGTERM stop them all); resolves with 0 once they stopped, or
 *   with the exit code of workers that could not start.
 * - In a worker, and with `count` 1: calls `start` for the server (in a worker its
 *   `allowReusePort` is already `true`), waits for it to listen, then serves until stopped as
 *   {@link serveUntilStopped}. Then a worker ends (the promise never settles there), and outside a
 *   worker it resolves with 0. A server that cannot listen is an error on standard error and exit
 *   code 1.
 *
 * The address must name a port (not 0): every worker binds the one `start` gives.
 * @param start makes the server; it gets the worker's number and port (`null` outside a worker).
 * @returns the exit code for the program.
 * @throws Error when the runtime cannot start workers.
 */
export async function serveWorkers(
  count: number | "auto",
  start: (worker: WorkerInfo | null) => HTTPServer | Promise<HTTPServer>,
  options: ServeWorkersOptions = {},
): Promise<number> {
  const platform = getPlatform();
  const worker = platform.worker ?? null;
  const n = count === "auto" ? platform.cpuCount() : count;
  if (worker === null && n > 1) return runWorkers(platform, null, { count: n, port: 0, shutdownTimeout: options.shutdownTimeout ?? 5 });
  let code: number;
  try {
    const httpd = await start(worker);
    if (options.shutdownTimeout !== undefined) httpd.shutdownTimeout = options.shutdownTimeout;
    await httpd.ready;
    code = await serveUntilStopped(platform, httpd, (error) => platform.stderr(`error: ${String(error)}\n`));
  } catch (error) {
    platform.stderr(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    code = 1;
  }
  if (worker !== null && platform.endWorker !== undefined) {
    // A worker ends here; what follows `serveWorkers` in the program runs in its primary only.
    platform.endWorker(code);
    return new Promise<number>(() => {});
  }
  return code;
}
