/**
 * BaseHTTPRequestHandler, HTTPServer and ThreadingHTTPServer over real sockets, on every runtime.
 * Spec: docs/cpython.md §1–3 and §6; deviations in docs/deviations.md.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Echo, RawSession, curl, json, parseResponse, parseResponses, python, rawExchange } from "./support/clients.js";
import { normalize, startCPython } from "./support/cpython.js";
import { type RunningServer, runtimes, startServer } from "./support/runtimes.js";
import { errorPage } from "./support/simple.js";

const CRLF = "\r\n";

for (const rt of runtimes()) {
  describe(`persistent connections and pipelining [${rt.name}]`, () => {
    let srv: RunningServer;
    beforeAll(async () => {
      srv = await startServer(rt, { scenario: "echo", protocol: "HTTP/1.1" });
    });
    afterAll(() => srv?.stop());

    test("pipelined GET, Content-Length POST and chunked POST are answered in order on one connection (RFC 9112 §9.3.2)", async () => {
      const session = await RawSession.open(srv.port);
      session.send(
        "GET /one HTTP/1.1\r\nHost: a\r\n\r\n" +
          "POST /two HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello" +
          "POST /three HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n",
      );
      const bodies: Echo[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await session.response();
        expect(res.status).toBe(200);
        expect(res.version).toBe("HTTP/1.1");
        expect(res.header("Connection")).toBeUndefined();
        bodies.push(json(res.body));
      }
      expect(bodies.map((b) => [b.command, b.path, b.body])).toEqual([
        ["GET", "/one", ""],
        ["POST", "/two", "hello"],
        ["POST", "/three", "abcde"],
      ]);
      expect(bodies[2].trailers).toEqual(["X-Trailer", "t"]);
      // Still open: one more request, then Connection: close ends it.
      session.send("GET /four HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
      expect(json((await session.response()).body).path).toBe("/four");
      expect(await session.waitClosed()).toBe(true);
    });

    test("a body is never parsed as the next request, even when it looks like one (docs/cpython.md §1.3 hazard)", async () => {
      const smuggled = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n";
      const session = await RawSession.open(srv.port);
      session.send(`POST /outer HTTP/1.1\r\nHost: a\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`);
      session.send("GET /after HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
      const first = json((await session.response()).body);
      const second = json((await session.response()).body);
      expect(first.path).toBe("/outer");
      expect(first.body).toBe(smuggled);
      expect(second.path).toBe("/after");
      expect(await session.waitClosed()).toBe(true);
    });

    test("an unread request body is drained, so the next request still parses", async () => {
      const session = await RawSession.open(srv.port);
      // HEAD does not read the body; the connection must survive it.
      session.send("HEAD / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nignore this");
      session.send("GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
      expect((await session.response({ head: true })).status).toBe(200);
      expect(json((await session.response()).body).path).toBe("/next");
      session.close();
    });

    test("1,000 requests on one connection", async () => {
      const session = await RawSession.open(srv.port);
      for (let i = 0; i < 1000; i++) {
        session.send(`GET /r${i} HTTP/1.1\r\nHost: a\r\n\r\n`);
        const res = await session.response();
        expect(res.status).toBe(200);
        expect(json(res.body).path).toBe(`/r${i}`);
      }
      expect(session.closed).toBe(false);
      session.close();
    });

    test("HTTP/1.0 request closes unless it asks for keep-alive (docs/cpython.md §1.3)", async () => {
      const plain = await rawExchange(srv.port, "GET /a HTTP/1.0\r\n\r\n");
      expect(plain.closed).toBe(true);
      expect(parseResponse(plain.data).status).toBe(200);
      const session = await RawSession.open(srv.port);
      session.send("GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
      expect((await session.response()).status).toBe(200);
      session.send("GET /c HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
      expect(json((await session.response()).body).path).toBe("/c");
      session.close();
    });

    test("Connection is read as a token list: `keep-alive, close` closes (RFC 9112 §9.6)", async () => {
      const { data, closed } = await rawExchange(srv.port, "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, close\r\n\r\n");
      expect(parseResponse(data).status).toBe(200);
      expect(closed).toBe(true);
    });

    test("a response without Content-Length on a persistent connection closes it, with Connection: close, so no client hangs", async () => {
      const session = await RawSession.open(srv.port);
      session.send("NOLENGTH / HTTP/1.1\r\nHost: a\r\n\r\n");
      expect(await session.waitClosed()).toBe(true);
      const res = parseResponse(session.buffered);
      expect(res.status).toBe(200);
      expect(res.header("Connection")).toBe("close");
      expect(res.body.toString()).toBe("no length here\n");
    });

    test("a handler's Connection: keep-alive keeps the connection (CPython test_return_header_keep_alive)", async () => {
      const session = await RawSession.open(srv.port);
      session.send("KEEP / HTTP/1.1\r\nHost: a\r\n\r\n");
      expect((await session.response()).status).toBe(204);
      session.send("GET /again HTTP/1.1\r\nHost: a\r\n\r\n");
      expect((await session.response()).status).toBe(200);
      session.close();
    });

    test("curl reuses the connection for two URLs", async () => {
      const url = `http://127.0.0.1:${srv.port}`;
      const { code, stdout, stderr } = await curl(["-v", `${url}/x`, `${url}/y`]);
      expect(code).toBe(0);
      expect(stdout.toString()).toContain('"path":"/x"');
      expect(stdout.toString()).toContain('"path":"/y"');
      expect(stderr).toMatch(/Re-using existing connection|Reusing existing/);
    });

    test("Python's http.client keeps one connection for three requests", async () => {
      const { code, stdout, stderr } = await python(`
import http.client, json
c = http.client.HTTPConnection("127.0.0.1", ${srv.port})
socks = set()
for i in range(3):
    c.request("POST", f"/p{i}", body=b"x" * i)
    r = r2 = c.getresponse()
    socks.add(id(c.sock))
    print(r.version, r.status, json.loads(r.read())["body"])
print(len(socks))
`);
      expect(stderr).toBe("");
      expect(code).toBe(0);
      expect(stdout.toString().trim().split("\n")).toEqual(["11 200 ", "11 200 x", "11 200 xx", "1"]);
    });

    test("the Server field names the runtime: `BaseHTTP/0.6 <Runtime>/<version>` (sysVersion)", async () => {
      const res = parseResponse((await rawExchange(srv.port, "GET / HTTP/1.0\r\n\r\n")).data);
      const [software, sys] = res.header("Server")!.split(" ");
      expect(software).toBe("BaseHTTP/0.6");
      expect(sys).toMatch(rt.sysVersion);
    });

    test("Node's fetch gets the echoed body", async () => {
      const res = await fetch(`http://127.0.0.1:${srv.port}/fetch?q=1`, { method: "POST", body: "from fetch" });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ command: "POST", path: "/fetch?q=1", body: "from fetch", requestVersion: "HTTP/1.1" });
    });

    test("a leading // in the request-target is collapsed in path, not in requestline (gh-87389)", async () => {
      const res = parseResponse((await rawExchange(srv.port, "GET ////a//b HTTP/1.0\r\n\r\n")).data);
      expect(json(res.body)).toMatchObject({ path: "/a//b", requestline: "GET ////a//b HTTP/1.0" });
    });
  });

  describe(`Expect: 100-continue [${rt.name}]`, () => {
    let srv: RunningServer;
    let refusing: RunningServer;
    beforeAll(async () => {
      [srv, refusing] = await Promise.all([
        startServer(rt, { scenario: "echo", protocol: "HTTP/1.1" }),
        startServer(rt, { scenario: "refuse100", protocol: "HTTP/1.1" }),
      ]);
    });
    afterAll(() => Promise.all([srv.stop(), refusing.stop()]));

    test("raw: `100 Continue` comes before the body is sent, then the final response (RFC 9110 §10.1.1)", async () => {
      const session = await RawSession.open(srv.port);
      session.send("PUT /up HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
      const interim = await session.take((b) => (b.indexOf("\r\n\r\n") >= 0 ? b.indexOf("\r\n\r\n") + 4 : null));
      expect(interim.toString()).toBe("HTTP/1.1 100 Continue\r\n\r\n");
      session.send("12345");
      const res = await session.response();
      expect(res.status).toBe(200);
      expect(json(res.body).body).toBe("12345");
      session.close();
    });

    test("curl sends the body after `100 Continue`", async () => {
      const body = "z".repeat(3000);
      const { code, stdout, stderr } = await curl([
        "-v",
        "-H",
        "Expect: 100-continue",
        "--data-binary",
        body,
        `http://127.0.0.1:${srv.port}/c`,
      ]);
      expect(code).toBe(0);
      expect(stderr).toContain("HTTP/1.1 100 Continue");
      expect(json(stdout).body).toBe(body);
    });

    test("HTTP/1.0 never gets an interim response (RFC 9110 §15.2)", async () => {
      const session = await RawSession.open(srv.port);
      session.send("POST /old HTTP/1.0\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nok");
      const res = await session.response();
      expect(res.status).toBe(200);
      expect(res.raw.toString()).not.toContain("100 Continue");
      session.close();
    });

    test("an overridden handleExpect100 answers 417 and the body is never read", async () => {
      const session = await RawSession.open(refusing.port);
      session.send("POST /no HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
      const res = await session.response();
      expect(`${res.status} ${res.reason}`).toBe("417 Expectation Failed");
      expect(res.headers.filter(([n]) => n === "Connection")).toEqual([["Connection", "close"]]);
      expect(await session.waitClosed()).toBe(true);
    });
  });

  describe(`HTTP/0.9 [${rt.name}]`, () => {
    let srv: RunningServer;
    beforeAll(async () => {
      srv = await startServer(rt, { scenario: "http09", protocol: "HTTP/1.1" });
    });
    afterAll(() => srv?.stop());

    test("a two-word GET is answered at once with the body only, then closed (CPython 3.14+ HTTP09ServerTestCase)", async () => {
      const { data, closed } = await rawExchange(srv.port, "GET /index.html\r\n");
      expect(data.toString()).toBe("OK: here is /index.html\r\n");
      expect(closed).toBe(true);
      await srv.waitFor("stderr", /"GET \/index.html" 200 -/);
    });

    test("`GET / HTTP/0.9` reads the fields and answers without a status line", async () => {
      const { data } = await rawExchange(srv.port, "GET /nine HTTP/0.9\r\nX: y\r\n\r\n");
      expect(data.toString()).toBe("OK: here is /nine\r\n");
    });

    test("a two-word request that is not GET gets a bare error body", async () => {
      const { data, closed } = await rawExchange(srv.port, "POST /index.html\r\n");
      expect(data.toString("latin1")).toBe(
        errorPage(400, "Bad HTTP/0.9 request type ('POST')", "Bad request syntax or unsupported method"),
      );
      expect(closed).toBe(true);
    });
  });

  describe(`error paths of docs/cpython.md §1.6, compared with CPython [${rt.name}]`, () => {
    let ours: RunningServer;
    let theirs: RunningServer;
    beforeAll(async () => {
      [ours, theirs] = await Promise.all([startServer(rt, { scenario: "bare" }), startCPython({ scenario: "bare" })]);
    });
    afterAll(() => Promise.all([ours.stop(), theirs.stop()]));

    const longLine = `GET /${"x".repeat(65536)} HTTP/1.0\r\n\r\n`;
    const longField = `GET / HTTP/1.0\r\nX: ${"y".repeat(65536)}\r\n\r\n`;
    const fields = (n: number) => `GET / HTTP/1.0\r\n${Array.from({ length: n }, (_, i) => `H${i}: v`).join(CRLF)}\r\n\r\n`;
    // [input, expected status line, same bytes as CPython?]
    const cases: [string, string, string | null, boolean][] = [
      ["request line over 65536 bytes", longLine, "HTTP/1.0 414 URI Too Long", true],
      ["blank request line", "\r\n", null, true],
      ["one word", "GET\r\n", "", true],
      ["two words, not GET", "POST /\r\n", "", true],
      ["four words with a valid version", "GET / x HTTP/1.0\r\n\r\n", "HTTP/1.0 400 Bad request syntax ('GET / x HTTP/1.0')", true],
      ["field line over 65536 bytes", longField, "HTTP/1.0 431 Line too long", true],
      ["100 header fields", fields(100), "HTTP/1.0 431 Too many headers", true],
      ["99 header fields are accepted", fields(99), "HTTP/1.0 501 Unsupported method ('GET')", true],
      ["unknown method", "PUT / HTTP/1.0\r\n\r\n", "HTTP/1.0 501 Unsupported method ('PUT')", true],
      [
        "HTML in the method is escaped in the body only",
        "<script>alert(1)</script> / HTTP/1.0\r\n\r\n",
        "HTTP/1.0 501 Unsupported method ('<script>alert(1)</script>')",
        true,
      ],
      // Documented deviations: a status line where CPython sends a bare body.
      ["bad version", "GET / FOO/1.0\r\n\r\n", "HTTP/1.0 400 Bad request version ('FOO/1.0')", false],
      ["version 2.0", "GET / HTTP/2.0\r\n\r\n", "HTTP/1.0 505 Invalid HTTP version (2.0)", false],
    ];

    for (const [name, input, statusLine, same] of cases) {
      test(`${name} → ${statusLine === null ? "closed without an answer" : statusLine || "body only"}`, async () => {
        const [a, b] = await Promise.all([rawExchange(ours.port, input), rawExchange(theirs.port, input)]);
        expect(a.closed).toBe(true);
        const got = normalize(a.data);
        const want = normalize(b.data);
        if (statusLine === null) {
          expect(a.data.length).toBe(0);
          expect(b.data.length).toBe(0);
        } else if (statusLine === "") {
          expect(got.startsWith("<!DOCTYPE HTML>")).toBe(true);
        } else {
          expect(got.split("\r\n")[0]).toBe(statusLine);
        }
        if (same) {
          expect(got).toBe(want);
        } else {
          // Same page as CPython's body-only answer, behind a real status line and fields.
          const res = parseResponse(a.data);
          expect(res.body.toString("latin1")).toBe(want);
          expect(res.header("Connection")).toBe("close");
          expect(res.header("Content-Length")).toBe(String(res.body.length));
        }
      });
    }

    test("each error logs `code N, message …` then the request line, as CPython", async () => {
      await rawExchange(ours.port, "GET / x HTTP/1.0\r\n\r\n");
      await ours.waitFor("stderr", /code 400, message Bad request syntax \('GET \/ x HTTP\/1\.0'\)\n.*"GET \/ x HTTP\/1\.0" 400 -\n/);
      await rawExchange(ours.port, longLine);
      // The request line is not kept when it is too long: CPython logs it as "".
      await ours.waitFor("stderr", /\] code 414, message URI Too Long\n[^\n]* - - \[[^\]]+\] "" 414 -\n/);
    });

    test("control characters in logs are escaped (gh-100001); in the request line they get 400 (docs/deviations.md)", async () => {
      const { data } = await rawExchange(ours.port, "GET /\x1b[31mred\\x HTTP/1.0\r\n\r\n");
      expect(parseResponse(data).status).toBe(400);
      // %r escapes, then the log scrubber doubles backslashes, exactly as CPython's log shows.
      await ours.waitFor("stderr", /code 400, message Bad request syntax \('GET \/\\\\x1b\[31mred\\\\\\\\x HTTP\/1\.0'\)\n/);
      await ours.waitFor("stderr", /"GET \/\\x1b\[31mred\\\\x HTTP\/1\.0" 400 -/);
    });
  });

  describe(`stricter than CPython: malformed framing gets 400 and close [${rt.name}]`, () => {
    let srv: RunningServer;
    beforeAll(async () => {
      srv = await startServer(rt, { scenario: "echo", protocol: "HTTP/1.1" });
    });
    afterAll(() => srv?.stop());

    const cases: [string, string, number][] = [
      [
        "Content-Length with Transfer-Encoding",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
      ],
      ["two Content-Length fields", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400],
      ["signed Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\nabc", 400],
      ["unknown transfer coding", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501],
      ["obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", 400],
      ["white space before the colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400],
      ["NUL in a field value", "GET / HTTP/1.1\r\nHost: a\x00b\r\n\r\n", 400],
      ["bad chunk size", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400],
    ];
    for (const [name, input, status] of cases) {
      test(`${name} → ${status}`, async () => {
        const { data, closed } = await rawExchange(srv.port, input + "GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
        const responses = parseResponses(data);
        expect(responses.map((r) => r.status)).toEqual([status]);
        expect(responses[0].header("Connection")).toBe("close");
        expect(closed).toBe(true);
      });
    }
  });

  describe(`ThreadingHTTPServer and HTTPServer concurrency [${rt.name}]`, () => {
    test("ThreadingHTTPServer handles 200 connections at once (a 200-way barrier is released)", async () => {
      const srv = await startServer(rt, { scenario: "echo", server: "threading" });
      try {
        const results = await Promise.all(
          Array.from({ length: 200 }, () => rawExchange(srv.port, "BARRIER /?n=200 HTTP/1.0\r\n\r\n", { timeoutMs: 15000 })),
        );
        expect(results.map((r) => parseResponse(r.data).status)).toEqual(Array(200).fill(200));
      } finally {
        await srv.stop();
      }
    });

    test("HTTPServer handles one connection at a time", async () => {
      const srv = await startServer(rt, { scenario: "echo", server: "plain" });
      try {
        const results = await Promise.all(
          Array.from({ length: 8 }, () => rawExchange(srv.port, "COUNT /?ms=30 HTTP/1.0\r\n\r\n", { timeoutMs: 15000 })),
        );
        expect(results.map((r) => parseResponse(r.data).status)).toEqual(Array(8).fill(200));
        const stats = parseResponse((await rawExchange(srv.port, "STATS / HTTP/1.0\r\n\r\n")).data);
        expect(json(stats.body)).toEqual({ maxActive: 1 });
      } finally {
        await srv.stop();
      }
    });

    test("HTTPServer: a persistent connection holds the server until it closes", async () => {
      const srv = await startServer(rt, { scenario: "echo", server: "plain", protocol: "HTTP/1.1", trace: true });
      try {
        const first = await RawSession.open(srv.port);
        first.send("GET /first HTTP/1.1\r\nHost: a\r\n\r\n");
        expect((await first.response()).status).toBe(200);
        const second = await RawSession.open(srv.port);
        const [a, b] = [first.socket.localPort, second.socket.localPort];
        second.send("GET /second HTTP/1.1\r\nHost: a\r\n\r\n");
        // A round trip on the first connection after the second one is in: the server has seen it.
        first.send("GET /again HTTP/1.1\r\nHost: a\r\n\r\n");
        expect((await first.response()).status).toBe(200);
        first.close();
        expect((await second.response()).status).toBe(200);
        second.close();
        // The server took the second connection only once it had let go of the first.
        await srv.waitFor("stdout", new RegExp(`END ${b}\\n`));
        expect(srv.stdout()).toContain(`START ${a}\nEND ${a}\nSTART ${b}\nEND ${b}\n`);
      } finally {
        await srv.stop();
      }
    });
  });

  describe(`failures [${rt.name}]`, () => {
    let srv: RunningServer;
    beforeAll(async () => {
      srv = await startServer(rt, { scenario: "echo", protocol: "HTTP/1.1", trace: true });
    });
    afterAll(() => srv?.stop());

    test("a handler that throws gets a 500, the exception is printed as Python's handle_error, and the server keeps serving", async () => {
      const { data, closed } = await rawExchange(srv.port, "THROW / HTTP/1.1\r\nHost: a\r\n\r\n");
      const res = parseResponse(data);
      expect(`${res.status} ${res.reason}`).toBe("500 Internal Server Error");
      expect(closed).toBe(true);
      await srv.waitFor(
        "stderr",
        /-{40}\nException occurred during processing of request from \('127\.0\.0\.1', \d+\)\n.*handler failure for a test[\s\S]*?-{40}\n/,
      );
      const again = parseResponse((await rawExchange(srv.port, "GET /ok HTTP/1.0\r\n\r\n")).data);
      expect(again.status).toBe(200);
    });

    test("a handler that throws after starting its response: the client gets what was sent, then the connection closes", async () => {
      const { data, closed } = await rawExchange(srv.port, "HALFTHROW / HTTP/1.1\r\nHost: a\r\n\r\n");
      expect(closed).toBe(true);
      const text = data.toString();
      expect(text.startsWith("HTTP/1.1 200 OK\r\n")).toBe(true);
      expect(text.endsWith("\r\n\r\npartial")).toBe(true);
      expect(text).not.toContain("500");
      // The exception is printed (after the close the client saw: wait for it).
      await srv.waitFor("stderr", /Exception occurred[\s\S]*failure after the response started[\s\S]*?-{40}\n/);
    });

    test("clients that disconnect mid-request and mid-response do not disturb the server", async () => {
      const logBefore = srv.stderr().length;
      // Mid-head, mid-body, mid-response.
      const a = await RawSession.open(srv.port);
      a.send("GET /partial HTTP/1.1\r\nHost:");
      const b = await RawSession.open(srv.port);
      b.send("POST /body HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nonly some");
      const c = await RawSession.open(srv.port);
      c.send(`STREAM /?size=${64 * 1024 * 1024} HTTP/1.1\r\nHost: a\r\n\r\n`);
      await c.take((buf) => (buf.length > 1024 ? buf.length : null));
      const ports = [a, b, c].map((session) => session.socket.localPort);
      a.close();
      b.close();
      c.close();
      // The server has let go of all three.
      for (const port of ports) await srv.waitFor("stdout", new RegExp(`^END ${port}$`, "m"));
      const res = parseResponse((await rawExchange(srv.port, "GET /still-here HTTP/1.0\r\n\r\n")).data);
      expect(res.status).toBe(200);
      expect(srv.stderr().slice(logBefore)).not.toContain("Exception occurred");
      expect(srv.child.exitCode).toBe(null);
    });

    test("send_error with a custom message and explanation (CPython test_return_explain_error)", async () => {
      const res = parseResponse((await rawExchange(srv.port, "EXPLAIN / HTTP/1.0\r\n\r\n")).data);
      expect(`${res.status} ${res.reason}`).toBe("999 Short Message");
      expect(res.body.toString()).toContain("Error code explanation: 999 - This is a long \n explanation.");
    });
  });

  describe(`shutdown [${rt.name}]`, () => {
    test("shutdown() stops accepting while requests in flight complete", async () => {
      const srv = await startServer(rt, { scenario: "echo", server: "threading" });
      try {
        const inFlight = rawExchange(srv.port, "SLOW /?ms=800 HTTP/1.0\r\n\r\n", { timeoutMs: 10000 });
        // The slow request is being handled before shutdown() is called.
        await srv.waitFor("stderr", /\] sleeping 800 ms$/m);
        const control = parseResponse((await rawExchange(srv.port, "CONTROL /__shutdown HTTP/1.0\r\n\r\n")).data);
        expect(control.status).toBe(200);
        await srv.waitFor("stdout", /SHUTDOWN/);
        const slow = parseResponse((await inFlight).data);
        expect(slow.status).toBe(200);
        expect(slow.body.toString()).toBe("slept 800\n");
        await srv.waitFor("stdout", /CLOSED/);
        await expect(rawExchange(srv.port, "GET / HTTP/1.0\r\n\r\n")).rejects.toThrow(/ECONNREFUSED/);
      } finally {
        await srv.stop();
      }
    });
  });
}
