/**
 * Hostile and slow clients on every runtime (issue: hardening): clients that reset before they
 * are accepted, descriptor exhaustion, the connection cap, slowloris heads, idle persistent
 * connections, stalled request bodies, clients that never read, truncated CGI bodies, a directory
 * redirect that must stay on the origin, and graceful shutdown. Every wait is bounded; every
 * client talks to loopback.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { RawSession, parseResponse, rawExchange } from "./support/clients.js";
import { type Runtime, type RunningServer, runtimes, startServer } from "./support/runtimes.js";
import { logLine, request, startCli } from "./support/simple.js";

const BIG_SIZE = 64 * 1024 * 1024;
let tree: string;
/** CGI scripts run as `nobody` when the tests run as root: their marker files go here (0777). */
let markers: string;

/** The scripts; a script's environment holds no variable of the server's but PATH. */
const scripts = (markerDir: string): Record<string, string> => ({
  // Reads its whole input, then records what it got: a script killed first records nothing.
  "cgi-bin/consume.sh": `#!/bin/sh\ndata=$(cat)\nprintf '%s' "$data" > "${markerDir}/$QUERY_STRING"\nprintf 'Content-Type: text/plain\\r\\n\\r\\ngot %s bytes\\n' "\${#data}"\n`,
  "cgi-bin/sleep.sh": "#!/bin/sh\nsleep \"${QUERY_STRING:-1}\"\nprintf 'Content-Type: text/plain\\r\\n\\r\\nslept\\n'\n",
  "cgi-bin/late-stderr.sh": "#!/bin/sh\nsleep 0.3\necho 'still here' >&2\nsleep 30\n",
});

beforeAll(() => {
  markers = fs.mkdtempSync(path.join(os.tmpdir(), "httpserver-markers-"));
  fs.chmodSync(markers, 0o777);
  tree = fs.mkdtempSync(path.join(os.tmpdir(), "httpserver-hardening-"));
  fs.chmodSync(tree, 0o755);
  fs.writeFileSync(path.join(tree, "a.txt"), "hello a\n");
  // Larger than the small-file cache keeps (64 KiB): served by opening it every time.
  fs.writeFileSync(path.join(tree, "medium.bin"), Buffer.alloc(100 * 1024, 0x62));
  fs.mkdirSync(path.join(tree, "dir"));
  fs.writeFileSync(path.join(tree, "dir", "in.txt"), "inside\n");
  // Sparse: 64 MiB of zeros that take no disk space.
  fs.closeSync(fs.openSync(path.join(tree, "big.bin"), "w"));
  fs.truncateSync(path.join(tree, "big.bin"), BIG_SIZE);
  for (const [name, text] of Object.entries(scripts(markers))) {
    fs.mkdirSync(path.dirname(path.join(tree, name)), { recursive: true, mode: 0o755 });
    fs.writeFileSync(path.join(tree, name), text, { mode: 0o755 });
    fs.chmodSync(path.join(tree, name), 0o755);
  }
});
afterAll(() => {
  fs.rmSync(tree, { recursive: true, force: true });
  fs.rmSync(markers, { recursive: true, force: true });
});

/** `rt` with its descriptor limit (soft and hard) lowered to `n` by the shell first. */
function withDescriptorLimit(rt: Runtime, n: number): Runtime {
  return {
    ...rt,
    command: (file, args) => {
      const c = rt.command(file, args);
      return { cmd: "sh", args: ["-c", `ulimit -n ${n} && exec "$0" "$@"`, c.cmd, ...c.args], env: c.env };
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Opens a TCP connection to loopback. */
function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true }, () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Connects, sends `data`, then resets the connection (SO_LINGER 0) at once. */
async function sendAndReset(port: number, data: string): Promise<void> {
  const socket = await connect(port);
  socket.on("error", () => {});
  socket.write(data);
  await sleep(20);
  socket.resetAndDestroy();
}

/** Resolves with every byte received once the server closes (or `timeoutMs` passed: `closed` false). */
function collectUntilClose(socket: net.Socket, timeoutMs: number): Promise<{ data: Buffer; closed: boolean; afterMs: number }> {
  const start = Date.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      resolve({ data: Buffer.concat(chunks), closed, afterMs: Date.now() - start });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on("data", (c) => chunks.push(c));
    socket.on("error", () => {});
    socket.on("end", () => finish(true));
    socket.on("close", () => finish(true));
  });
}

