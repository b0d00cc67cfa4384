// What `pnpm bench` needs before it measures: wrk and nginx (Debian packages, installed with
// apt-get when missing), CPython from pyenv, Bun and Deno from node_modules, and a current build
// of packages/node.
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { build, buildIsStale } from "../../scripts/build.mjs";
import { ROOT } from "./paths.mjs";

/** The absolute path of executable `name` on PATH (or in `extra` directories), or null. */
export function which(name, extra = []) {
  for (const dir of [...(process.env.PATH ?? "").split(delimiter), ...extra]) {
    if (dir === "") continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      if (statSync(path).isFile()) return path;
    } catch {
      // not here
    }
  }
  return null;
}

const SBIN = ["/usr/sbin", "/sbin", "/usr/local/sbin"];

/**
 * wrk and nginx: found on PATH (or /usr/sbin), else installed with apt-get. Returns
 * `{ wrk, nginx }` paths; nginx may be null (its rows are then skipped). Throws when wrk is
 * missing and cannot be installed.
 */
export function ensureTools({ install }) {
  let wrk = which("wrk");
  let nginx = which("nginx", SBIN);
  const missing = [wrk === null ? "wrk" : null, nginx === null ? "nginx-light" : null].filter(Boolean);
  if (missing.length > 0 && install) {
    const apt = which("apt-get", SBIN);
    if (apt === null) {
      console.error(`bench: ${missing.join(" and ")} missing and apt-get is not available: install them by hand.`);
    } else {
      const root = process.getuid?.() === 0;
      const sudo = root ? null : which("sudo");
      if (!root && sudo === null) {
        console.error(`bench: ${missing.join(" and ")} missing; run as root or install them: apt-get install -y ${missing.join(" ")}`);
      } else {
        const run = (args) => {
          const cmd = root ? apt : sudo;
          const argv = root ? args : [apt, ...args];
          console.error(`bench: ${root ? "" : "sudo "}apt-get ${args.join(" ")}`);
          return (
            spawnSync(cmd, argv, { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } })
              .status === 0
          );
        };
        const args = ["install", "-y", "-qq", "--no-install-recommends", ...missing];
        // A fresh machine has no package lists yet: update once and retry.
        if (!run(args)) {
          run(["update", "-qq"]);
          run(args);
        }
      }
    }
    wrk = which("wrk");
    nginx = which("nginx", SBIN);
  }
  if (wrk === null) throw new Error("wrk is required (Debian: apt-get install wrk)");
  if (nginx === null) console.error("bench: nginx not available: its rows are skipped.");
  return { wrk, nginx };
}

/**
 * CPython 3.13 from pyenv when present, else `python3` on PATH, else null. pyenv's interpreter is
 * taken by path: under pnpm the node binary's directory (/usr/bin) comes first on PATH, and its
 * `python3` is the system's, whatever `PYENV_VERSION` says.
 */
export function findPython() {
  const pyenv = join(process.env.PYENV_ROOT ?? join(homedir(), ".pyenv"), "versions", "3.13.0", "bin", "python3");
  for (const cmd of existsSync(pyenv) ? [pyenv, "python3"] : ["python3"]) {
    const r = spawnSync(cmd, ["-c", "import sys; print(sys.version.split()[0])"], { encoding: "utf8" });
    if (r.status === 0) return { cmd, version: r.stdout.trim() };
  }
  console.error("bench: python3 not found: CPython rows are skipped.");
  return null;
}

const req = createRequire(join(ROOT, "package.json"));

/** The real Bun and Deno executables of the pinned npm packages (not the .bin wrappers). */
export function runtimeBinaries() {
  return {
    node: process.execPath,
    bun: join(dirname(req.resolve("bun/package.json")), "bin", "bun.exe"),
    deno: join(dirname(req.resolve("deno/package.json")), "deno"),
  };
}

/** The entry script of an npm package's bin, to run it with node directly (no wrapper). */
export function packageBin(pkg, name) {
  const dir = dirname(req.resolve(`${pkg}/package.json`));
  const manifest = req(`${pkg}/package.json`);
  const bin = typeof manifest.bin === "string" ? manifest.bin : manifest.bin[name];
  return join(dir, bin);
}

/** Runs `pnpm build` when packages/node/dist is missing or older than the sources. */
export function ensureBuild({ build: allowed }) {
  if (!buildIsStale()) return;
  if (!allowed) {
    console.error("bench: packages/node/dist is stale (--no-build given)");
    return;
  }
  console.error("bench: building (pnpm build) …");
  build();
}
