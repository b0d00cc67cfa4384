/**
 * HTTP/2 (RFC 9113) on every runtime, over TLS by ALPN and on cleartext by the preface, for every
 * kind of handler — SimpleHTTPRequestHandler, CGIHTTPRequestHandler, a BaseHTTPRequestHandler of
 * our own, fetch handlers — with real clients: curl, nghttp, Node's `http2` client, headless
 * Chromium; h2spec's cases ported to Python (tests/support/h2spec.py, Debian's hyperframe and
 * hpack) with the exact error codes; and the known attacks, each ending with the right GOAWAY
 * while the server goes on serving. Fixture: tests/fixtures/http2.ts.
 */
import * as fs from "node:fs";
import * as http2 from "node:http2";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { curl, run } from "./support/clients.js";
import { CHROMIUM_DEFAULT } from "./support/global-setup.js";
import { type RunningServer, runtimes, startProcess } from "./support/runtimes.js";
import { startCli } from "./support/simple.js";
import { type PKI, makePKI } from "./support/tls.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/http2.ts", import.meta.url));
const H2SPEC = fileURLToPath(new URL("./support/h2spec.py", import.meta.url));
const PY = "/usr/bin/python3";

/** A 4 MiB body whose bytes depend on their position. */
const BIG = Buffer.from(new Uint8Array(4 << 20).map((_, i) => (i * 7 + (i >> 12)) & 0xff));

let pki: PKI;
let site: string;
let browser: Browser | undefined;

beforeAll(async () => {
  pki = await makePKI();
  site = fs.mkdtempSync(path.join(os.tmpdir(), "httpserver-h2-"));
  // CGI scripts run as nobody when the server runs as root (as CPython's): the tree must be readable.
  fs.chmodSync(site, 0o755);
  fs.writeFileSync(path.join(site, "hello.txt"), "hello h2\n");
  fs.writeFileSync(path.join(site, "big.bin"), BIG);
  fs.writeFileSync(path.join(site, "style.css"), "body { color: red; }\n".repeat(200));
  fs.mkdirSync(path.join(site, "assets"));
  const scripts: string[] = [];
  for (let i = 0; i < 100; i++) {
    fs.writeFileSync(path.join(site, "assets", `s${i}.js`), `window.loaded = (window.loaded || 0) + 1; // ${"x".repeat(i * 10)}\n`);
    scripts.push(`<script src="/assets/s${i}.js"></script>`);
  }
  fs.writeFileSync(path.join(site, "page.html"), `<!DOCTYPE html><html><head>${scripts.join("")}</head><body>page</body></html>\n`);
  fs.mkdirSync(path.join(site, "cgi-bin"));
  fs.writeFileSync(
    path.join(site, "cgi-bin", "hello.sh"),
    "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\nX-CGI: yes\\r\\n\\r\\nhello from cgi %s\\n' \"$REQUEST_METHOD\"\n",
    {
      mode: 0o755,
    },
  );
}, 60_000);

afterAll(async () => {
  await browser?.close();
  fs.rmSync(site, { recursive: true, force: true });
});

/** Requests over one Node `http2` session; resolves with the status, fields and body. */
function request(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  body?: Buffer | string,
  trailers?: Record<string, string>,
): Promise<{ status: number; headers: http2.IncomingHttpHeaders; body: Buffer; trailers: http2.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: body === undefined, waitForTrailers: trailers !== undefined });
    if (trailers !== undefined) stream.on("wantTrailers", () => stream.sendTrailers(trailers));
    const chunks: Buffer[] = [];
    let head: http2.IncomingHttpHeaders = {};
    let tail: http2.IncomingHttpHeaders = {};
    stream.on("response", (h) => (head = h));
    stream.on("trailers", (t: http2.IncomingHttpHeaders) => (tail = t));
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => resolve({ status: Number(head[":status"]), headers: head, body: Buffer.concat(chunks), trailers: tail }));
    stream.on("error", reject);
    if (body !== undefined) stream.end(body);
  });
}

