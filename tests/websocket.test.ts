/**
 * WebSockets through `BaseHTTPRequestHandler.upgradeWebSocket()` on every runtime, with real
 * clients: the `ws` package, Python's `websockets` (Debian's python3-websockets), the global
 * `WebSocket` of Bun, Deno and Node 24, headless Chromium — and raw frames for the exact bytes
 * and the rules (RFC 6455, RFC 7692). Fixture: tests/fixtures/websocket.ts.
 */
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import WebSocket from "ws";
import { rawExchange, run } from "./support/clients.js";
import { CHROMIUM_DEFAULT } from "./support/global-setup.js";
import { type RunningServer, runtimeBinary, runtimes, startProcess } from "./support/runtimes.js";
import { logLine } from "./support/simple.js";
import { OP, acceptFor, clientFrame, handshake, readFrame } from "./support/websocket.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/websocket.ts", import.meta.url));
const CLIENT = fileURLToPath(new URL("./fixtures/ws-client.ts", import.meta.url));
const PY_CLIENT = fileURLToPath(new URL("./fixtures/ws_client.py", import.meta.url));
const DENO_CONFIG = fileURLToPath(new URL("../deno.json", import.meta.url));

/**
 * Opens a `ws` client and resolves once it is open, with its first message (a server may send one
 * at once: it can arrive with the handshake's answer, before a listener added after `open`).
 */
function connect(
  url: string,
  options: WebSocket.ClientOptions = {},
  protocols: string[] = [],
): Promise<WebSocket & { first: Promise<{ data: Buffer; binary: boolean }> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, options);
    const first = nextMessage(ws);
    ws.once("open", () => resolve(Object.assign(ws, { first })));
    ws.once("error", reject);
  });
}

/** The next message of a `ws` client. */
function nextMessage(ws: WebSocket): Promise<{ data: Buffer; binary: boolean }> {
  return new Promise((resolve) => ws.once("message", (data, binary) => resolve({ data: data as Buffer, binary })));
}

/** Resolves with the close code and reason a `ws` client saw. */
function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })));
}

let browser: Browser | undefined;
afterAll(async () => {
  await browser?.close();
});

