/**
 * CGIHTTPRequestHandler and `httpserver --cgi` over real sockets, on every runtime, with shell and
 * Python scripts made here; the environment scripts see is compared with CPython 3.13's.
 * Spec: docs/cpython.md §5; the issue "CGIHTTPRequestHandler and --cgi"; deviations in
 * docs/deviations.md.
 */
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type RunningCommand, startCLI, startCommand } from "./support/cli.js";
import { RawSession, curl, json, parseResponse, rawExchange } from "./support/clients.js";
import { python313 } from "./support/cpython.js";
import { ROOT, runtimes } from "./support/runtimes.js";

/** A Python 3 that `nobody` can run (scripts run as nobody when the tests run as root). */
const PYTHON = ["/usr/bin/python3", "/usr/local/bin/python3"].find((p) => fs.existsSync(p)) ?? "/usr/bin/env python3";

/** 50 MiB of a 63-byte line repeated: what big.sh prints after its header. */
const BIG_SIZE = 50 * 1024 * 1024;
const BIG_LINE = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\n";

/** What cgi-bin/echo.py below prints, as JSON. */
interface CgiEcho {
  method: string;
  query: string;
  argv: string[];
  pathInfo: string;
  scriptName: string;
  contentType: string;
  length: number;
  sha256: string;
  head: string;
  uid: number;
  cwd: string;
}

const SCRIPTS: Record<string, string> = {
  "cgi-bin/env.sh": "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\nexec /usr/bin/env\n",
  "cgi-bin/sub/nested.sh": "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\nexec /usr/bin/env\n",
  "htbin/hi.sh": "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\nhi from htbin\\n'\n",
  "cgi-bin/echo.py": `#!${PYTHON}
import hashlib, json, os, sys
n = int(os.environ.get("CONTENT_LENGTH") or 0)
body = sys.stdin.buffer.read(n) if n else b""
info = {
    "method": os.environ["REQUEST_METHOD"], "query": os.environ["QUERY_STRING"], "argv": sys.argv[1:],
    "pathInfo": os.environ["PATH_INFO"], "scriptName": os.environ["SCRIPT_NAME"],
    "contentType": os.environ["CONTENT_TYPE"], "length": len(body), "sha256": hashlib.sha256(body).hexdigest(),
    "head": body[:64].decode("latin-1"), "uid": os.getuid(), "cwd": os.getcwd(),
}
sys.stdout.write("Content-Type: application/json\\r\\n\\r\\n" + json.dumps(info) + "\\n")
`,
  "cgi-bin/fail.sh": "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\npartial output\\n'\necho 'something went wrong' >&2\nexit 3\n",
  "cgi-bin/killed.sh": "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\nbefore the signal\\n'\nkill -TERM $$\n",
  "cgi-bin/big.sh": `#!/bin/sh\nprintf 'Content-Type: application/octet-stream\\r\\n\\r\\n'\nyes '${BIG_LINE.trimEnd()}' | head -c ${BIG_SIZE}\n`,
  "cgi-bin/hang.sh": "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\necho \"pid=$$\"\nexec sleep 120\n",
  "cgi-bin/flood.sh": "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\necho \"pid=$$\"\nexec yes flood\n",
  "cgi-bin/nointerp.sh": "#!/nonexistent/interpreter\necho never\n",
};

let tree: string;
beforeAll(() => {
  // Readable and traversable by nobody: scripts run as nobody when the tests run as root.
  tree = fs.mkdtempSync(path.join(os.tmpdir(), "httpserver-cgi-"));
  fs.chmodSync(tree, 0o755);
  for (const [name, text] of Object.entries(SCRIPTS)) {
    const file = path.join(tree, name);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
    fs.writeFileSync(file, text, { mode: 0o755 });
    fs.chmodSync(file, 0o755);
  }
  fs.writeFileSync(path.join(tree, "cgi-bin/noexec.sh"), "#!/bin/sh\necho source of noexec\n", { mode: 0o644 });
  fs.writeFileSync(path.join(tree, "hello.txt"), "hello\n", { mode: 0o644 });
});
afterAll(() => {
  if (tree !== undefined) fs.rmSync(tree, { recursive: true, force: true });
});

