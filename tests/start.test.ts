/**
 * `pnpm start`, `start:bun`, `start:deno` (scripts/start.mjs) as the README gives them: serving the
 * directory pnpm was started from (INIT_CWD), a relative `-d` taken from there, a leading `--`
 * dropped, Ctrl-C (SIGINT to the process group, as a terminal sends it) ending with exit code 0;
 * and `--workers 2` through `pnpm start`, whose workers run the command's script again.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ROOT } from "./support/runtimes.js";
import { SERVING, request } from "./support/simple.js";

let home: string;
beforeAll(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), "httpserver-start-"));
  fs.mkdirSync(path.join(home, "site"));
  fs.writeFileSync(path.join(home, "site", "hello.txt"), "hello from the caller's directory\n");
});
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

/** Runs scripts/start.mjs as pnpm would from `home`, in a process group of its own. */
function start(args: string[]): Promise<{ child: ChildProcess; out: () => string; port: number }> {
  const child = spawn(process.execPath, [path.join(ROOT, "scripts/start.mjs"), ...args], {
    cwd: ROOT,
    env: { ...process.env, INIT_CWD: home },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => (out += s));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no startup line: ${out}`)), 30_000);
    child.on("exit", () => reject(new Error(`exited: ${out}`)));
    child.stdout.on("data", () => {
      const m = SERVING.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve({ child, out: () => out, port: Number(m[1]) });
      }
    });
  });
}

const exitOf = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once("exit", resolve)));

describe("pnpm start", () => {
  for (const runtime of ["node", "bun", "deno"]) {
    test(`start${runtime === "node" ? "" : `:${runtime}`} -- -d site: the caller's directory, Ctrl-C exits 0`, async () => {
      const flags = runtime === "node" ? [] : [`--runtime=${runtime}`];
      const { child, out, port } = await start([...flags, "--", "-b", "127.0.0.1", "-d", "site", "0"]);
      const res = await request(port, "/hello.txt");
      expect([res.status, res.body.toString()]).toEqual([200, "hello from the caller's directory\n"]);
      process.kill(-child.pid!, "SIGINT");
      expect(await exitOf(child)).toBe(0);
      expect(out()).toMatch(/Keyboard interrupt received, exiting\./);
    });
  }

  test("start --workers 2: both workers run the command again and serve; Ctrl-C stops them, exit 0", async () => {
    const { child, out, port } = await start(["--workers", "2", "-b", "127.0.0.1", "-d", "site", "0"]);
    for (let i = 0; i < 10; i++) expect((await request(port, "/hello.txt")).status).toBe(200);
    process.kill(-child.pid!, "SIGINT");
    expect(await exitOf(child)).toBe(0);
    expect(out().match(/Serving HTTP/g)).toHaveLength(1);
  });
});

describe("pnpm start when the build is stale", () => {
  test("one 'building …' line, none of the build's own output, then the startup line", { timeout: 180_000 }, async () => {
    // A source newer than the build: start builds first.
    const source = path.join(ROOT, "packages/core/src/version.ts");
    const now = new Date();
    fs.utimesSync(source, now, now);
    const { child, out } = await start(["-b", "127.0.0.1", "-d", "site", "0"]);
    process.kill(-child.pid!, "SIGINT");
    await exitOf(child);
    const before = out().slice(0, out().search(SERVING));
    expect(before).toBe("httpserver: building …\n");
  });
});