for (const rt of runtimes()) {
  describe(`WebSocket with upgradeWebSocket() [${rt.name}]`, () => {
    let server: RunningServer;
    let base: string;
    beforeAll(async () => {
      server = await startProcess(rt, FIXTURE, [JSON.stringify({ limits: { shutdownTimeout: 2 } })]);
      base = `ws://127.0.0.1:${server.port}`;
    });
    afterAll(async () => {
      await server?.stop();
    });

    test("the ws package: text, binary, a 1 MiB message and a fragmented one come back as sent; the log line is the 101's", async () => {
      const ws = await connect(`${base}/echo`);
      ws.send("héllo");
      expect(await nextMessage(ws)).toEqual({ data: Buffer.from("héllo"), binary: false });
      ws.send(Buffer.from([0, 1, 2, 0xff]));
      expect(await nextMessage(ws)).toEqual({ data: Buffer.from([0, 1, 2, 0xff]), binary: true });
      const big = Buffer.alloc(1 << 20, 0x5a);
      ws.send(big);
      expect((await nextMessage(ws)).data.equals(big)).toBe(true);
      ws.send("frag", { fin: false });
      ws.send("ment", { fin: false });
      ws.send("ed", { fin: true });
      expect((await nextMessage(ws)).data.toString()).toBe("fragmented");
      const done = closed(ws);
      ws.close(4001, "bye");
      expect(await done).toEqual({ code: 4001, reason: "" });
      await server.waitFor("stdout", /CLOSED \/echo 4001 true bye/);
      await server.waitFor("stderr", logLine('"GET /echo HTTP/1.1" 101 -'));
    });

    test("permessage-deflate with the ws package, context takeover on both sides; Blob messages", async () => {
      const ws = await connect(`${base}/echo?deflate`, { perMessageDeflate: true });
      expect(ws.extensions).toBe("permessage-deflate");
      for (let i = 0; i < 5; i++) {
        const text = `{"n":${i},"items":${JSON.stringify(Array.from({ length: 200 }, (_, j) => ({ id: j, name: `item ${j}` })))}}`;
        ws.send(text);
        expect((await nextMessage(ws)).data.toString()).toBe(text);
      }
      ws.send("short");
      expect((await nextMessage(ws)).data.toString()).toBe("short");
      ws.close();
      const blob = await connect(`${base}/blob`);
      blob.send(Buffer.from("as a blob"));
      expect(await nextMessage(blob)).toEqual({ data: Buffer.from("as a blob"), binary: true });
      blob.close();
    });

    test("subprotocol, extensions, url and readyState as the socket reports them", async () => {
      // `clientMaxWindowBits: true` (ws offers the parameter without a value; its types say number).
      const ws = await connect(
        `${base}/info?deflate`,
        { perMessageDeflate: { clientMaxWindowBits: true as unknown as number, serverMaxWindowBits: 10 } },
        ["x", "superchat"],
      );
      expect(ws.protocol).toBe("superchat");
      const info = JSON.parse((await ws.first).data.toString()) as Record<string, unknown>;
      expect(info).toEqual({
        protocol: "superchat",
        extensions: "permessage-deflate; server_max_window_bits=10",
        url: `ws://127.0.0.1:${server.port}/info?deflate`,
        readyState: 1,
        bufferedAmount: 0,
      });
      ws.close();
    });

    test("the server closes with the code and reason it is given; the client's answer makes it clean", async () => {
      const ws = await connect(`${base}/close`);
      const done = closed(ws);
      ws.send("4002 server says bye");
      expect(await done).toEqual({ code: 4002, reason: "server says bye" });
      await server.waitFor("stdout", /CLOSED \/close 4002 true/);
    });

    test("broadcast: a message from one socket reaches every open one", async () => {
      const [a, b] = await Promise.all([connect(`${base}/broadcast`), connect(`${base}/broadcast`)]);
      const both = Promise.all([nextMessage(a), nextMessage(b)]);
      a.send("to all");
      expect((await both).map((m) => m.data.toString())).toEqual(["to all", "to all"]);
      a.close();
      b.close();
    });

    test("a listener that throws is logged with its trace, and the connection goes on", async () => {
      const ws = await connect(`${base}/throw`);
      ws.send("throw");
      ws.send("still here");
      expect((await nextMessage(ws)).data.toString()).toBe("still here");
      await server.waitFor("stderr", /Error: a listener failed for a test/);
      ws.close();
    });

    test("the opening handshake's bytes: 101 as HTTP/1.1 with Sec-WebSocket-Accept, subprotocol and extension", async () => {
      const { session, head, key } = await handshake(server.port, "/echo?deflate", {
        "Sec-WebSocket-Protocol": "chat",
        "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits",
      });
      expect(head).toMatch(
        new RegExp(
          `^HTTP/1\\.1 101 Switching Protocols\\r\\nServer: BaseHTTP/0\\.6 \\S+\\r\\nDate: [^\\r]+\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n` +
            `Sec-WebSocket-Accept: ${acceptFor(key).replace(/[+/]/g, "\\$&")}\\r\\nSec-WebSocket-Protocol: chat\\r\\nSec-WebSocket-Extensions: permessage-deflate\\r\\n\\r\\n$`,
        ),
      );
      session.send(clientFrame(OP.TEXT, "hi"));
      expect(await readFrame(session)).toMatchObject({ fin: true, rsv: 0, opcode: OP.TEXT, masked: false, payload: Buffer.from("hi") });
      session.close();
    });

    test("bad handshakes: another version gets 426 with Sec-WebSocket-Version: 13, a bad key 400, and both are logged", async () => {
      const version = await rawExchange(
        server.port,
        "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
      );
      expect(version.data.toString()).toMatch(/^HTTP\/1\.1 426 Upgrade Required\r\n[^]*\r\nSec-WebSocket-Version: 13\r\n/);
      expect(version.closed).toBe(true);
      const key = await rawExchange(
        server.port,
        "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n",
      );
      expect(key.data.toString()).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n[^]*Sec-WebSocket-Key must be 16 bytes in base64/);
      await server.waitFor("stderr", logLine("code 426, message Upgrade Required"));
    });

    test("raw frames: a ping is answered with its payload; an unmasked frame gets 1002 and the connection closes", async () => {
      const { session } = await handshake(server.port, "/echo");
      session.send(clientFrame(OP.PING, "are you there"));
      expect(await readFrame(session)).toMatchObject({ opcode: OP.PONG, payload: Buffer.from("are you there") });
      session.send(clientFrame(OP.TEXT, "bare", { masked: false }));
      expect(await readFrame(session)).toMatchObject({ opcode: OP.CLOSE, code: 1002 });
      expect(await session.waitClosed()).toBe(true);
      await server.waitFor("stdout", /CLOSED \/echo 1002 false/);
    });

    test("a message over maxPayload gets 1009; invalid UTF-8 gets 1007 before the frame ends", async () => {
      const small = await handshake(server.port, "/echo?max=1000");
      small.session.send(clientFrame(OP.BINARY, Buffer.alloc(1001)));
      expect(await readFrame(small.session)).toMatchObject({ opcode: OP.CLOSE, code: 1009 });
      const utf8 = await handshake(server.port, "/echo");
      const frame = clientFrame(OP.TEXT, Buffer.from([0x41, 0xff, ...Buffer.alloc(100, 0x41)]));
      utf8.session.send(frame.subarray(0, 10));
      expect(await readFrame(utf8.session)).toMatchObject({ opcode: OP.CLOSE, code: 1007 });
    });

    test("idleTimeout: a silent client is pinged, then dropped (1006); one that answers pings stays", async () => {
      const { session } = await handshake(server.port, "/echo?idle=0.5");
      expect(await readFrame(session, 3000)).toMatchObject({ opcode: OP.PING });
      expect(await session.waitClosed(3000)).toBe(true);
      await server.waitFor("stdout", /CLOSED \/echo 1006 false/);
      const ws = await connect(`${base}/echo?idle=0.5`);
      await new Promise((resolve) => setTimeout(resolve, 1600));
      ws.send("alive");
      expect((await nextMessage(ws)).data.toString()).toBe("alive");
      ws.close();
    });

    test("Python's websockets: echo, ping, close code; with permessage-deflate too", async () => {
      for (const deflate of [false, true]) {
        const args = [PY_CLIENT, `${base}/echo${deflate ? "?deflate" : ""}`, ...(deflate ? ["deflate"] : [])];
        const { code, stdout, stderr } = await run("/usr/bin/python3", args);
        expect(code, stderr).toBe(0);
        expect(JSON.parse(stdout.toString())).toEqual({
          got: ["hello ünïcode", "binary 1,2,3,0,255", "text 300000", "pong"],
          code: 4001,
          reason: "",
          protocol: "chat",
          extensions: deflate ? "permessage-deflate" : "",
        });
      }
    });

    // Node 24's global WebSocket only when Node 24 is part of the run (HTTPSERVER_RUNTIMES).
    const clients = runtimes().some((r) => r.name === "node24") ? (["bun", "deno", "node24"] as const) : (["bun", "deno"] as const);
    for (const client of clients) {
      test(`${client}'s own WebSocket client: echo and close`, async () => {
        const path = process.env.HTTPSERVER_NODE24;
        const cmd =
          client === "bun"
            ? [runtimeBinary("bun"), [CLIENT]]
            : client === "deno"
              ? [runtimeBinary("deno"), ["run", "-A", "--config", DENO_CONFIG, CLIENT]]
              : [path, ["--no-warnings", CLIENT]];
        if (cmd[0] === undefined) throw new Error("HTTPSERVER_NODE24 is not set (tests/support/global-setup.ts)");
        const { code, stdout, stderr } = await run(cmd[0] as string, [...(cmd[1] as string[]), `${base}/echo?deflate`]);
        expect(code, stderr).toBe(0);
        const result = JSON.parse(stdout.toString()) as { extensions: string };
        expect(result).toEqual({
          got: ["hello ünïcode", "binary 1,2,3,0,255", "text 200000"],
          code: 4001,
          reason: "",
          wasClean: true,
          protocol: "superchat",
          extensions: result.extensions,
        });
        // Bun's and Node's clients offer permessage-deflate, Deno's does not.
        expect(result.extensions).toBe(client === "deno" ? "" : "permessage-deflate");
      });
    }

    test("headless Chromium: text, binary and a 70 KB message with permessage-deflate, then close 4000", async () => {
      const missing = process.env.HTTPSERVER_CHROMIUM_ERROR;
      if (missing !== undefined) throw new Error(missing);
      browser ??= await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? CHROMIUM_DEFAULT, args: ["--no-sandbox"] });
      const page = await browser.newPage();
      try {
        await page.goto(`http://127.0.0.1:${server.port}/page`);
        const results = await page.evaluate(() => (window as unknown as { results: Promise<unknown> }).results);
        expect(results).toEqual({
          got: ["héllo 🌍", "binary 0,1,2,255", "text 70000"],
          code: 4000,
          reason: "",
          wasClean: true,
          protocol: "chat",
          extensions: "permessage-deflate",
        });
      } finally {
        await page.close();
      }
    });

    test("a client that stops reading is dropped once backpressureLimit bytes wait; memory stays bounded", async () => {
      const { session } = await handshake(server.port, "/flood?greedy&size=65536&total=268435456&limit=4194304");
      session.socket.pause();
      const [, peak, sent] = await server.waitFor("stdout", /FLOOD (\d+) (\d+)/, 20_000);
      expect(Number(peak)).toBeLessThanOrEqual(4194304);
      expect(Number(sent)).toBeLessThan(268435456);
      await server.waitFor("stdout", /CLOSED \/flood 1006 false/);
      await server.waitFor("stderr", /WebSocket dropped: more than 4194304 bytes waiting for the client to read them/);
      session.close();
    });

    test("when the server closes, open sockets get 1001 (going away)", async () => {
      const ws = await connect(`${base}/echo`);
      const done = closed(ws);
      await server.stop();
      expect((await done).code).toBe(1001);
    });
  });
}

describe("the README's chat example (examples/chat.ts) on Node", () => {
  test("two browsers' sockets: a message from one reaches both; a plain GET gets the page", async () => {
    const { startProcess: start } = await import("./support/runtimes.js");
    const node = runtimes().find((r) => r.name === "node") ?? runtimes()[0];
    const example = fileURLToPath(new URL("../examples/chat.ts", import.meta.url));
    const chat = await start(node, example, ["0"], undefined, /Chat on http:\/\/localhost:(\d+)\//);
    try {
      const page = await fetch(`http://127.0.0.1:${chat.port}/`);
      expect(await page.text()).toContain('new WebSocket("ws://" + location.host + "/chat")');
      const [a, b] = await Promise.all([
        connect(`ws://127.0.0.1:${chat.port}/chat`, { perMessageDeflate: true }),
        connect(`ws://127.0.0.1:${chat.port}/chat`),
      ]);
      expect(a.extensions).toBe("permessage-deflate");
      const both = Promise.all([nextMessage(a), nextMessage(b)]);
      a.send("hello room");
      expect((await both).map((m) => m.data.toString())).toEqual(["hello room", "hello room"]);
      a.close();
      b.close();
    } finally {
      await chat.stop();
    }
  });
});
