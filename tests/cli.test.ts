/**
 * The `httpserver` command as a real process on every runtime (tests/fixtures/cli.ts runs
 * `main(argv, platform)` on the runtime's adapter): usage errors, help, the startup line, signals,
 * bind and directory failures, and what -p, --content-type and -H do to responses.
 *
 * Usage and help texts are CPython's, taken from packages/core/test/fixtures/cpython-cli/cases.json
 * (written by CPython; packages/core/test/cliargs.test.ts checks the parser against every case in
 * process). Here a few of them go through real processes: the output streams and exit codes.
 * Spec: docs/cpython.md §7; deviations in docs/deviations.md ("Command line").
 */
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { RawSession, parseResponse, rawExchange, run } from "./support/clients.js";
import { type Runtime, ROOT, runtimes } from "./support/runtimes.js";
import { CLI_FIXTURE, logLine, request, startCli } from "./support/simple.js";
import { FILES, type Tree, makeTree, removeTree } from "./support/tree.js";

interface CliCase {
  argv: string[];
  exit: number;
  stdout: string;
  stderr: string;
}
const CASES = (
  JSON.parse(fs.readFileSync(path.join(ROOT, "packages/core/test/fixtures/cpython-cli/cases.json"), "utf8")) as { cases: CliCase[] }
).cases;
const cpythonCase = (...argv: string[]): CliCase => {
  const c = CASES.find((k) => JSON.stringify(k.argv) === JSON.stringify(argv));
  if (c === undefined) throw new Error(`no CPython case ${JSON.stringify(argv)} in cases.json`);
  return c;
};
/** CPython's usage block (what precedes `httpserver: error:` in every usage error). */
const USAGE = cpythonCase("abc").stderr.replace(/httpserver: error: .*\n$/, "");

/** Runs `httpserver <argv>` under `rt` to its end. */
function runCli(rt: Runtime, argv: string[], timeoutMs = 20_000) {
  const { cmd, args, env } = rt.command(CLI_FIXTURE, argv);
  return run(cmd, args, { env, timeoutMs }).then((r) => ({ ...r, stdout: r.stdout.toString("utf8") }));
}

/** Resolves with the error code of connecting to `port` on `host` (or "connected"). */
function connectResult(port: number, host: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once("connect", () => (socket.destroy(), resolve("connected")));
    socket.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
  });
}

let tree: Tree;
beforeAll(() => {
  tree = makeTree();
});
afterAll(() => removeTree(tree));

