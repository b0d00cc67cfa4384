/**
 * Runs real CPython for differential tests. Each call starts one interpreter and passes a JSON
 * document on stdin; the script prints one JSON document. Strings carry bytes as ISO-8859-1.
 *
 * CPython is optional: a clean CI machine has only Node, so callers skip when
 * {@link pythonAvailable} is false. Versions come from pyenv when present (`PYENV_VERSION`).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/**
 * The interpreter for a pyenv version, found by path: under pnpm, the directory of the node binary
 * (/usr/bin) comes first on PATH, and its `python3` is Debian's 3.11.2, whose parse_request still
 * accepts `HTTP/+1.1` (so `python3` with `PYENV_VERSION` is not enough). Falls back to `python3`.
 */
function pythonFor(version: string): string {
  if (process.env.HTTPSERVER_TEST_PYTHON !== undefined) return process.env.HTTPSERVER_TEST_PYTHON;
  const direct = join(process.env.PYENV_ROOT ?? join(homedir(), ".pyenv"), "versions", version, "bin", "python3");
  return existsSync(direct) ? direct : "python3";
}
/** The CPython whose `http.server` the differential tests compare with (newest installed here). */
export const CPYTHON_VERSION = process.env.HTTPSERVER_TEST_PYENV ?? "3.13.0";

const cache = new Map<string, boolean>();

/** True if `python3` (at the pinned pyenv version, when pyenv is in use) runs and is >= 3.11. */
export function pythonAvailable(version = CPYTHON_VERSION): boolean {
  let ok = cache.get(version);
  if (ok === undefined) {
    const r = spawnSync(pythonFor(version), ["-c", "import sys; print(sys.version_info >= (3, 11))"], {
      env: { ...process.env, PYENV_VERSION: version },
      encoding: "utf8",
    });
    ok = r.status === 0 && r.stdout.trim() === "True";
    cache.set(version, ok);
  }
  return ok;
}

/** Runs `script` with `input` as JSON on stdin; the script must print JSON. */
export function runPython<T>(script: string, input: unknown, version = CPYTHON_VERSION): T {
  const r = spawnSync(pythonFor(version), ["-c", script], {
    input: JSON.stringify(input),
    env: { ...process.env, PYENV_VERSION: version, PYTHONIOENCODING: "utf-8" },
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
