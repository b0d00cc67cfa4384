/**
 * The parts of the core's {@link Platform} that come from Node's `process`, `os` and timers:
 * clock, timers, standard streams, signals, environment and ids. Bun implements these Node APIs
 * too, so its adapter reuses this module (`@httpserver/node/process`).
 * @module
 */
import { readFileSync } from "node:fs";
import * as os from "node:os";
import { type Platform, type Timer, descriptorLimitFromProcLimits } from "@httpserver/core/platform";

/** The process services of a runtime that implements Node's `process` and `os` modules. */
export type ProcessServices = Pick<
  Platform,
  "now" | "defer" | "setTimer" | "stderr" | "stdout" | "hostname" | "descriptorLimit" | "cwd" | "onSignal" | "getenv" | "processIds"
>;

/**
 * Standard error text of the current event-loop turn. A busy server logs a line per request:
 * the lines of one turn leave in one write(2) at its end (`setImmediate`), or at exit.
 */
let stderrPending = "";

function flushStderr(): void {
  if (stderrPending === "") return;
  const text = stderrPending;
  stderrPending = "";
  process.stderr.write(text);
}

process.on("exit", flushStderr);

/**
 * {@link ProcessServices} on `process`, `os` and `setTimeout` (timers are unref'd). Standard
 * error is written once per event-loop turn; standard output at once.
 */
export const processServices: ProcessServices = {
  now: () => Date.now(),
  defer: (fn) => void setImmediate(fn),
  setTimer(ms: number, fn: () => void): Timer {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
  stderr: (text) => {
    if (stderrPending === "") setImmediate(flushStderr);
    stderrPending += text;
  },
  stdout: (text) => void process.stdout.write(text),
  hostname: () => os.hostname(),
  descriptorLimit: () => {
    try {
      return descriptorLimitFromProcLimits(readFileSync("/proc/self/limits", "latin1"));
    } catch {
      return null; // not Linux
    }
  },
  cwd: () => process.cwd(),
  onSignal: (signal, handler) => void process.on(signal, handler),
  getenv: (name) => process.env[name],
  processIds: () =>
    process.getuid !== undefined && process.getgid !== undefined ? { uid: process.getuid(), gid: process.getgid() } : null,
};
