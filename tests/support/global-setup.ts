/**
 * Once per test run, what the suite needs beyond `pnpm install`, found or installed so that the
 * README's test command works on a fresh machine:
 *
 * - Node 24 for the `node24` runtime, from the npm registry through `npx -p node@24` (without
 *   shadowing the system `node`);
 * - Chromium for tests/browser.test.ts: `CHROMIUM_PATH`, else `/usr/bin/chromium`, else Debian's
 *   `chromium` installed with apt-get (as root, or through passwordless sudo); Python's
 *   `websockets` for Debian's `/usr/bin/python3` (python3-websockets) the same way;
 * - CPython 3.13.0 for the differential tests: pyenv's, installed with `pyenv install` when pyenv
 *   is there and the version is not.
 *
 * What cannot be had is not fatal here: the tests that need it fail with a one-line message
 * saying how to get it (`HTTPSERVER_CHROMIUM_ERROR`; packages/core/test/python.ts).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** The Chromium the browser tests drive. */
export const CHROMIUM_DEFAULT = "/usr/bin/chromium";

function log(line: string): void {
  process.stderr.write(`[setup] ${line}\n`);
}

function findNode24(): void {
  if (process.env.HTTPSERVER_NODE24 !== undefined) return;
  const wanted = process.env.HTTPSERVER_RUNTIMES?.split(",").map((s) => s.trim());
  if (wanted !== undefined && !wanted.includes("node24")) return;
  const path = execFileSync("npx", ["-y", "-p", "node@24", "-c", "command -v node"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
    timeout: 180_000,
  })
    .trim()
    .split("\n")
    .pop()!;
  process.env.HTTPSERVER_NODE24 = path;
}

/** Runs `cmd` as root: directly when we are root, else through `sudo -n`; false if neither. */
function asRoot(cmd: string, args: string[]): boolean {
  const root = process.getuid?.() === 0;
  if (!root && spawnSync("sudo", ["-n", "true"], { stdio: "ignore" }).status !== 0) return false;
  const [file, argv] = root ? [cmd, args] : ["sudo", ["-n", cmd, ...args]];
  const r = spawnSync(file, argv, { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  return r.status === 0;
}

/**
 * Debian's packages the clients of the suite come from, each with a file that shows it is there:
 * Chromium (unless `CHROMIUM_PATH` names another); Python's `websockets`, `hyperframe` and `hpack`
 * for Debian's `/usr/bin/python3`; nghttp2's `nghttp` and `h2load`; curl.
 */
function debianPackages(): { name: string; file: string }[] {
  const packages = [
    { name: "python3-websockets", file: "/usr/lib/python3/dist-packages/websockets/__init__.py" },
    { name: "python3-hyperframe", file: "/usr/lib/python3/dist-packages/hyperframe/__init__.py" },
    { name: "python3-hpack", file: "/usr/lib/python3/dist-packages/hpack/__init__.py" },
    { name: "nghttp2-client", file: "/usr/bin/nghttp" },
    { name: "curl", file: "/usr/bin/curl" },
  ];
  if (process.env.CHROMIUM_PATH === undefined) packages.push({ name: "chromium", file: CHROMIUM_DEFAULT });
  return packages;
}

/** Installs the packages of {@link debianPackages} that are missing, with apt-get, in one go. */
function ensureDebianPackages(): void {
  const missing = debianPackages().filter((p) => !existsSync(p.file));
  if (missing.length > 0 && spawnSync("apt-get", ["--version"], { stdio: "ignore" }).status === 0) {
    log(`missing: ${missing.map((p) => p.name).join(", ")}: installing Debian's packages with apt-get …`);
    if (asRoot("apt-get", ["update", "-q"]))
      asRoot("apt-get", ["install", "-y", "-q", "--no-install-recommends", ...missing.map((p) => p.name)]);
  }
  const chromium = process.env.CHROMIUM_PATH ?? CHROMIUM_DEFAULT;
  if (!existsSync(chromium)) {
    const how = "install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH";
    process.env.HTTPSERVER_CHROMIUM_ERROR = `Chromium not found at ${chromium}, and it could not be installed here: ${how}`;
    log(process.env.HTTPSERVER_CHROMIUM_ERROR);
  }
  for (const p of debianPackages())
    if (p.name !== "chromium" && !existsSync(p.file)) log(`${p.name} could not be installed: the tests that use it will fail`);
}

function ensureCPython(): void {
  const root = process.env.PYENV_ROOT ?? join(homedir(), ".pyenv");
  if (existsSync(join(root, "versions", "3.13.0", "bin", "python3"))) return;
  const pyenv = existsSync(join(root, "bin", "pyenv")) ? join(root, "bin", "pyenv") : "pyenv";
  if (spawnSync(pyenv, ["--version"], { stdio: "ignore" }).status !== 0) return;
  log("CPython 3.13.0 is missing: pyenv install 3.13.0 (a few minutes) …");
  spawnSync(pyenv, ["install", "-s", "3.13.0"], { stdio: ["ignore", "ignore", "inherit"], timeout: 1_800_000 });
}

export default function setup(): void {
  findNode24();
  ensureDebianPackages();
  ensureCPython();
}
