/**
 * Fetch handlers on every runtime (fixture tests/fixtures/fetch.ts): the same app on our
 * `serve` and on the runtime's own server (srvx on node:http for Node, Bun.serve, Deno.serve)
 * gives the same status, body and the fields both define; then what only our server promises —
 * `100 Continue` only when the body is read, HTTP/1.0 framing, the signal and the stream's
 * cancellation when a client goes away (and not after a normal completion), bounded memory for a
 * slow reader, one log line for a failing handler, `upgradeWebSocket`, Chromium reading a
 * stream — and `serveDir` answering as the `httpserver` command does, inside each server.
 */
import * as fs from "node:fs";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import WebSocket from "ws";
import { RawSession, rawExchange } from "./support/clients.js";
import { CHROMIUM_DEFAULT } from "./support/global-setup.js";
import { type RunningServer, runtimes, startProcess } from "./support/runtimes.js";
import { logLine, startCli } from "./support/simple.js";
import { type Tree, makeTree, removeTree } from "./support/tree.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/fetch.ts", import.meta.url));

interface Answer {
  status: number;
  body: Buffer;
  headers: Headers;
}

async function ask(port: number, path: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { redirect: "manual", ...init });
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()), headers: response.headers };
}

/** The fields that an app sets and every server must pass on as they are. */
const APP_FIELDS = ["content-type", "location", "x-kind", "x-empty"];

const BIG = Buffer.from(Array.from({ length: 3 * 1024 * 1024 }, (_, i) => (i * 31) & 0xff));

/** Requests sent to both servers: [name, path, init, what to compare]. */
const CORPUS: [string, string, RequestInit, "all" | "status"][] = [
  ["text", "/text", {}, "all"],
  ["JSON", "/json", {}, "all"],
  ["a stream", "/stream", {}, "all"],
  ["a redirect", "/redirect", {}, "all"],
  ["two Set-Cookie", "/cookies", {}, "all"],
  ["a null body", "/empty", {}, "all"],
  ["bytes", "/bytes", {}, "all"],
  ["a Blob", "/blob", {}, "all"],
  ["URLSearchParams", "/params", {}, "all"],
  ["FormData", "/form", {}, "all"],
  ["a stream with its own Content-Length", "/length", {}, "all"],
  ["status 201", "/status/201", {}, "all"],
  ["status 404", "/status/404", {}, "all"],
  ["status 418", "/status/418", {}, "all"],
  ["HEAD", "/head", { method: "HEAD" }, "all"],
  ["POST echo of 3 MiB", "/echo", { method: "POST", body: BIG, headers: { "content-type": "application/x-test" } }, "all"],
  ["POST read whole", "/size", { method: "POST", body: BIG.subarray(0, 1_000_000) }, "all"],
  ["a thrown error", "/throw", {}, "status"],
];

let tree: Tree;
let browser: Browser | undefined;
beforeAll(() => {
  tree = makeTree();
});
afterAll(async () => {
  removeTree(tree);
  await browser?.close();
});

