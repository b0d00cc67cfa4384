/**
 * Runs real CPython for differential tests. Each call starts one interpreter and passes a JSON
 * document on stdin; the script prints one JSON document. Strings carry bytes as ISO-8859-1.
 *
 * The reference is pinned: CPython 3.13.0 from pyenv, found by path (under pnpm, the directory of
 * the node binary comes first on PATH, and its `python3` is Debian's 3.11, whose parse_request
 * still accepts `HTTP/+1.1`). Without it the differential tests fail with a message saying how to
 * install it; they never skip and never fall back to another interpreter.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** The CPython whose `http.server` the differential tests compare with. */
export const CPYTHON_VERSION = "3.13.0";

/**
 * The pinned interpreter: `$PYENV_ROOT/versions/3.13.0/bin/python3`.
 * @throws {Error} when it is not installed.
 */
export function python(): string {
  const path = join(process.env.PYENV_ROOT ?? join(homedir(), ".pyenv"), "versions", CPYTHON_VERSION, "bin", "python3");
  if (!existsSync(path)) {
    throw new Error(
      `CPython ${CPYTHON_VERSION} is required for the differential tests: pyenv install ${CPYTHON_VERSION} (looked for ${path})`,
    );
  }
  return path;
}

/** Runs `script` with `input` as JSON on stdin; the script must print JSON. */
export function runPython<T>(script: string, input: unknown): T {
  const r = spawnSync(python(), ["-c", script], {
    input: JSON.stringify(input),
    env: { ...process.env, PYTHONIOENCODING: "utf-8" },
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
