/** CPython's http.server as a reference peer for differential tests. */
import { fileURLToPath } from "node:url";
import { type Runtime, type RunningServer, startProcess } from "./runtimes.js";

const FIXTURE = fileURLToPath(new URL("../fixtures/cpython_server.py", import.meta.url));

/** CPython 3.13 through pyenv, as installed on this machine and CI's. */
export const cpython: Runtime = {
  name: "cpython",
  command: (file, args) => ({ cmd: "python3", args: ["-u", file, ...args], env: { PYENV_VERSION: "3.13.0" } }),
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
