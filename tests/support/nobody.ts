/**
 * Running a fixture server as the unprivileged user `nobody` (uid/gid 65534), where file
 * permissions apply: root reads a chmod-000 directory anyway.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT, type Runtime } from "./runtimes.js";

const NOBODY = ["--reuid=65534", "--regid=65534", "--clear-groups"];

/** True when `nobody` can run `test <args…>` successfully. */
function nobodyCan(args: string[]): boolean {
  try {
    execFileSync("setpriv", [...NOBODY, "test", ...args], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * `rt` wrapped so that its fixture runs as `nobody`, with a home and caches in `scratch` (a
 * directory this function makes readable and writable by everyone). An executable that `nobody`
 * cannot reach (Node 24 lives under root's npx cache) is linked or copied into `scratch`.
 * Returns a string, the reason, when that cannot be done here.
 */
export function asNobody(rt: Runtime, scratch: string): Runtime | string {
  if (process.getuid?.() !== 0) return "the tests do not run as root, so they cannot switch to `nobody`";
  try {
    execFileSync("setpriv", ["--version"], { stdio: "ignore" });
  } catch {
    return "setpriv (util-linux) is not installed";
  }
  fs.mkdirSync(scratch, { recursive: true });
  fs.chmodSync(scratch, 0o777);
  const probe = rt.command("probe.ts", []);
  let cmd = probe.cmd;
  if (!nobodyCan(["-x", cmd])) {
    const copy = path.join(scratch, path.basename(cmd));
    if (!fs.existsSync(copy)) {
      const real = fs.realpathSync(cmd);
      try {
        fs.linkSync(real, copy);
      } catch {
        fs.copyFileSync(real, copy);
      }
      fs.chmodSync(copy, 0o755);
    }
    cmd = copy;
    if (!nobodyCan(["-x", cmd])) return `nobody cannot run ${rt.name}'s executable`;
  }
  for (const file of ["package.json", "node_modules/tsx/package.json", "packages/core/src/index.ts"]) {
    if (!nobodyCan(["-r", path.join(ROOT, file)])) {
      return `the repository (${ROOT}) is not readable by nobody: a parent directory is closed to other users`;
    }
  }
  const home = path.join(scratch, "home");
  fs.mkdirSync(home, { recursive: true });
  fs.chmodSync(home, 0o777);
  return {
    ...rt,
    name: `${rt.name} as nobody`,
    command: (file, args) => {
      const c = rt.command(file, args);
      return {
        cmd: "setpriv",
        args: [...NOBODY, c.cmd === probe.cmd ? cmd : c.cmd, ...c.args],
        // The caches the runtimes write (Deno's module cache, Bun's and tsx's) go under `home`.
        env: { ...c.env, HOME: home, DENO_DIR: path.join(home, "deno"), XDG_CACHE_HOME: path.join(home, "cache"), TMPDIR: home },
      };
    },
  };
}

/** A scratch directory for {@link asNobody}. */
export function nobodyScratch(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "httpserver-nobody-"));
  fs.chmodSync(dir, 0o777);
  return dir;
}
