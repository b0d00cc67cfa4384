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

import type { Platform, ServerWorker } from "./platform/types.ts";
import { formatLogDate } from "./python/dates.ts";

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
 * Runs `plan.count` workers with `argv` (the command line the user gave) until Ctrl-C or SIGTERM;
 * resolves with the exit code: 0, or the code of the workers that could not start.
 * @throws Error when the platform cannot start workers.
 */
export function runWorkers(platform: Platform, argv: readonly string[], plan: WorkerPlan): Promise<number> {
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