/** A log line with no client address, as Node (`""`) and Bun (`undefined`) used to write. */
const ADDRESSLESS = /^(?:undefined)? - - \[/m;

async function cli(rt: Runtime, args: string[]): Promise<RunningServer> {
  return startCli(rt, ["-b", "127.0.0.1", "-d", tree, ...args, "0"]);
}

for (const rt of runtimes()) {
  describe(`hardening [${rt.name}]`, () => {
    test("clients that reset before they are accepted are dropped, never logged without an address; the server keeps answering", async () => {
      const srv = await startServer(rt, { scenario: "echo", protocol: "HTTP/1.1" });
      try {
        // Block the server's event loop; the resets land while it cannot accept.
        const blocker = rawExchange(srv.port, "BLOCK /?ms=700 HTTP/1.1\r\nConnection: close\r\n\r\n");
        await srv.waitFor("stdout", /^BLOCKING$/m);
        await Promise.all([1, 2, 3].map(() => sendAndReset(srv.port, "GET /reset HTTP/1.1\r\nHost: x\r\n\r\n")));
        expect(parseResponse((await blocker).data).status).toBe(200);
        const after = await request(srv.port, "/after");
        expect(after.status).toBe(200);
        await srv.waitFor("stderr", /"GET \/after HTTP\/1\.0" 200/);
        expect(srv.stderr()).not.toMatch(ADDRESSLESS);
        expect(srv.stderr()).not.toContain('"GET /reset');
        // Deno's accept itself fails (ENOTCONN): logged once, then it goes on accepting.
        if (rt.name === "deno") expect(srv.stderr()).toMatch(/^- - - \[[^\]]+\] cannot accept connections: ENOTCONN .*; retrying$/m);
      } finally {
        await srv.stop();
      }
    });

    test("out of descriptors: an existing file that must be opened gets 503 with Retry-After, not 404; the server answers again once descriptors free up", async () => {
      const srv = await startCli(withDescriptorLimit(rt, 64), [
        "-b",
        "127.0.0.1",
        "-d",
        tree,
        "-p",
        "HTTP/1.1",
        "--max-connections",
        "0",
        "0",
      ]);
      const hogs: net.Socket[] = [];
      try {
        const kept = await RawSession.open(srv.port);
        kept.send("GET /medium.bin HTTP/1.1\r\nHost: x\r\n\r\n");
        expect((await kept.response()).status).toBe(200);
        // Take every descriptor the server has left (the rest wait in the backlog)…
        for (let i = 0; i < 100; i++) {
          const s = await connect(srv.port);
          s.on("error", () => {});
          hogs.push(s);
        }
        // …which the server has done once opening the file fails (asked again until then). While
        // the file is open the server sits at its limit, and libuv then accepts and closes the
        // connections waiting: once the file is closed one descriptor is free again, so each 200
        // is followed by one more connection to take it.
        let res = null;
        for (const end = Date.now() + 10_000; Date.now() < end && res?.status !== 503;) {
          kept.send("GET /medium.bin HTTP/1.1\r\nHost: x\r\n\r\n");
          res = await kept.response();
          expect([200, 503]).toContain(res.status);
          if (res.status === 200) {
            const s = await connect(srv.port);
            s.on("error", () => {});
            hogs.push(s);
            await sleep(10);
          }
        }
        expect(res?.status).toBe(503);
        expect(res?.reason).toBe("Service Unavailable");
        expect(res?.header("Retry-After")).toBe("1");
        for (const s of hogs) s.destroy();
        hogs.length = 0;
        // Once descriptors are back, new connections are served (within a back-off of at most 1 s).
        let status = 0;
        for (let i = 0; i < 20 && status !== 200; i++) {
          status = (await request(srv.port, "/medium.bin").catch(() => ({ status: 0 }))).status;
          if (status !== 200) await sleep(250);
        }
        expect(status).toBe(200);
        expect(srv.stderr()).toMatch(logLine("code 503, message Service Unavailable"));
        // Node (libuv) and Bun handle a failed accept themselves; Deno's adapter reports it.
        if (rt.name === "deno") expect(srv.stderr()).toMatch(/cannot accept connections: EMFILE .*; retrying$/m);
        expect(srv.stderr().match(/cannot accept connections/g)?.length ?? 0).toBeLessThan(5);
        kept.close();
      } finally {
        for (const s of hogs) s.destroy();
        await srv.stop();
      }
    });

    test("--max-connections: a connection over the cap is closed at once and logged once per burst; existing clients keep being served", async () => {
      const srv = await cli(rt, ["-p", "HTTP/1.1", "--max-connections", "3"]);
      try {
        const held = await Promise.all([1, 2, 3].map(() => RawSession.open(srv.port)));
        held[0].send("GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
        expect((await held[0].response()).status).toBe(200);
        for (let i = 0; i < 5; i++) {
          // Closed at once: an end of stream, or (Bun) a reset so early it fails the connect.
          const over = await connect(srv.port).catch((e: NodeJS.ErrnoException) => e.code ?? "error");
          if (typeof over === "string") {
            expect(over).toBe("ECONNRESET");
            continue;
          }
          const { data, closed } = await collectUntilClose(over, 5000);
          expect({ data: data.toString("latin1"), closed }).toEqual({ data: "", closed: true });
        }
        held[1].send("GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
        expect((await held[1].response()).status).toBe(200);
        expect(srv.stderr().match(/connection limit reached \(3 connections\): closing new connections$/gm)).toHaveLength(1);
        held[2].close();
        // Once the server has seen that close, a new connection is served again.
        let status = 0;
        for (let i = 0; i < 50 && status !== 200; i++) {
          status = (await request(srv.port, "/a.txt").catch(() => ({ status: 0 }))).status;
          if (status !== 200) await sleep(100);
        }
        expect(status).toBe(200);
        for (const s of held) s.close();
      } finally {
        await srv.stop();
      }
    });

    test("slowloris: heads trickling in or stalled past --headers-timeout get 408 and are closed, silent connections are closed without an answer, a normal client is served meanwhile", async () => {
      const srv = await cli(rt, ["--headers-timeout", "0.5"]);
      try {
        const trickling = await Promise.all(Array.from({ length: 20 }, () => connect(srv.port)));
        const silent = await Promise.all(Array.from({ length: 5 }, () => connect(srv.port)));
        // Whole lines, then nothing: the request line is read already, the head is not complete.
        const stalled = await Promise.all(Array.from({ length: 3 }, () => connect(srv.port)));
        for (const s of stalled) s.write("GET /stalled HTTP/1.1\r\nHost: x\r\n");
        const results = [...trickling, ...silent, ...stalled].map((s) => collectUntilClose(s, 8000));
        const head = "GET /a.txt HTTP/1.1\r\nHost: x\r\nX-Pad: " + "y".repeat(100);
        let i = 0;
        const drip = setInterval(() => {
          for (const s of trickling) if (!s.destroyed) s.write(head[i % head.length]);
          i++;
        }, 50);
        await sleep(200);
        const normal = await request(srv.port, "/a.txt");
        expect(normal.status).toBe(200);
        const done = await Promise.all(results);
        clearInterval(drip);
        for (const r of done.slice(0, 20)) {
          expect(r.closed).toBe(true);
          expect(r.data.toString("latin1")).toMatch(/^HTTP\/1\.0 408 Request Timeout\r\n[\s\S]*Connection: close\r\n/);
        }
        for (const r of done.slice(20, 25)) expect({ closed: r.closed, data: r.data.length }).toEqual({ closed: true, data: 0 });
        for (const r of done.slice(25)) {
          expect(r.closed).toBe(true);
          expect(r.data.toString("latin1")).toMatch(/^HTTP\/1\.0 408 Request Timeout\r\n/);
        }
        // Logged by the time the connections closed, or a moment later (a log line is written at
        // the end of the event-loop turn).
        await srv.waitFor("stderr", logLine('"GET /stalled HTTP/1.1" 408 -'), 5000);
        expect(srv.stderr()).toMatch(logLine('"" 408 -'));
        expect(srv.stderr()).toMatch(logLine("code 408, message Request Timeout"));
      } finally {
        await srv.stop();
      }
    });

    test("--keep-alive-timeout: an idle persistent connection is closed after it; one in use is not", async () => {
      const srv = await cli(rt, ["-p", "HTTP/1.1", "--keep-alive-timeout", "0.4"]);
      try {
        const idle = await RawSession.open(srv.port);
        idle.send("GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
        expect((await idle.response()).status).toBe(200);
        const busy = await RawSession.open(srv.port);
        // A request every 150 ms for 1.2 s: never idle for 0.4 s.
        for (let k = 0; k < 8; k++) {
          busy.send("GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
          expect((await busy.response()).status).toBe(200);
          await sleep(150);
        }
        expect(busy.closed).toBe(false);
        expect(await idle.waitClosed(3000)).toBe(true);
        expect(idle.buffered.length).toBe(0);
        busy.close();
      } finally {
        await srv.stop();
      }
    });

    test("--request-timeout: a request body that stalls gets 408 and the connection closes", async () => {
      const srv = await startServer(rt, { scenario: "echo", limits: { requestTimeout: 0.5 } });
      try {
        const session = await RawSession.open(srv.port);
        session.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789");
        const res = await session.response({ timeoutMs: 5000 });
        expect(res.status).toBe(408);
        expect(res.reason).toBe("Request Timeout");
        expect(res.body.toString()).toContain("The request body stalled for more than 0.5 s.");
        expect(await session.waitClosed(3000)).toBe(true);
        await srv.waitFor("stderr", logLine("code 408, message Request Timeout"));
      } finally {
        await srv.stop();
      }
    });

    test("--send-timeout: a client that never reads is aborted and logged; a slow client that reads is not", async () => {
      const srv = await cli(rt, ["--send-timeout", "1"]);
      try {
        const stuck = await connect(srv.port);
        stuck.pause(); // never reads
        stuck.write("GET /big.bin HTTP/1.0\r\n\r\n");
        const stuckEnd = new Promise<number>((resolve) => {
          const start = Date.now();
          stuck.on("error", () => {});
          stuck.on("close", () => resolve(Date.now() - start));
          stuck.on("end", () => resolve(Date.now() - start));
        });
        // Meanwhile a slow reader: 16 MiB, pausing 100 ms after each MiB. (Progress is the kernel
        // taking more of the response, which it reports once half its send buffer is free, as
        // nginx's send_timeout sees it: a reader must free that much within the limit.)
        const slow = await connect(srv.port);
        slow.write("GET /big.bin HTTP/1.0\r\n\r\n");
        let got = 0;
        const slowDone = new Promise<void>((resolve) => {
          slow.on("data", (c: Buffer) => {
            got += c.length;
            if (got >= 16 * 1024 * 1024) return resolve();
            if (got % (1024 * 1024) < c.length) {
              slow.pause();
              setTimeout(() => slow.resume(), 100);
            }
          });
        });
        await srv.waitFor("stderr", logLine("Response aborted: no progress sending the response for 1 s"), 10_000);
        await slowDone;
        slow.destroy();
        expect(srv.stderr().match(/Response aborted/g)).toHaveLength(1);
        const normal = await request(srv.port, "/a.txt");
        expect(normal.status).toBe(200);
        // The stuck client's connection is gone (the server closed it; its unread bytes were dropped).
        stuck.resume();
        stuck.on("data", () => {});
        expect(await Promise.race([stuckEnd, sleep(10_000).then(() => -1)])).toBeGreaterThanOrEqual(0);
      } finally {
        await srv.stop();
      }
    });

    test("CGI: a malformed chunked body or one cut short kills the script before it sees an end of input; the client gets 400 and the reason is logged", async () => {
      const srv = await startCli(rt, ["-b", "127.0.0.1", "-d", tree, "--cgi", "0"]);
      try {
        // CPython's example of a broken chunked body: `0x5` is not a chunk-size.
        const bad = await rawExchange(
          srv.port,
          "POST /cgi-bin/consume.sh?chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0x5\r\nworld\r\n0\r\n\r\n",
        );
        const badRes = parseResponse(bad.data);
        expect(badRes.status).toBe(400);
        expect(badRes.reason).toBe("Bad chunked encoding");
        expect(bad.closed).toBe(true);
        // Cut short: 10 bytes of 100, then the client's FIN.
        const short = await rawExchange(
          srv.port,
          "POST /cgi-bin/consume.sh?short HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789",
          {
            halfClose: true,
          },
        );
        const shortRes = parseResponse(short.data);
        expect(shortRes.status).toBe(400);
        expect(shortRes.reason).toBe("Incomplete request body");
        await srv.waitFor(
          "stderr",
          logLine(
            "CGI script killed: Incomplete request body (The client closed the connection before the end of the message body (RFC 9112 §8).)",
          ),
        );
        await srv.waitFor("stderr", /CGI script killed: Bad chunked encoding \(Invalid chunked transfer coding: .*\)$/m);
        expect(srv.stderr().match(/CGI script exit code -9$/gm)?.length).toBe(2);
        // Neither script got to the end of its input (both were killed, as logged above).
        expect(fs.readdirSync(markers).filter((n) => n === "chunked" || n === "short")).toEqual([]);
        // A whole body still reaches the script.
        const good = await rawExchange(srv.port, "POST /cgi-bin/consume.sh?whole HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
        expect(parseResponse(good.data).body.toString()).toBe("got 5 bytes\n");
        expect(fs.readFileSync(path.join(markers, "whole"), "utf8")).toBe("hello");
      } finally {
        await srv.stop();
      }
    });

    test("log lines of a client that reset its connection carry the address captured at accept", async () => {
      const srv = await startCli(rt, ["-b", "127.0.0.1", "-d", tree, "--cgi", "0"]);
      try {
        const socket = await connect(srv.port);
        socket.on("error", () => {});
        socket.write("GET /cgi-bin/late-stderr.sh HTTP/1.0\r\n\r\n");
        await srv.waitFor("stderr", /"GET \/cgi-bin\/late-stderr\.sh HTTP\/1\.0" 200 -/);
        socket.resetAndDestroy();
        // The script is killed when its client goes; that line comes after the reset.
        await srv.waitFor("stderr", logLine("CGI script exit code -9"));
        expect(srv.stderr()).not.toMatch(ADDRESSLESS);
      } finally {
        await srv.stop();
      }
    });

    test("the directory redirect can never name another origin: `\\` is percent-encoded", async () => {
      const srv = await cli(rt, []);
      try {
        for (const [target, location] of [
          ["/\\evil.com/%2e%2e", "/%5Cevil.com/%2e%2e/"],
          ["/dir\\..\\..", null],
          ["/\\\\evil.com/%2e%2e?q=1", "/%5C%5Cevil.com/%2e%2e/?q=1"],
          ["//\\evil.com/..", "/%5Cevil.com/../"],
          ["/dir", "/dir/"],
        ] as const) {
          const res = await request(srv.port, target);
          if (location === null) {
            expect(res.status, target).toBe(404);
            continue;
          }
          expect(res.status, target).toBe(301);
          expect(res.header("Location"), target).toBe(location);
          const base = `http://127.0.0.1:${srv.port}/`;
          expect(new URL(res.header("Location")!, base).origin, target).toBe(new URL(base).origin);
        }
      } finally {
        await srv.stop();
      }
    });

    test("SIGTERM: the server stops accepting, lets a request in progress finish, and exits 0; --shutdown-timeout bounds the wait", async () => {
      const srv = await startCli(rt, ["-b", "127.0.0.1", "-d", tree, "--cgi", "0"]);
      const inFlight = rawExchange(srv.port, "GET /cgi-bin/sleep.sh?0.8 HTTP/1.0\r\n\r\n", { timeoutMs: 10_000 });
      await srv.waitFor("stderr", /"GET \/cgi-bin\/sleep\.sh\?0\.8 HTTP\/1\.0" 200 -/);
      const exit = srv.stop();
      const { data } = await inFlight;
      expect(data.toString()).toMatch(/^HTTP\/1\.0 200 Script output follows\r\n[\s\S]*\r\n\r\nslept\n$/);
      expect(await exit).toBe(0);

      const cut = await startCli(rt, ["-b", "127.0.0.1", "-d", tree, "--cgi", "--shutdown-timeout", "0.3", "0"]);
      const hanging = rawExchange(cut.port, "GET /cgi-bin/sleep.sh?30 HTTP/1.0\r\n\r\n", { timeoutMs: 10_000 });
      await cut.waitFor("stderr", /"GET \/cgi-bin\/sleep\.sh\?30 HTTP\/1\.0" 200 -/);
      const start = Date.now();
      expect(await cut.stop()).toBe(0);
      expect(Date.now() - start).toBeLessThan(8000);
      expect((await hanging).closed).toBe(true);
    });
  });
}
