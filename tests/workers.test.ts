/**
 * `httpserver --workers N` on every runtime: one startup line; every request answered and every
 * log line whole while the workers share the port; TLS and CGI in each worker; a worker that dies
 * replaced (processes: Node, Bun; Deno's workers are threads, whose restart the unit test of
 * `runWorkers` covers); SIGTERM and Ctrl-C stop them all with exit code 0; a port in use is one
 * error line and exit 1. The same from a program of one's own with `serveWorkers`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import * as net from "node:net";
import { ROOT, type Runtime, runtimes, startProcess } from "./support/runtimes.js";
import { CLI_FIXTURE, SERVING, request, startCli } from "./support/simple.js";
import { type PKI, makePKI } from "./support/tls.js";

let root: string;
let pki: PKI;
beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "httpserver-workers-"));
  // CGI scripts run as nobody when the tests run as root: the tree must be readable to all.
  fs.chmodSync(root, 0o755);
  fs.writeFileSync(path.join(root, "a.txt"), "hello a\n");
  fs.mkdirSync(path.join(root, "cgi-bin"));
  fs.writeFileSync(path.join(root, "cgi-bin", "hi.sh"), "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\nhi from a worker\\n'\n", {
    mode: 0o755,
  });
  pki = await makePKI();
}, 60_000);
afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(pki.dir, { recursive: true, force: true });
});

/** The pids whose parent is `pid` (Linux /proc). */
function children(pid: number): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** True while process `pid` exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts the command in a process group of its own, for a terminal's Ctrl-C (SIGINT to the group). */
function startGroup(rt: Runtime, args: string[]): Promise<{ child: ChildProcess; out: () => string; port: number }> {
  const { cmd, args: argv, env } = rt.command(CLI_FIXTURE, args);
  const child = spawn(cmd, argv, { cwd: ROOT, env: { ...process.env, ...env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => (out += s));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no startup line: ${out}`)), 20_000);
    child.stdout.on("data", () => {
      const m = SERVING.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve({ child, out: () => out, port: Number(m[1]) });
      }
    });
  });
}

const WORKERS_FIXTURE = path.join(ROOT, "tests/fixtures/workers.ts");

/** A port free on 127.0.0.1 now (`serveWorkers` needs a port every worker can bind). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

const exitOf = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once("exit", resolve)));

for (const rt of runtimes()) {
  const processes = rt.name !== "deno";
  describe(`--workers [${rt.name}]`, () => {
    test("two workers: one startup line, 200 concurrent requests answered, every log line whole", async () => {
      const srv = await startCli(rt, ["--workers", "2", "-b", "127.0.0.1", "-d", root, "0"]);
      try {
        if (processes) expect(children(srv.child.pid!).length).toBeGreaterThanOrEqual(2);
        // Log lines longer than a pipe writes at once (4096 bytes).
        const long = "x".repeat(5000);
        const results = await Promise.all(Array.from({ length: 200 }, (_, i) => request(srv.port, `/a.txt?${i}-${long}`)));
        expect(results.map((r) => r.status)).toEqual(Array(200).fill(200));
        // Every line logged (workers log in their own order).
        await srv.waitFor("stderr", /^(?:[^\n]*\n){200}$/);
        const lines = srv.stderr().trim().split("\n");
        expect(lines.length).toBe(200);
        for (const line of lines) expect(line).toMatch(/^127\.0\.0\.1 - - \[[^\]]+\] "GET \/a\.txt\?\d+-x{5000} HTTP\/1\.0" 200 -$/);
        expect(srv.stdout().match(/Serving HTTP/g)).toHaveLength(1);
      } finally {
        expect(await srv.stop()).toBe(0);
      }
    });

    test("TLS and CGI work in every worker", async () => {
      const srv = await startCli(rt, [
        "--workers",
        "2",
        "--cgi",
        "--tls-cert",
        pki.ecChain,
        "--tls-key",
        pki.ecKeySec1,
        "-b",
        "127.0.0.1",
        "-d",
        root,
        "0",
      ]);
      try {
        for (let i = 0; i < 6; i++) {
          const body = await new Promise<string>((resolve, reject) => {
            https
              .get(
                { host: "127.0.0.1", port: srv.port, path: "/cgi-bin/hi.sh", ca: fs.readFileSync(pki.ca), servername: "localhost" },
                (res) => {
                  let text = "";
                  res.setEncoding("utf8").on("data", (s: string) => (text += s));
                  res.on("end", () => resolve(`${res.statusCode} ${text}`));
                },
              )
              .on("error", reject);
          });
          expect(body).toBe("200 hi from a worker\n");
        }
        // The CGI warning once, from the instance that started the workers.
        expect(srv.stderr().match(/DeprecationWarning/g)).toHaveLength(1);
      } finally {
        expect(await srv.stop()).toBe(0);
      }
    });

    if (processes) {
      test("a worker that dies is logged and replaced; the port keeps answering", async () => {
        const srv = await startCli(rt, ["--workers", "2", "-b", "127.0.0.1", "-d", root, "0"]);
        try {
          const [victim] = children(srv.child.pid!);
          process.kill(victim, "SIGKILL");
          await srv.waitFor("stderr", /worker \d exited \(killed by a signal\); restarting in 1 s$/m);
          for (let i = 0; i < 20; i++) expect((await request(srv.port, "/a.txt")).status).toBe(200);
          // Within the back-off, a new worker is there again.
          let replaced = false;
          for (let i = 0; i < 40 && !replaced; i++) {
            const now = children(srv.child.pid!);
            replaced = now.length >= 2 && !now.includes(victim);
            if (!replaced) await new Promise((resolve) => setTimeout(resolve, 100));
          }
          expect(replaced).toBe(true);
        } finally {
          expect(await srv.stop()).toBe(0);
        }
      });
    }

    test("Ctrl-C (SIGINT to the process group) stops every worker gracefully: one line, exit code 0", async () => {
      const { child, out, port } = await startGroup(rt, ["--workers", "2", "-b", "127.0.0.1", "-d", root, "0"]);
      const workers = processes ? children(child.pid!) : [];
      expect((await request(port, "/a.txt")).status).toBe(200);
      process.kill(-child.pid!, "SIGINT");
      expect(await exitOf(child)).toBe(0);
      expect(out().match(/Keyboard interrupt received, exiting\./g)).toHaveLength(1);
      for (const pid of workers) expect(alive(pid), `worker ${pid}`).toBe(false);
    });

    test("a port in use: the error once, exit code 1", async () => {
      const first = await startCli(rt, ["-b", "127.0.0.1", "-d", root, "0"]);
      try {
        const { cmd, args, env } = rt.command(CLI_FIXTURE, ["--workers", "2", "-b", "127.0.0.1", String(first.port)]);
        const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
        let err = "";
        child.stderr.setEncoding("utf8").on("data", (s: string) => (err += s));
        expect(await exitOf(child)).toBe(1);
        expect(err).toMatch(/^httpserver: error: cannot listen on 127\.0\.0\.1 port \d+: \[Errno 98\] Address already in use\n$/);
      } finally {
        await first.stop();
      }
    });

    test("serveWorkers in a program: one startup line, both workers answer and log, SIGTERM stops them with exit code 0", async () => {
      const srv = await startProcess(rt, WORKERS_FIXTURE, [String(await freePort())], ROOT, SERVING);
      try {
        if (processes) expect(children(srv.child.pid!).length).toBeGreaterThanOrEqual(2);
        const seen = new Set<string>();
        // Connections are spread by the kernel (or node:cluster): a few dozen show both workers.
        for (let i = 0; i < 60 && seen.size < 2; i++) seen.add((await request(srv.port, "/")).body.toString());
        expect([...seen].sort()).toEqual(["worker 1\n", "worker 2\n"]);
        await srv.waitFor("stderr", /"GET \/ HTTP\/1\.0" 200 -\n$/);
        expect(srv.stdout().match(/Serving HTTP/g)).toHaveLength(1);
      } finally {
        expect(await srv.stop()).toBe(0);
      }
    });
  });
}

describe("--workers on Deno without --unstable-net", () => {
  test("one `httpserver: error:` line naming the flag, exit 1 (not Deno's own message and exit 70)", async () => {
    const { runtimeBinary } = await import("./support/runtimes.js");
    const deno = runtimeBinary("deno");
    const child = spawn(
      deno,
      ["run", "-A", "--config", path.join(ROOT, "deno.json"), CLI_FIXTURE, "--workers", "2", "-b", "127.0.0.1", "0"],
      {
        cwd: ROOT,
        env: { ...process.env, HTTPSERVER_ADAPTER: "deno" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let err = "";
    child.stderr.setEncoding("utf8").on("data", (s: string) => (err += s));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code).toBe(1);
    expect(err).toBe(
      "httpserver: error: --workers needs Deno's --unstable-net flag (for Deno.listen's reusePort): run again with deno run --unstable-net …\n",
    );
  });
});