/** Sends one raw request and reads the response until the server closes. */
async function exchange(port: number, request: string | Buffer) {
  const { data, closed } = await rawExchange(port, request, { timeoutMs: 20_000 });
  expect(closed).toBe(true);
  return parseResponse(data);
}

/** The `KEY=value` lines of env.sh's output. */
function envOf(body: Buffer): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of body.toString("utf8").split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

/** True while a process with this id exists (a zombie counts until its parent reaps it). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Log lines `<client> - - [<date>] <message>` (the handler's log_message format). */
const logLine = (message: string) => new RegExp(`^127\\.0\\.0\\.1 - - \\[\\d\\d/\\w{3}/\\d{4} \\d\\d:\\d\\d:\\d\\d\\] ${message}$`, "m");

/** The error page's status line and message, as `send_error` sends them. */
function expectError(res: ReturnType<typeof parseResponse>, status: number, message: string) {
  expect(`${res.status} ${res.reason}`).toBe(`${status} ${message}`);
  expect(res.body.toString()).toContain(`<p>Message: ${message}.</p>`);
}

/** The CGI variables CPython 3.13 sets (its `run_cgi`), all compared except the three below. */
const CGI_KEYS = [
  "SERVER_SOFTWARE",
  "SERVER_NAME",
  "GATEWAY_INTERFACE",
  "SERVER_PROTOCOL",
  "SERVER_PORT",
  "REQUEST_METHOD",
  "PATH_INFO",
  "PATH_TRANSLATED",
  "SCRIPT_NAME",
  "QUERY_STRING",
  "REMOTE_ADDR",
  "REMOTE_HOST",
  "AUTH_TYPE",
  "REMOTE_USER",
  "CONTENT_TYPE",
  "CONTENT_LENGTH",
  "HTTP_REFERER",
  "HTTP_ACCEPT",
  "HTTP_USER_AGENT",
  "HTTP_COOKIE",
];
/** Differ by design: the software name, the server's name (no reverse lookup here), the port. */
const PER_SERVER = new Set(["SERVER_SOFTWARE", "SERVER_NAME", "SERVER_PORT"]);

const ENV_REQUESTS = [
  "GET /cgi-bin/env.sh/extra/p%41th?a+b=c%20d HTTP/1.0\r\nHost: x\r\nUser-Agent: test-agent/1.0\r\nAccept: text/html\r\nAccept: */*\r\n" +
    "Cookie: a=1\r\nCookie: b=2\r\nReferer: http://example.com/page\r\nAuthorization: Basic dXNlcjpwYXNz\r\n\r\n",
  "POST /cgi-bin/env.sh HTTP/1.0\r\nContent-Type: application/x-www-form-urlencoded; charset=utf-8\r\nContent-Length: 3\r\n\r\na=1",
  "GET /cgi-bin/sub/nested.sh/more/path?just+words HTTP/1.0\r\nAuthorization: Bearer abc\r\n\r\n",
  "GET /htbin/../cgi-bin/./env.sh HTTP/1.0\r\nContent-Type: text/csv\r\nAuthorization: Basic !!notbase64\r\n\r\n",
];

/** A secret in the server's environment, which scripts must not see. */
const SECRET = { HTTPSERVER_TEST_SECRET: "do-not-leak" };

let cpython: RunningCommand | undefined;
let cpythonPort = 0;
beforeAll(async () => {
  const cmd = startCommand("cpython", python313(), ["-u", "-m", "http.server", "--cgi", "-b", "127.0.0.1", "-d", tree, "0"], {
    ...process.env,
    ...SECRET,
  });
  cpython = cmd;
  cpythonPort = (await cmd.started).port;
});
afterAll(async () => {
  await cpython?.stop();
});