for (const rt of runtimes()) {
  describe(`httpserver usage [${rt.name}]`, () => {
    test("-h and --help print CPython's help on stdout and exit 0", async () => {
      for (const flag of ["-h", "--help"]) {
        const want = cpythonCase(flag);
        const got = await runCli(rt, [flag]);
        expect({ exit: got.code, stdout: got.stdout, stderr: got.stderr }).toEqual({ exit: 0, stdout: want.stdout, stderr: "" });
      }
      expect(cpythonCase("-h").stdout).toContain("[-H HEADER]");
      expect(cpythonCase("-h").stdout).toContain("--content-type CONTENT_TYPE");
    });

    test("usage errors print CPython's usage and error line on stderr, nothing on stdout, and exit 2", async () => {
      const argvs = [
        ["abc"],
        ["80.5"],
        ["8000", "9000"],
        ["--unknown-flag"],
        ["-x"],
        ["--he"],
        ["-b"],
        ["-H"],
        ["-H", "novalue"],
        ["-H", ": v"],
        ["--tls-key", "key.pem"],
        ["--tls-password-file", "pw.txt"],
        ["--cgi=yes"],
      ];
      const results = await Promise.all(argvs.map((argv) => runCli(rt, argv)));
      argvs.forEach((argv, i) => {
        const want = cpythonCase(...argv);
        expect(want.exit, JSON.stringify(argv)).toBe(2);
        expect({ exit: results[i].code, stdout: results[i].stdout, stderr: results[i].stderr }, JSON.stringify(argv)).toEqual({
          exit: 2,
          stdout: "",
          stderr: want.stderr,
        });
      });
    });

    test("a port out of range is a usage error (docs/deviations.md: CPython wraps it)", async () => {
      for (const port of ["70000", "65536", "-1"]) {
        const got = await runCli(rt, [port]);
        expect(got.code, port).toBe(2);
        expect(got.stdout, port).toBe("");
        expect(got.stderr, port).toBe(`${USAGE}httpserver: error: argument port: ${port} is not in the range 0-65535\n`);
      }
    });
  });

  describe(`httpserver serving [${rt.name}]`, () => {
    test("-b 127.0.0.1: the startup line exactly on stdout, log lines on stderr; Ctrl-C (SIGINT) prints 'Keyboard interrupt received, exiting.' and exits 0", async () => {
      const srv = await startCli(rt, ["0", "-b", "127.0.0.1", "-d", tree.root]);
      const line = `Serving HTTP on 127.0.0.1 port ${srv.port} (http://127.0.0.1:${srv.port}/) ...\n`;
      try {
        expect(srv.stdout()).toBe(line);
        const res = await fetch(`http://127.0.0.1:${srv.port}/a.txt`);
        expect(await res.text()).toBe(FILES["a.txt"]);
        await srv.waitFor("stderr", logLine('"GET /a.txt HTTP/1.1" 200 -'));
        srv.child.kill("SIGINT");
        expect(await srv.exited).toBe(0);
        expect(srv.stdout()).toBe(`${line}\nKeyboard interrupt received, exiting.\n`);
        expect(srv.stderr()).toMatch(/^127\.0\.0\.1 - - \[[^\]]+\] "GET \/a\.txt HTTP\/1\.1" 200 -\n$/);
        expect(await connectResult(srv.port, "127.0.0.1")).toBe("ECONNREFUSED");
      } finally {
        await srv.stop();
      }
    });

    test("Ctrl-C right after the startup line still exits 0 with the message (the handlers are in before the line)", async () => {
      const srv = await startCli(rt, ["0", "-b", "127.0.0.1", "-d", tree.root]);
      srv.child.kill("SIGINT");
      expect(await srv.exited).toBe(0);
      expect(srv.stdout()).toMatch(/\.\.\.\n\nKeyboard interrupt received, exiting\.\n$/);
    });

    test("-p HTTP/1.1 keeps the connection for several requests; SIGTERM, with a client connected, closes the listener and exits 0 silently", async () => {
      const srv = await startCli(rt, ["0", "-b", "127.0.0.1", "-p", "HTTP/1.1", "-d", tree.root]);
      try {
        const session = await RawSession.open(srv.port);
        for (const [target, status] of [
          ["/a.txt", 200],
          ["/sub/", 200],
          ["/sub", 301],
          ["/withindex/", 200],
        ] as const) {
          session.send(`GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`);
          const res = await session.response();
          expect(res.version, target).toBe("HTTP/1.1");
          expect(res.status, target).toBe(status);
        }
        expect(session.closed).toBe(false);
        // A 404 ends the connection, as in CPython (send_error adds Connection: close).
        session.send("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
        expect((await session.response()).header("Connection")).toBe("close");
        expect(await session.waitClosed()).toBe(true);
        const idle = await RawSession.open(srv.port);
        idle.send("GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
        expect((await idle.response()).status).toBe(200);
        srv.child.kill("SIGTERM");
        expect(await srv.exited).toBe(0);
        idle.close();
        expect(srv.stdout()).toBe(`Serving HTTP on 127.0.0.1 port ${srv.port} (http://127.0.0.1:${srv.port}/) ...\n`);
        expect(await connectResult(srv.port, "127.0.0.1")).toBe("ECONNREFUSED");
      } finally {
        await srv.stop();
      }
    });

    test("-b ::1: the startup line brackets the address in the URL; served over IPv6", async () => {
      const srv = await startCli(rt, ["0", "-b", "::1", "-d", tree.root]);
      try {
        expect(srv.stdout()).toBe(`Serving HTTP on ::1 port ${srv.port} (http://[::1]:${srv.port}/) ...\n`);
        expect(await (await fetch(`http://[::1]:${srv.port}/a.txt`)).text()).toBe(FILES["a.txt"]);
        await srv.waitFor("stderr", logLine('"GET /a.txt HTTP/1.1" 200 -', "::1"));
        expect(await connectResult(srv.port, "127.0.0.1")).toBe("ECONNREFUSED");
      } finally {
        await srv.stop();
      }
    });

    test("without -b: dual-stack on ::, reached over IPv4 and IPv6; the directory defaults to the working directory", async () => {
      // The working directory (the repository, where the runtime finds tsx) is served.
      const srv = await startCli(rt, ["0"]);
      const port = srv.port;
      try {
        expect(srv.stdout()).toBe(`Serving HTTP on :: port ${port} (http://[::]:${port}/) ...\n`);
        const readme = fs.readFileSync(path.join(ROOT, "README.md"));
        for (const host of ["127.0.0.1", "[::1]"]) {
          const res = await fetch(`http://${host}:${port}/README.md`);
          expect(res.status, host).toBe(200);
          expect(Buffer.from(await res.arrayBuffer()).equals(readme), host).toBe(true);
        }
        await srv.waitFor("stderr", logLine('"GET /README.md HTTP/1.1" 200 -', "::ffff:127\\.0\\.0\\.1"));
      } finally {
        await srv.stop();
      }
    });

    test("a relative -d is taken from the working directory; the default -p HTTP/1.0 closes after each response", async () => {
      const srv = await startCli(rt, ["0", "-b", "127.0.0.1", "-d", path.relative(ROOT, tree.root)]);
      try {
        expect((await request(srv.port, "/sub/in.txt")).body.toString()).toBe(FILES["sub/in.txt"]);
        const { data, closed } = await rawExchange(srv.port, "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
        expect(parseResponse(data).version).toBe("HTTP/1.0");
        expect(parseResponse(data).body.toString()).toBe(FILES["a.txt"]);
        expect(closed).toBe(true);
      } finally {
        await srv.stop();
      }
    });

    test("a port in use: one line on stderr, nothing on stdout, exit 1", async () => {
      const blocker = net.createServer();
      await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
      const { port } = blocker.address() as net.AddressInfo;
      try {
        const got = await runCli(rt, [String(port), "-b", "127.0.0.1", "-d", tree.root]);
        expect(got.code).toBe(1);
        expect(got.stdout).toBe("");
        expect(got.stderr).toBe(`httpserver: error: cannot listen on 127.0.0.1 port ${port}: [Errno 98] Address already in use\n`);
      } finally {
        blocker.close();
      }
    });

    test("an address that cannot be bound: one line on stderr, exit 1", async () => {
      const got = await runCli(rt, ["0", "-b", "192.0.2.1", "-d", tree.root]);
      expect(got.code).toBe(1);
      expect(got.stdout).toBe("");
      expect(got.stderr).toBe("httpserver: error: cannot listen on 192.0.2.1 port 0: [Errno 99] Cannot assign requested address\n");
    });

    test("a missing directory, or a file as the directory: one line on stderr, exit 1", async () => {
      const missing = path.join(tree.base, "no-such-dir");
      const a = await runCli(rt, ["0", "-b", "127.0.0.1", "-d", missing]);
      expect({ code: a.code, stdout: a.stdout, stderr: a.stderr }).toEqual({
        code: 1,
        stdout: "",
        stderr: `httpserver: error: cannot serve ${JSON.stringify(missing)}: [Errno 2] No such file or directory\n`,
      });
      const file = path.join(tree.root, "a.txt");
      const b = await runCli(rt, ["0", "-b", "127.0.0.1", "-d", file]);
      expect({ code: b.code, stdout: b.stdout, stderr: b.stderr }).toEqual({
        code: 1,
        stdout: "",
        stderr: `httpserver: error: cannot serve ${JSON.stringify(file)}: [Errno 20] Not a directory\n`,
      });
    });

    test("--content-type and -H change the responses as documented", async () => {
      const srv = await startCli(rt, [
        "0",
        "-b",
        "127.0.0.1",
        "-d",
        tree.root,
        "--content-type",
        "text/plain; charset=utf-8",
        "-H",
        "X-A: 1",
        "-H",
        "  X-Pad  :   v  ",
        "--header=Set-Cookie: a=b",
        "-H",
        "Set-Cookie: c=d",
        "-H",
        "Content-Type: text/evil",
      ]);
      try {
        const noext = await request(srv.port, "/noext");
        // The raw head: the padding is stripped by the server, not by a parser here.
        const head = noext.raw.toString("latin1").split("\r\n\r\n")[0];
        expect(head).toMatch(
          /^HTTP\/1\.0 200 OK\r\nServer: SimpleHTTP\/0\.6 \S+\r\nDate: [^\r]+\r\nContent-type: text\/plain; charset=utf-8\r\nContent-Length: 13\r\nAccept-Ranges: bytes\r\nLast-Modified: [^\r]+\r\nETag: "[0-9a-f]+-d"\r\nX-A: 1\r\nX-Pad: v\r\nSet-Cookie: a=b\r\nSet-Cookie: c=d\r\nContent-Type: text\/evil$/,
        );
        expect((await request(srv.port, "/a.txt")).header("Content-type")).toBe("text/plain");
        const listing = await fetch(`http://127.0.0.1:${srv.port}/`);
        expect(listing.headers.get("X-A")).toBe("1");
        expect(listing.headers.getSetCookie()).toEqual(["a=b", "c=d"]);
        for (const target of ["/nope", "/sub"]) {
          const res = await request(srv.port, target);
          expect(res.header("X-A"), target).toBeUndefined();
          expect(res.header("Set-Cookie"), target).toBeUndefined();
        }
      } finally {
        await srv.stop();
      }
    });
  });
}
