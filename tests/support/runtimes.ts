/**
 * The runtimes every black-box case runs against, and how to start the fixture server in each.
 * Select with HTTPSERVER_RUNTIMES=node,node24,bun,deno (default: every runtime available).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ScenarioOptions } from "../fixtures/handlers.js";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const FIXTURE = fileURLToPath(new URL("../fixtures/serve.ts", import.meta.url));

/** A runtime that can run the fixture server. */
export interface Runtime {
  /** Name shown in test titles: a failure names the runtime. */
  readonly name: string;
  /** What `sysVersion` (the second word of `Server`) looks like on this runtime. */
  readonly sysVersion: RegExp;
  /** Command and arguments that run a TypeScript file with the adapter for this runtime. */
  command(file: string, args: string[]): { cmd: string; args: string[]; env: Record<string, string> };
}

const node: Runtime = {
  name: "node",
  sysVersion: /^Node\/20\.\d+\.\d+$/,
  command: (file, args) => ({
    cmd: process.execPath,
    args: ["--import", "tsx", file, ...args],
    env: { HTTPSERVER_ADAPTER: "node" },
  }),
};

/**
 * The real Bun and Deno executables of the pinned npm packages. Not `node_modules/.bin/*`: those
 * are wrappers that run the binary as a child, so a signal to them would orphan the server.
 */
const req = createRequire(new URL("../../package.json", import.meta.url));
const BIN = {
  bun: join(dirname(req.resolve("bun/package.json")), "bin", "bun.exe"),
  deno: join(dirname(req.resolve("deno/package.json")), "deno"),
};
const bin = (name: "bun" | "deno") => BIN[name];

/** The pinned Bun or Deno executable (for fixtures only one of them can make, e.g. zstd data). */
export function runtimeBinary(name: "bun" | "deno"): string {
  return bin(name);
}

const bun: Runtime = {
  name: "bun",
  sysVersion: /^Bun\/1\.\d+\.\d+$/,
  command: (file, args) => ({ cmd: bin("bun"), args: [file, ...args], env: { HTTPSERVER_ADAPTER: "bun" } }),
};

const DENO_CONFIG = fileURLToPath(new URL("../../deno.json", import.meta.url));

const deno: Runtime = {
  name: "deno",
  sysVersion: /^Deno\/2\.\d+\.\d+$/,
  // The workspace's deno.json (the core and the adapter by name, whatever the working
  // directory), all permissions.
  command: (file, args) => ({
    cmd: bin("deno"),
    // --unstable-net: Deno.listen's reusePort, for --workers.
    args: ["run", "-A", "--unstable-net", "--config", DENO_CONFIG, file, ...args],
    env: { HTTPSERVER_ADAPTER: "deno" },
  }),
};

/** Node 24, found by `global-setup.ts`; runs the same fixtures as `node`. */
const node24: Runtime = {
  name: "node24",
  sysVersion: /^Node\/24\.\d+\.\d+$/,
  command: (file, args) => {
    const path = process.env.HTTPSERVER_NODE24;
    if (path === undefined) throw new Error("HTTPSERVER_NODE24 is not set (tests/support/global-setup.ts)");
    return { cmd: path, args: ["--import", "tsx", file, ...args], env: { HTTPSERVER_ADAPTER: "node" } };
  },
};

const ALL: Runtime[] = [node, node24, bun, deno];

/** The runtimes selected for this run. */
export function runtimes(): Runtime[] {
  const wanted = process.env.HTTPSERVER_RUNTIMES?.split(",").map((s) => s.trim());
  return wanted === undefined ? ALL : ALL.filter((rt) => wanted.includes(rt.name));
}

/** A fixture server running in a child process. */
export interface RunningServer {
  readonly runtime: string;
  readonly port: number;
  readonly host: string;
  readonly child: ChildProcess;
  /** Everything written to stdout / stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout or stderr (whichever `stream` names) matches `pattern`. */
  waitFor(stream: "stdout" | "stderr", pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Stops the server (SIGTERM) and resolves with its exit code. */
  stop(): Promise<number | null>;
  /** Resolves with the exit code (`null` when a signal ended it) once the process exited. */
  readonly exited: Promise<number | null>;
}

/**
 * Starts `file` under `runtime` and resolves once its stdout matches `ready`, whose first group
 * is the port (default: a fixture printing `LISTENING <port>`).
 */
export function startProcess(
  runtime: Runtime,
  file: string,
  args: string[],
  cwd = ROOT,
  ready: RegExp = /LISTENING (\d+)/,
): Promise<RunningServer> {
  const { cmd, args: argv, env } = runtime.command(file, args);
  const child = spawn(cmd, argv, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of listeners) listener();
  };
  child.stdout.setEncoding("utf8").on("data", (s: string) => ((out += s), notify()));
  child.stderr.setEncoding("utf8").on("data", (s: string) => ((err += s), notify()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => (notify(), resolve(code))));
  const waitFor = (stream: "stdout" | "stderr", pattern: RegExp, timeoutMs = 20_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const m = (stream === "stdout" ? out : err).match(pattern);
        if (m !== null) {
          listeners.delete(check);
          clearTimeout(timer);
          resolve(m);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          listeners.delete(check);
          clearTimeout(timer);
          reject(new Error(`[${runtime.name}] exited before ${pattern} on ${stream}\nstdout: ${out}\nstderr: ${err}`));
        }
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`[${runtime.name}] timed out waiting for ${pattern} on ${stream}\nstdout: ${out}\nstderr: ${err}`));
      }, timeoutMs);
      listeners.add(check);
      check();
    });
  return waitFor("stdout", ready).then((m) => ({
    runtime: runtime.name,
    port: Number(m[1]),
    host: "127.0.0.1",
    child,
    stdout: () => out,
    stderr: () => err,
    waitFor,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  }));
}

/** Starts the scenario fixture (`tests/fixtures/serve.ts`) under `runtime`. */
export function startServer(runtime: Runtime, options: ScenarioOptions): Promise<RunningServer> {
  return startProcess(runtime, FIXTURE, [JSON.stringify(options)]);
}
