/** CPython's http.server as a reference peer for differential tests. */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Runtime, type RunningServer, startProcess } from "./runtimes.js";

const FIXTURE = fileURLToPath(new URL("../fixtures/cpython_server.py", import.meta.url));

/**
 * The CPython 3.13.0 interpreter installed through pyenv. Found by path, not through `python3` on
 * PATH: under pnpm, the directory of the node binary (/usr/bin) comes first and its `python3`
 * is Debian's 3.11, whose texts differ (e.g. "Request-URI Too Long").
 */
export function python313(): string {
  const root = process.env.PYENV_ROOT ?? join(homedir(), ".pyenv");
  const direct = join(root, "versions", "3.13.0", "bin", "python3");
  if (existsSync(direct)) return direct;
  try {
    return join(execFileSync("pyenv", ["prefix", "3.13.0"], { encoding: "utf8" }).trim(), "bin", "python3");
  } catch {
    throw new Error("CPython 3.13.0 is required for differential tests (pyenv install 3.13.0)");
  }
}

/** CPython 3.13 through pyenv, as installed on this machine and CI's. */
export const cpython: Runtime = {
  name: "cpython",
  sysVersion: /^Python\/3\.13\.0$/,
  command: (file, args) => ({ cmd: python313(), args: ["-u", file, ...args], env: {} }),
};

/** Starts CPython's server for a scenario (`bare` or `simple`). */
export function startCPython(options: { scenario: "bare" | "simple"; protocol?: string; directory?: string }): Promise<RunningServer> {
  return startProcess(cpython, FIXTURE, [JSON.stringify(options)]);
}

/** Replaces the values of `Date` and `Server` fields, which differ between any two servers. */
export function normalize(raw: Buffer | string): string {
  const text = typeof raw === "string" ? raw : raw.toString("latin1");
  return text.replace(/^Date: .*$/gm, "Date: <date>").replace(/^Server: .*$/gm, "Server: <server>");
}