for (const rt of runtimes()) {
  describe(`httpserver --cgi [${rt.name}]`, () => {
    let cli: RunningCommand;
    let port = 0;
    beforeAll(async () => {
      cli = startCLI(rt, ["--cgi", "-b", "127.0.0.1", "-d", tree, "0"], SECRET);
      port = (await cli.started).port;
    });
    afterAll(async () => {
      expect(await cli.stop()).toBe(0);
    });

    test("GET with a query string: `200 Script output follows`, CPython's argv (the query as an argument only without `=`), run as nobody in the script's directory", async () => {
      const res = await exchange(port, "GET /cgi-bin/echo.py?name=value&x=1 HTTP/1.0\r\n\r\n");
      expect(`${res.version} ${res.status} ${res.reason}`).toBe("HTTP/1.0 200 Script output follows");
      expect(res.headers.map(([n]) => n)).toEqual(["Server", "Date", "Content-Type"]);
      expect(res.header("Server")).toMatch(new RegExp(`^SimpleHTTP/0\\.6 ${rt.sysVersion.source.slice(1, -1)}$`));
      const info = json<CgiEcho>(res.body);
      expect(info).toMatchObject({ method: "GET", query: "name=value&x=1", argv: [], pathInfo: "", scriptName: "/cgi-bin/echo.py" });
      expect(info.cwd).toBe(fs.realpathSync(path.join(tree, "cgi-bin")));
      if (process.getuid?.() === 0) expect(info.uid).toBe(65534);
      // No `=`: the query with `+` as space is the argument; no query at all gives an empty one.
      expect(json<CgiEcho>((await exchange(port, "GET /cgi-bin/echo.py?two+words HTTP/1.0\r\n\r\n")).body).argv).toEqual(["two words"]);
      expect(json<CgiEcho>((await exchange(port, "GET /cgi-bin/echo.py HTTP/1.0\r\n\r\n")).body).argv).toEqual([""]);
      await cli.waitForStderr(logLine(`"GET /cgi-bin/echo\\.py\\?name=value&x=1 HTTP/1\\.0" 200 -`));
    });

    test("POST with a body: the script reads it on stdin (5 MiB, byte-exact), with CONTENT_TYPE and CONTENT_LENGTH", async () => {
      const small = await exchange(
        port,
        "POST /cgi-bin/echo.py HTTP/1.0\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 9\r\n\r\nkey=value",
      );
      expect(json<CgiEcho>(small.body)).toMatchObject({
        method: "POST",
        length: 9,
        head: "key=value",
        contentType: "application/x-www-form-urlencoded",
      });
      const body = randomBytes(5 * 1024 * 1024);
      const head = `POST /cgi-bin/echo.py HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\n\r\n`;
      const res = await exchange(port, Buffer.concat([Buffer.from(head), body]));
      expect(res.status).toBe(200);
      const info = json<CgiEcho>(res.body);
      expect(info.length).toBe(body.length);
      expect(info.sha256).toBe(createHash("sha256").update(body).digest("hex"));
      // curl's POST too.
      const { stdout } = await curl(["--data-binary", "from curl", `http://127.0.0.1:${port}/cgi-bin/echo.py`]);
      expect(json<CgiEcho>(stdout)).toMatchObject({ method: "POST", head: "from curl", length: 9 });
    });

    test("PATH_INFO and nested directories: /cgi-bin/sub/nested.sh/more/p%41th runs nested.sh with PATH_INFO /more/pAth; /htbin works too", async () => {
      const env = envOf((await exchange(port, "GET /cgi-bin/sub/nested.sh/more/p%41th HTTP/1.0\r\n\r\n")).body);
      expect(env.SCRIPT_NAME).toBe("/cgi-bin/sub/nested.sh");
      expect(env.PATH_INFO).toBe("/more/pAth");
      expect(env.PATH_TRANSLATED).toBe(path.join(tree, "more/pAth"));
      const hi = await exchange(port, "GET /htbin/hi.sh HTTP/1.0\r\n\r\n");
      expect(hi.body.toString()).toBe("hi from htbin\n");
    });

    test("the environment: CPython 3.13's CGI variables with CPython's values, plus the server's PATH and nothing else of its environment", async () => {
      for (const request of ENV_REQUESTS) {
        const [ours, theirs] = await Promise.all([exchange(port, request), exchange(cpythonPort, request)]);
        expect(ours.status, request).toBe(200);
        expect(theirs.status, request).toBe(200);
        const env = envOf(ours.body);
        const reference = envOf(theirs.body);
        for (const key of CGI_KEYS) {
          if (!PER_SERVER.has(key)) expect([key, env[key]], request).toEqual([key, reference[key]]);
        }
        expect(env.SERVER_SOFTWARE).toMatch(/^SimpleHTTP\/0\.6 /);
        expect(env.SERVER_PORT).toBe(String(port));
        expect(env.SERVER_NAME).toBe("127.0.0.1");
        expect(env.PATH).toBe(process.env.PATH);
        // /bin/sh adds PWD; CPython passes its whole environment, the secret included.
        const extra = Object.keys(env).filter((k) => !CGI_KEYS.includes(k) && k !== "PATH" && k !== "PWD");
        expect(extra, request).toEqual([]);
        expect(reference.HTTPSERVER_TEST_SECRET).toBe("do-not-leak");
      }
    });

    test("HEAD runs the script and sends its header fields without its body (RFC 9110 §9.3.2)", async () => {
      const { data } = await rawExchange(port, "HEAD /cgi-bin/echo.py?head HTTP/1.0\r\n\r\n", { timeoutMs: 20_000 });
      const text = data.toString("latin1");
      expect(text).toMatch(
        /^HTTP\/1\.0 200 Script output follows\r\nServer: [^\r]+\r\nDate: [^\r]+\r\nContent-Type: application\/json\r\n\r\n$/,
      );
      await cli.waitForStderr(logLine(`"HEAD /cgi-bin/echo\\.py\\?head HTTP/1\\.0" 200 -`));
    });

    test("errors with CPython's messages: missing → 404, not executable or a directory → 403, POST to a plain file → 501; files outside the CGI directories are served", async () => {
      expectError(await exchange(port, "GET /cgi-bin/missing.sh HTTP/1.0\r\n\r\n"), 404, "No such CGI script ('/cgi-bin/missing.sh')");
      expectError(
        await exchange(port, "GET /cgi-bin/noexec.sh HTTP/1.0\r\n\r\n"),
        403,
        "CGI script is not executable ('/cgi-bin/noexec.sh')",
      );
      expectError(
        await exchange(port, "POST /cgi-bin/sub HTTP/1.0\r\nContent-Length: 0\r\n\r\n"),
        403,
        "CGI script is not a plain file ('/cgi-bin/sub')",
      );
      expectError(await exchange(port, "POST /hello.txt HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi"), 501, "Can only POST to CGI scripts");
      const file = await exchange(port, "GET /hello.txt HTTP/1.0\r\n\r\n");
      expect(`${file.status} ${file.body.toString()}`).toBe("200 hello\n");
      await cli.waitForStderr(logLine("code 403, message CGI script is not executable \\('/cgi-bin/noexec\\.sh'\\)"));
    });

    test("a script's source is never served: `..` above the root gets 400, a fragment cannot hide a script", async () => {
      expectError(await exchange(port, "GET /../cgi-bin/noexec.sh HTTP/1.0\r\n\r\n"), 400, "Bad request path");
      // CPython 3.13 collapses this to /x (not CGI) but serves translate_path's /cgi-bin/noexec.sh.
      const fragment = await exchange(port, "GET /cgi-bin/noexec.sh#/../../x HTTP/1.0\r\n\r\n");
      expectError(fragment, 403, "CGI script is not executable ('/cgi-bin/noexec.sh')");
      expect(fragment.body.toString()).not.toContain("source of noexec");
    });

    test("a script that exits non-zero: its output is sent, its stderr and `CGI script exit code 3` are logged; a signal is logged as -15", async () => {
      const res = await exchange(port, "GET /cgi-bin/fail.sh HTTP/1.0\r\n\r\n");
      expect(`${res.status} ${res.body.toString()}`).toBe("200 partial output\n");
      await cli.waitForStderr(logLine("something went wrong"));
      await cli.waitForStderr(logLine("CGI script exit code 3"));
      const killed = await exchange(port, "GET /cgi-bin/killed.sh HTTP/1.0\r\n\r\n");
      expect(killed.body.toString()).toBe("before the signal\n");
      await cli.waitForStderr(logLine("CGI script exit code -15"));
    });

    test("a script that cannot be started (its interpreter is missing) gets 500 and one log line", async () => {
      expectError(await exchange(port, "GET /cgi-bin/nointerp.sh HTTP/1.0\r\n\r\n"), 500, "CGI script could not be started");
      await cli.waitForStderr(logLine("CGI script /cgi-bin/nointerp\\.sh could not be started: .+"));
    });

    test("50 MiB of script output is streamed to the client byte-exact", async () => {
      const expected = createHash("sha256");
      const line = Buffer.from(BIG_LINE);
      let left = BIG_SIZE;
      while (left > 0) {
        const n = Math.min(left, line.length);
        expected.update(n === line.length ? line : line.subarray(0, n));
        left -= n;
      }
      const { size, sha256, head } = await new Promise<{ size: number; sha256: string; head: string }>((resolve, reject) => {
        const socket = net.connect({ port, host: "127.0.0.1" }, () => socket.write("GET /cgi-bin/big.sh HTTP/1.0\r\n\r\n"));
        const hash = createHash("sha256");
        let pending: Buffer | null = Buffer.alloc(0);
        let head = "";
        let size = 0;
        socket.on("data", (chunk: Buffer) => {
          if (pending !== null) {
            pending = Buffer.concat([pending, chunk]);
            const end = pending.indexOf("\r\n\r\n");
            if (end < 0) return;
            head = pending.subarray(0, end).toString("latin1");
            chunk = pending.subarray(end + 4);
            pending = null;
          }
          size += chunk.length;
          hash.update(chunk);
        });
        socket.on("end", () => resolve({ size, sha256: hash.digest("hex"), head }));
        socket.on("error", reject);
      });
      expect(head).toMatch(/^HTTP\/1\.0 200 Script output follows\r\n[\s\S]*\r\nContent-Type: application\/octet-stream$/);
      expect(size).toBe(BIG_SIZE);
      expect(sha256).toBe(expected.digest("hex"));
    });

    test("a hanging script does not block other clients, and is ended when its client resets the connection", async () => {
      const hanging = await RawSession.open(port);
      hanging.send("GET /cgi-bin/hang.sh HTTP/1.0\r\n\r\n");
      const pid = Number(
        /pid=(\d+)\n/.exec((await hanging.take((b) => (/pid=\d+\n/.test(b.toString()) ? b.length : null), 20_000)).toString())![1],
      );
      expect(alive(pid)).toBe(true);
      // Meanwhile other clients are served: a script and a file.
      const other = await exchange(port, "GET /cgi-bin/echo.py?other=1 HTTP/1.0\r\n\r\n");
      expect(json<CgiEcho>(other.body).query).toBe("other=1");
      expect((await exchange(port, "GET /hello.txt HTTP/1.0\r\n\r\n")).body.toString()).toBe("hello\n");
      hanging.socket.resetAndDestroy();
      await expect.poll(() => alive(pid), { timeout: 15_000 }).toBe(false);
    });

    test("a script flooding stdout to a client that disconnects is killed (no orphan) and the server keeps serving", async () => {
      const flooded = await RawSession.open(port);
      flooded.send("GET /cgi-bin/flood.sh HTTP/1.0\r\n\r\n");
      const received = await flooded.take((b) => (b.length > 1024 * 1024 ? b.length : null), 20_000);
      const pid = Number(/pid=(\d+)\n/.exec(received.toString("latin1"))![1]);
      flooded.close();
      await expect.poll(() => alive(pid), { timeout: 15_000 }).toBe(false);
      expect((await exchange(port, "GET /hello.txt HTTP/1.0\r\n\r\n")).status).toBe(200);
    });

    test("-d with a relative directory: scripts still start, in their own directory, with an absolute PATH_TRANSLATED", async () => {
      const relative = startCLI(rt, ["--cgi", "-b", "127.0.0.1", "-d", path.relative(ROOT, tree), "0"]);
      try {
        const relativePort = (await relative.started).port;
        const info = json<CgiEcho>((await exchange(relativePort, "GET /cgi-bin/echo.py HTTP/1.0\r\n\r\n")).body);
        expect(info.cwd).toBe(fs.realpathSync(path.join(tree, "cgi-bin")));
        const env = envOf((await exchange(relativePort, "GET /cgi-bin/env.sh/x HTTP/1.0\r\n\r\n")).body);
        expect(path.resolve(env.PATH_TRANSLATED)).toBe(path.join(tree, "x"));
        expect(env.PATH_TRANSLATED.startsWith("/")).toBe(true);
      } finally {
        expect(await relative.stop()).toBe(0);
      }
    });

    test("the DeprecationWarning is printed once on stderr", () => {
      const warnings = cli
        .stderr()
        .match(/^DeprecationWarning: CGIHTTPRequestHandler \(--cgi\) is deprecated: .*Python 3\.15 removed it.*$/gm);
      expect(warnings).toHaveLength(1);
      expect(cli.stderr()).not.toMatch(/Exception occurred|Error:/);
    });
  });
}