/** The RST_STREAM code a request ends with (0 when it ends normally). */
function resetCode(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders): Promise<number> {
  return new Promise((resolve) => {
    const stream = session.request(headers);
    stream.resume();
    stream.on("close", () => resolve(stream.rstCode ?? 0));
    stream.on("error", () => {});
  });
}

/** Runs the ported h2spec; resolves with its results by case. */
async function h2spec(port: number, args: string[] = []): Promise<{ id: string; result: string; detail: string }[]> {
  const { stdout, stderr } = await run(PY, [H2SPEC, "127.0.0.1", String(port), ...args], { timeoutMs: 180_000 });
  const lines = stdout.toString().trim().split("\n").filter(Boolean);
  if (lines.length === 0) throw new Error(`h2spec printed nothing: ${stderr}`);
  return lines.map((line) => JSON.parse(line) as { id: string; result: string; detail: string });
}

for (const rt of runtimes()) {
  describe(`HTTP/2 [${rt.name}]`, () => {
    let server: RunningServer;
    let clear: number;
    let secure: number;
    let fetchClear: number;
    let fetchSecure: number;
    const connect = (port: number, tls: boolean, options: http2.SecureClientSessionOptions = {}) =>
      http2.connect(tls ? `https://localhost:${port}` : `http://127.0.0.1:${port}`, { ca: fs.readFileSync(pki.ca), ...options });

    beforeAll(async () => {
      const options = {
        dir: site,
        certfile: pki.rsaChain,
        keyfile: pki.rsaKeyPkcs8,
        limits: { headersTimeout: 2, keepAliveTimeout: 5, sendTimeout: 3, shutdownTimeout: 2 },
      };
      server = await startProcess(rt, FIXTURE, [JSON.stringify(options)], undefined, /LISTENING (\d+ \d+ \d+ \d+)/);
      [clear, secure, fetchClear, fetchSecure] = server
        .stdout()
        .match(/LISTENING (\d+) (\d+) (\d+) (\d+)/)!
        .slice(1)
        .map(Number);
    }, 60_000);
    afterAll(async () => {
      await server?.stop();
    });

    test("curl: h2 over TLS by ALPN and by prior knowledge on cleartext; HTTP/1.1 on the same ports; Upgrade: h2c gets HTTP/1.1", async () => {
      const tls = await curl([
        "--cacert",
        pki.ca,
        "--http2",
        "-w",
        "\n%{http_version} %{http_code}",
        `https://localhost:${secure}/hello.txt`,
      ]);
      expect(tls.stdout.toString()).toBe("hello h2\n\n2 200");
      const h2c = await curl(["--http2-prior-knowledge", "-w", "\n%{http_version} %{http_code}", `http://127.0.0.1:${clear}/hello.txt`]);
      expect(h2c.stdout.toString()).toBe("hello h2\n\n2 200");
      const h1 = await curl(["--http1.1", "-w", "\n%{http_version}", `http://127.0.0.1:${clear}/hello.txt`]);
      expect(h1.stdout.toString()).toBe("hello h2\n\n1.1");
      const h1tls = await curl(["--cacert", pki.ca, "--http1.1", "-w", "\n%{http_version}", `https://localhost:${secure}/hello.txt`]);
      expect(h1tls.stdout.toString()).toBe("hello h2\n\n1.1");
      // curl --http2 on http:// asks for the deprecated Upgrade: h2c (RFC 9113 §3.1): answered as HTTP/1.1.
      const upgrade = await curl(["--http2", "-w", "\n%{http_version}", `http://127.0.0.1:${clear}/hello.txt`]);
      expect(upgrade.stdout.toString()).toBe("hello h2\n\n1.1");
      await server.waitFor("stderr", /"GET \/hello\.txt HTTP\/2\.0" 200 -[\s\S]*"GET \/hello\.txt HTTP\/2\.0" 200 -/);
    });

    test("SimpleHTTPRequestHandler over HTTP/2: a file, Range, If-None-Match, gzip, HEAD, a listing, 404", async () => {
      const session = connect(secure, true);
      try {
        const whole = await request(session, { ":path": "/big.bin" });
        expect(whole.status).toBe(200);
        expect(whole.headers["content-length"]).toBe(String(BIG.length));
        expect(whole.body.equals(BIG)).toBe(true);
        expect(whole.headers.connection).toBeUndefined();
        const range = await request(session, { ":path": "/big.bin", range: "bytes=100-199" });
        expect([range.status, range.headers["content-range"], range.body.equals(BIG.subarray(100, 200))]).toEqual([
          206,
          `bytes 100-199/${BIG.length}`,
          true,
        ]);
        const etag = whole.headers.etag as string;
        expect((await request(session, { ":path": "/big.bin", "if-none-match": etag })).status).toBe(304);
        const gz = await request(session, { ":path": "/style.css", "accept-encoding": "gzip" });
        expect(gz.headers["content-encoding"]).toBe("gzip");
        const { gunzipSync } = await import("node:zlib");
        expect(gunzipSync(gz.body).toString()).toBe("body { color: red; }\n".repeat(200));
        const head = await request(session, { ":path": "/hello.txt", ":method": "HEAD" });
        expect([head.status, head.headers["content-length"], head.body.length]).toEqual([200, "9", 0]);
        const listing = await request(session, { ":path": "/" });
        expect(listing.body.toString()).toContain('<a href="hello.txt">hello.txt</a>');
        expect((await request(session, { ":path": "/nothing" })).status).toBe(404);
      } finally {
        session.close();
      }
    });

    test("a handler of our own: body and trailers in; self-chunked body, raw head lines, sendError, exceptions; the log says HTTP/2.0", async () => {
      const session = connect(clear, false);
      try {
        const echo = await request(session, { ":method": "POST", ":path": "/echo?x=1", "x-test": "ok" }, "hello body", {
          "x-checksum": "abc",
        });
        const seen = JSON.parse(echo.body.toString()) as {
          requestVersion: string;
          requestline: string;
          headers: [string, string][];
          text: string;
          trailers: string[];
        };
        expect(seen.requestVersion).toBe("HTTP/2.0");
        expect(seen.requestline).toBe("POST /echo?x=1 HTTP/2.0");
        expect(seen.headers).toContainEqual(["host", `127.0.0.1:${clear}`]);
        expect(seen.headers).toContainEqual(["x-test", "ok"]);
        expect(seen.text).toBe("hello body");
        expect(seen.trailers).toEqual(["x-checksum", "abc"]);
        const chunked = await request(session, { ":path": "/chunked" });
        expect([chunked.body.toString(), chunked.headers["transfer-encoding"]]).toEqual(["first second third", undefined]);
        const raw = await request(session, { ":path": "/rawhead" });
        expect([raw.headers["x-raw"], raw.headers["content-type"], raw.body.toString()]).toEqual(["yes", "text/plain", "raw body\n"]);
        const tail = await request(session, { ":path": "/rawtail" });
        expect([tail.headers["x-raw"], tail.body.toString()]).toEqual(["tail", "no empty line"]);
        expect((await request(session, { ":path": "/boom" })).status).toBe(500);
        // A handler that answers nothing, or less than its Content-Length: the stream is reset.
        expect(await resetCode(session, { ":path": "/empty" })).toBe(http2.constants.NGHTTP2_INTERNAL_ERROR);
        expect(await resetCode(session, { ":path": "/short" })).toBe(http2.constants.NGHTTP2_INTERNAL_ERROR);
        // The connection goes on serving.
        expect((await request(session, { ":path": "/hello.txt" })).body.toString()).toBe("hello h2\n");
        await server.waitFor("stderr", /"POST \/echo\?x=1 HTTP\/2\.0" 200 -/);
        await server.waitFor("stderr", /Error: boom/);
      } finally {
        session.close();
      }
    });

    test("CGIHTTPRequestHandler over HTTP/2: the script's header lines become fields", async () => {
      const session = connect(secure, true);
      try {
        const get = await request(session, { ":path": "/cgi-bin/hello.sh" });
        expect([get.status, get.headers["x-cgi"], get.headers["content-type"], get.body.toString()]).toEqual([
          200,
          "yes",
          "text/plain",
          "hello from cgi GET\n",
        ]);
        const post = await request(session, { ":method": "POST", ":path": "/cgi-bin/hello.sh", "content-length": "3" }, "abc");
        expect(post.body.toString()).toBe("hello from cgi POST\n");
      } finally {
        session.close();
      }
    });

    test("flow control: 4 MiB down and 8 MiB up through 16 KiB windows, whole and in order", async () => {
      const session = connect(clear, false, { settings: { initialWindowSize: 16_384 } });
      try {
        const down = await request(session, { ":path": "/big.bin" });
        expect(down.body.equals(BIG)).toBe(true);
        const body = Buffer.concat([BIG, BIG]);
        const up = await request(session, { ":method": "PUT", ":path": "/echo", "content-length": String(body.length) }, body);
        const seen = JSON.parse(up.body.toString()) as { length: number; checksum: number };
        let checksum = 0;
        for (const byte of body) checksum = (checksum * 31 + byte) % 1_000_000_007;
        expect(seen).toMatchObject({ length: body.length, checksum });
      } finally {
        session.close();
      }
    });

    test("request content no handler reads gives its window back: 40 unread 60 KB bodies on one connection", async () => {
      const session = connect(clear, false);
      const errors: Error[] = [];
      session.on("error", (error: Error) => errors.push(error));
      try {
        // The body arrives while the handler waits, and is never read: 2.4 MB against a 1 MiB window.
        for (let i = 0; i < 40; i++) {
          const answer = await request(session, { ":method": "POST", ":path": "/slow?ms=20" }, BIG.subarray(0, 60_000));
          expect(answer.status).toBe(200);
        }
        // The connection's window is whole again: a body the handler reads gets through.
        const echo = await request(session, { ":method": "PUT", ":path": "/echo" }, BIG.subarray(0, 100_000));
        expect(JSON.parse(echo.body.toString())).toMatchObject({ length: 100_000 });
        expect(errors).toEqual([]);
      } finally {
        session.close();
      }
    });

    test("100 streams of one connection are served at once (each its own handler)", async () => {
      const session = connect(secure, true);
      try {
        const all = await Promise.all(Array.from({ length: 100 }, () => request(session, { ":path": "/barrier?n=100" })));
        expect(all.map((r) => r.status)).toEqual(Array(100).fill(200));
      } finally {
        session.close();
      }
    });

    test("fetch handlers over HTTP/2 (TLS and cleartext): text, a stream, a request body, serveDir", async () => {
      for (const [port, tls] of [
        [fetchSecure, true],
        [fetchClear, false],
      ] as const) {
        const session = connect(port, tls);
        try {
          expect((await request(session, { ":path": "/hi" })).body.toString()).toBe("Hello from GET /hi\n");
          expect((await request(session, { ":path": "/stream" })).body.toString()).toBe("chunk 0\nchunk 1\nchunk 2\n");
          const echo = await request(session, { ":method": "POST", ":path": "/echo" }, BIG.subarray(0, 1 << 20));
          expect(JSON.parse(echo.body.toString())).toMatchObject({ method: "POST", length: 1 << 20 });
          const file = await request(session, { ":path": "/files/big.bin" });
          expect([file.status, file.body.equals(BIG)]).toEqual([200, true]);
        } finally {
          session.close();
        }
      }
      await server.waitFor("stderr", /"GET \/files\/big\.bin HTTP\/2\.0" 200 -/);
    });

    test("nghttp: ten requests on one connection, one log line each", async () => {
      const urls = Array.from({ length: 10 }, (_, i) => `http://127.0.0.1:${clear}/assets/s${i}.js`);
      const { code, stderr } = await run("nghttp", ["-n", ...urls]);
      expect([code, stderr]).toEqual([0, ""]);
      for (let i = 0; i < 10; i++) await server.waitFor("stderr", new RegExp(`"GET /assets/s${i}\\.js HTTP/2\\.0" 200 -`));
    });

    test("h2spec's 147 cases, ported, with the exact error codes: all pass over TLS; on cleartext, an invalid preface is HTTP/1's 400", async () => {
      const tls = await h2spec(secure, ["--tls"]);
      const failed = tls.filter((r) => r.result !== "pass");
      expect(failed).toEqual([]);
      expect(tls).toHaveLength(147);
      const plain = await h2spec(clear);
      expect(plain.filter((r) => r.result !== "pass").map((r) => r.id)).toEqual(["http2/3.5/2"]);
      const bad = await curl(["-w", "%{http_code}", "-o", "/dev/null", "--request-target", "*", "-X", "PRI", `http://127.0.0.1:${clear}/`]);
      expect(bad.stdout.toString()).not.toBe("200");
    }, 120_000);

    test("attacks (RFC 9113 §10.5): rapid reset, MadeYouReset, CONTINUATION, HPACK bomb, floods, no preface — each closed with its code; the server serves on", async () => {
      const results = await h2spec(clear, ["--attacks"]);
      expect(results.filter((r) => r.result !== "pass")).toEqual([]);
      expect(results.map((r) => r.id)).toHaveLength(9);
      // The HPACK bomb's 431 is logged with the request line its pseudo-header fields gave.
      await server.waitFor("stderr", /"GET \/ HTTP\/2\.0" 431 -/);
      const after = await curl(["--http2-prior-knowledge", `http://127.0.0.1:${clear}/hello.txt`]);
      expect(after.stdout.toString()).toBe("hello h2\n");
    }, 120_000);

    test("headless Chromium loads a page and its 100 scripts over one h2 connection (TLS)", async () => {
      browser ??= await chromium.launch({
        executablePath: process.env.CHROMIUM_PATH ?? CHROMIUM_DEFAULT,
        args: ["--ignore-certificate-errors"],
      });
      const page = await browser.newPage({ ignoreHTTPSErrors: true });
      try {
        await page.goto(`https://localhost:${secure}/page.html`);
        await page.waitForFunction(() => (window as unknown as { loaded?: number }).loaded === 100);
        const protocols = await page.evaluate(() =>
          [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")].map(
            (e) => (e as PerformanceResourceTiming).nextHopProtocol,
          ),
        );
        // The page, its 100 scripts (and the favicon, when Chromium asks for it).
        expect(protocols.length).toBeGreaterThanOrEqual(101);
        expect(new Set(protocols)).toEqual(new Set(["h2"]));
        for (let i = 0; i < 100; i += 33) await server.waitFor("stderr", new RegExp(`"GET /assets/s${i}\\.js HTTP/2\\.0" 200 -`));
      } finally {
        await page.close();
      }
    });
  });

  describe(`HTTP/2 shutdown [${rt.name}]`, () => {
    test("SIGTERM: GOAWAY, and a download under way finishes", async () => {
      const cli = await startCli(rt, ["--bind", "127.0.0.1", "-d", site, "0"]);
      const session = http2.connect(`http://127.0.0.1:${cli.port}`, { settings: { initialWindowSize: 65_535 } });
      try {
        let goaway = false;
        session.on("goaway", () => (goaway = true));
        const stream = session.request({ ":path": "/big.bin" });
        const chunks: Buffer[] = [];
        stream.pause();
        await new Promise((resolve) => stream.once("response", resolve));
        cli.child.kill("SIGTERM");
        await new Promise((resolve) => setTimeout(resolve, 300));
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.resume();
        await new Promise((resolve) => stream.on("end", resolve));
        expect(goaway).toBe(true);
        expect(Buffer.concat(chunks).equals(BIG)).toBe(true);
        expect(await cli.exited).toBe(0);
      } finally {
        session.destroy();
        await cli.stop();
      }
    });
  });
}
