/**
 * The `httpserver` command (tests/fixtures/cli.ts) started in a runtime, or CPython's
 * `python -m http.server`, waiting for its `Serving HTTP on … port N` line.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ROOT, type Runtime } from "./runtimes.js";

const CLI_FIXTURE = fileURLToPath(new URL("../fixtures/cli.ts", import.meta.url));

/** A server command running in a child process. */
export interface RunningCommand {
  /** Resolves with the `Serving …` line and the port once it was printed. */
  readonly started: Promise<{ line: string; port: number }>;
  /** Everything written to standard error so far. */
  stderr(): string;
  /** Resolves when standard error matches `pattern` (rejects after `timeoutMs`). */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Stops the command (SIGTERM) and resolves with its exit code. */
  stop(): Promise<number | null>;
}

/** Starts `cmd args` and watches its output. */
export function startCommand(
  name: string,
  cmd: string,
  args: string[],
  env: Record<string, string | undefined>,
  cwd = ROOT,
): RunningCommand {
  const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of listeners) listener();
  };
  child.stdout.setEncoding("utf8").on("data", (s: string) => ((out += s), notify()));
  child.stderr.setEncoding("utf8").on("data", (s: string) => ((err += s), notify()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => (notify(), resolve(code))));
  const wait = <T>(test: () => T | null, what: string, timeoutMs: number) =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const result = test();
        if (result !== null) {
          listeners.delete(check);
          clearTimeout(timer);
          resolve(result);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          listeners.delete(check);
          clearTimeout(timer);
          reject(new Error(`[${name}] exited before ${what}\nstdout: ${out}\nstderr: ${err}`));
        }
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`[${name}] timed out waiting for ${what}\nstdout: ${out}\nstderr: ${err}`));
      }, timeoutMs);
      listeners.add(check);
      check();
    });
  const started = wait(
    () => {
      const m = /^Serving HTTPS? on .* port (\d+) .*\n/m.exec(out);
      return m === null ? null : { line: m[0], port: Number(m[1]) };
    },
    "the Serving line",
    20_000,
  );
  started.catch(() => {});
  return {
    started,
    stderr: () => err,
    waitForStderr: (pattern, timeoutMs = 20_000) => wait(() => err.match(pattern), String(pattern), timeoutMs),
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

/** Starts the `httpserver` command in `runtime`; `env` is added to the test's environment. */
export function startCLI(runtime: Runtime, args: string[], env: Record<string, string> = {}): RunningCommand {
  const command = runtime.command(CLI_FIXTURE, args);
  return startCommand(runtime.name, command.cmd, command.args, { ...process.env, ...env, ...command.env });
}
