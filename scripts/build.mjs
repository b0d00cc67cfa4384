// The build as the repository's own scripts need it: `pnpm build` when packages/node/dist is
// missing or older than the sources of packages/core and packages/node (`pnpm start`, `pnpm bench`).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root directory. */
export const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The newest modification time (ms) of any file below `dir`. */
function newest(dir) {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return t;
}

/** True when packages/node/dist/cli.js is missing or older than a source it is built from. */
export function buildIsStale() {
  const dist = join(ROOT, "packages/node/dist/cli.js");
  const sources = Math.max(newest(join(ROOT, "packages/core/src")), newest(join(ROOT, "packages/node/src")));
  return !existsSync(dist) || statSync(dist).mtimeMs < sources;
}

/**
 * Runs `pnpm build` (the pnpm running this script, else `pnpm` on PATH, else pnpm through npx)
 * quietly: its output goes to standard error only when it fails. Throws when it fails.
 */
export function build() {
  const execpath = process.env.npm_execpath;
  const [cmd, args] =
    execpath && /pnpm/.test(execpath) ? [process.execPath, [execpath, "build"]] : ["npx", ["-y", "pnpm@10.34.8", "build"]];
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) {
    process.stderr.write(r.stdout ?? "");
    process.stderr.write(r.stderr ?? "");
    throw new Error("pnpm build failed");
  }
}