for (const rt of runtimes()) {
  describe(`fetch handlers on serve(), compared with the runtime's own server [${rt.name}]`, () => {
    let ours: RunningServer;
    let native: RunningServer;
    beforeAll(async () => {
      [ours, native] = await Promise.all([
        startProcess(rt, FIXTURE, [JSON.stringify({ server: "ours", dir: tree.root })]),
        startProcess(rt, FIXTURE, [JSON.stringify({ server: "native", dir: tree.root })]),
      ]);
    });
    afterAll(async () => {
      await Promise.all([ours?.stop(), native?.stop()]);
    });

    for (const [name, path, init, compare] of CORPUS) {
      test(`${name}: the same answer as the runtime's own server`, async () => {
        const [a, b] = await Promise.all([ask(ours.port, path, init), ask(native.port, path, init)]);
        expect(a.status, "status").toBe(b.status);
        if (compare === "status") return;
        expect(
          a.body.equals(b.body),
          `body: ours ${JSON.stringify(a.body.toString("latin1").slice(0, 200))}, theirs ${JSON.stringify(b.body.toString("latin1").slice(0, 200))}`,
        ).toBe(true);
        // A Location names each server's own port.
        const port = (h: Headers, field: string) => h.get(field)?.replace(/:\d+\//, ":PORT/") ?? null;
        for (const field of APP_FIELDS) {
          // Bun's Response keeps out of its headers the Content-Type a string body implies (which
          // Bun.serve adds on the wire): a field only one side defines is not compared.
          if (field === "content-type" && !(a.headers.has(field) && b.headers.has(field))) continue;
          expect(port(a.headers, field), field).toBe(port(b.headers, field));
        }
        expect(a.headers.getSetCookie()).toEqual(b.headers.getSetCookie());
        if (a.headers.has("content-length") && b.headers.has("content-length"))
          expect(a.headers.get("content-length")).toBe(b.headers.get("content-length"));
      });
    }

    test("the request: an absolute URL from Host, repeated fields kept, instanceof Request, info.remoteAddr", async () => {
      const { status, body } = await ask(ours.port, "/info?q=1", {
        headers: [
          ["x-repeated", "a"],
          ["x-repeated", "b"],
        ],
      });
      expect(status).toBe(200);
      expect(JSON.parse(body.toString())).toEqual({
        method: "GET",
        url: `http://127.0.0.1:${ours.port}/info?q=1`,
        host: `127.0.0.1:${ours.port}`,
        accept: "a, b",
        isRequest: true,
        remote: "127.0.0.1",
      });
    });

    test("framing: Content-Length when the body is at hand, chunked for a stream on HTTP/1.1, close-delimited on HTTP/1.0", async () => {
      const text = await rawExchange(ours.port, "GET /text HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      expect(text.data.toString()).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*content-length: 14\r\n(?:[^]*\r\n)?\r\nHello, World!\n$/);
      const chunked = await rawExchange(ours.port, "GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      expect(chunked.data.toString()).toMatch(
        /transfer-encoding: chunked\r\n(?:[^]*\r\n)?\r\n8\r\nchunk 0\n\r\n8\r\nchunk 1\n\r\n8\r\nchunk 2\n\r\n0\r\n\r\n$/,
      );
      const old = await rawExchange(ours.port, "GET /stream HTTP/1.0\r\nHost: x\r\n\r\n");
      expect(old.data.toString()).not.toMatch(/transfer-encoding|content-length/i);
      expect(old.data.toString()).toMatch(/\r\n\r\nchunk 0\nchunk 1\nchunk 2\n$/);
      expect(old.closed).toBe(true);
      const head = await rawExchange(ours.port, "HEAD /head HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      expect(head.data.toString()).toMatch(/content-length: 27\r\n(?:[^]*\r\n)?\r\n$/);
    });

    test("100 Continue only when the handler reads the body; a handler that does not read gets the connection closed instead", async () => {
      const reading = await RawSession.open(ours.port);
      reading.send("POST /size HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
      expect((await reading.take((b) => (b.indexOf("\r\n\r\n") < 0 ? null : b.indexOf("\r\n\r\n") + 4))).toString()).toBe(
        "HTTP/1.1 100 Continue\r\n\r\n",
      );
      reading.send("hello");
      expect((await reading.response()).body.toString()).toBe("5\n");
      reading.close();
      const ignoring = await rawExchange(ours.port, "POST /text HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
      expect(ignoring.data.toString()).not.toContain("100 Continue");
      expect(ignoring.data.toString()).toMatch(/^HTTP\/1\.1 200 OK/);
      expect(ignoring.closed).toBe(true);
    });

    test("a client gone before the end: the signal fires and the stream is cancelled; after a normal completion neither", async () => {
      const session = await RawSession.open(ours.port);
      session.send("GET /abort?id=gone HTTP/1.1\r\nHost: x\r\n\r\n");
      await session.take((b) => (b.includes("tick 1") ? b.length : null));
      session.close();
      await ours.waitFor("stdout", /SIGNAL ABORTED gone/);
      await ours.waitFor("stdout", /STREAM CANCELLED gone/);
      await ask(ours.port, "/done?id=fine");
      await ours.waitFor("stdout", /COMPLETED fine/);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(ours.stdout()).not.toContain("SIGNAL ABORTED fine");
    });

    test("a slow reader of a 1 GiB stream: the stream is read only as the client takes it (memory bounded)", async () => {
      const pid = ours.child.pid!;
      const rss = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
      const before = rss();
      let peak = before;
      const session = await RawSession.open(ours.port);
      session.socket.setNoDelay(true);
      session.send("GET /huge?mib=1024 HTTP/1.1\r\nHost: x\r\n\r\n");
      // Read 8 MiB slowly, then stop reading for a second.
      let got = 0;
      while (got < 8 * 1024 * 1024) {
        const piece = await session.take((b) => (b.length > 0 ? b.length : null));
        got += piece.length;
        session.socket.pause();
        await new Promise((resolve) => setTimeout(resolve, 5));
        session.socket.resume();
        peak = Math.max(peak, rss());
      }
      session.socket.pause();
      for (let i = 0; i < 10; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        peak = Math.max(peak, rss());
      }
      session.close();
      expect(peak - before).toBeLessThan(64 * 1024 * 1024);
    });

    test("a failing handler: 500 with an empty body and one log line; a non-Response too", async () => {
      const { status, body } = await ask(ours.port, "/throw?id=once");
      expect([status, body.length]).toEqual([500, 0]);
      await ours.waitFor("stderr", /"GET \/throw\?id=once HTTP\/1\.1" 500 - fetch handler failed: Error: a handler failure for a test$/m);
      expect(ours.stderr().match(/id=once/g)).toHaveLength(1);
      expect((await ask(ours.port, "/not-a-response")).status).toBe(500);
      await ours.waitFor("stderr", /fetch handler failed: TypeError: the fetch handler returned an object/);
      await ours.waitFor("stderr", logLine('"GET /text HTTP/1.1" 200 -'));
    });

    test("upgradeWebSocket(request): Deno's shape, the ws package as the client", async () => {
      const ws = new WebSocket(`ws://127.0.0.1:${ours.port}/ws`);
      await new Promise((resolve, reject) => (ws.once("open", resolve), ws.once("error", reject)));
      const answer = new Promise<string>((resolve) => ws.once("message", (data: Buffer) => resolve(data.toString())));
      ws.send("through serve()");
      expect(await answer).toBe("through serve()");
      ws.close();
    });

    test("headless Chromium reads a streamed response chunk by chunk", async () => {
      const missing = process.env.HTTPSERVER_CHROMIUM_ERROR;
      if (missing !== undefined) throw new Error(missing);
      browser ??= await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? CHROMIUM_DEFAULT, args: ["--no-sandbox"] });
      const page = await browser.newPage();
      try {
        await page.goto(`http://127.0.0.1:${ours.port}/text`);
        const chunks = await page.evaluate(async () => {
          const reader = (await fetch("/stream")).body!.getReader();
          const seen: string[] = [];
          for (;;) {
            const { done, value } = await reader.read();
            if (done) return seen;
            seen.push(new TextDecoder().decode(value));
          }
        });
        expect(chunks.join("")).toBe("chunk 0\nchunk 1\nchunk 2\n");
        expect(chunks.length).toBeGreaterThanOrEqual(2);
      } finally {
        await page.close();
      }
    });
  });

  describe(`serveDir inside each server answers as the httpserver command [${rt.name}]`, () => {
    let command: RunningServer;
    let ours: RunningServer;
    let native: RunningServer;
    beforeAll(async () => {
      [command, ours, native] = await Promise.all([
        startCli(rt, ["0", "-b", "127.0.0.1", "-d", tree.root]),
        startProcess(rt, FIXTURE, [JSON.stringify({ server: "ours", dir: tree.root })]),
        startProcess(rt, FIXTURE, [JSON.stringify({ server: "native", dir: tree.root })]),
      ]);
    });
    afterAll(async () => {
      await Promise.all([command?.stop(), ours?.stop(), native?.stop()]);
    });

    const paths = [
      "/a.txt",
      "/sub/",
      "/sub",
      "/",
      "/withindex/",
      "/missing.txt",
      "/caf%C3%A9.txt",
      "/sub/deeper/deep.txt",
      "/empty/",
      "/link-to-file",
    ];
    const conditional: [string, Record<string, string>][] = [
      ["a range", { Range: "bytes=2-5" }],
      ["a suffix range", { Range: "bytes=-3" }],
      ["several ranges", { Range: "bytes=0-1,4-5" }],
      ["an unsatisfiable range", { Range: "bytes=1000-2000" }],
      ["If-Modified-Since in the future", { "If-Modified-Since": new Date(Date.now() + 86400_000).toUTCString() }],
    ];
    const cases: [string, string, string, Record<string, string>][] = [
      ...paths.map((p): [string, string, string, Record<string, string>] => [`GET ${p}`, "GET", p, {}]),
      ...paths.slice(0, 4).map((p): [string, string, string, Record<string, string>] => [`HEAD ${p}`, "HEAD", p, {}]),
      ...conditional.map(([name, headers]): [string, string, string, Record<string, string>] => [
        `${name} of /a.txt`,
        "GET",
        "/a.txt",
        headers,
      ]),
    ];
    for (const [name, method, path, headers] of cases) {
      test(`${name}: the same status and body`, async () => {
        const fromCommand = await ask(command.port, path, { method, headers });
        for (const server of [ours, native]) {
          const answer = await ask(server.port, `/files${path}`, { method, headers });
          // Under /files/, a listing's title names the prefix too.
          const expected = fromCommand.body.toString("latin1").replaceAll("Directory listing for /", "Directory listing for /files/");
          expect(answer.status, `${server === ours ? "ours" : "native"}`).toBe(fromCommand.status);
          if (fromCommand.headers.get("content-type")?.startsWith("multipart/byteranges")) {
            // Each server draws its own boundary: compare the parts.
            const boundary = (h: Headers) => /boundary=(\S+)/.exec(h.get("content-type") ?? "")?.[1] ?? "";
            expect(answer.body.toString("latin1").replaceAll(boundary(answer.headers), "B")).toBe(
              expected.replaceAll(boundary(fromCommand.headers), "B"),
            );
          } else {
            expect(answer.body.toString("latin1"), `${server === ours ? "ours" : "native"}`).toBe(expected);
          }
          if (fromCommand.status === 301) expect(answer.headers.get("location")).toBe(`/files${fromCommand.headers.get("location")}`);
        }
      });
    }

    test("a handler that changes serveDir's response sends the change, with the same body", async () => {
      for (const server of [ours, native]) {
        const answer = await ask(server.port, "/tagged/a.txt");
        expect([answer.status, answer.body.toString(), answer.headers.get("x-tag")]).toEqual([200, "hello a\n", "changed by the handler"]);
      }
    });

    test("an entity tag from the command revalidates through serveDir (304 inside both servers)", async () => {
      const etag = (await ask(command.port, "/a.txt")).headers.get("etag")!;
      for (const server of [ours, native]) {
        expect((await ask(server.port, "/files/a.txt", { headers: { "If-None-Match": etag } })).status).toBe(304);
        expect((await ask(server.port, "/files/a.txt", { method: "HEAD", headers: { "If-None-Match": etag } })).status).toBe(304);
      }
    });
  });
}

describe("the README's Hono example (examples/hono.ts) on Node", () => {
  test("Hono's routes on serve(), files from serveDir with ranges and the listing", async () => {
    const node = runtimes().find((r) => r.name === "node") ?? runtimes()[0];
    const example = fileURLToPath(new URL("../examples/hono.ts", import.meta.url));
    const server = await startProcess(node, example, ["0", tree.root], undefined, /Listening on http:\/\/localhost:(\d+)\//);
    try {
      const hello = await ask(server.port, "/api/hello");
      expect([hello.status, JSON.parse(hello.body.toString())]).toEqual([200, { hello: "world" }]);
      const range = await ask(server.port, "/files/a.txt", { headers: { Range: "bytes=0-4" } });
      expect([range.status, range.body.toString(), range.headers.get("content-range")]).toEqual([206, "hello", "bytes 0-4/8"]);
      const listing = await ask(server.port, "/files/sub/");
      expect(listing.body.toString()).toContain("<title>Directory listing for /files/sub/</title>");
      expect((await ask(server.port, "/files/sub")).headers.get("location")).toBe("/files/sub/");
    } finally {
      await server.stop();
    }
  });
});
