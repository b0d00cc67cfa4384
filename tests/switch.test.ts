/**
 * Switching protocols with the Python API, on every runtime against CPython 3.13.0 running the
 * same handlers (`switch` in tests/fixtures/api.ts and cpython_api.py): a `101` to an `Upgrade`
 * and a `200` to `CONNECT` go on with the raw stream — `rfile` reads the client's next bytes
 * (those sent with the head first), `wfile` writes raw bytes, nothing is framed and no
 * `Connection: close` is added. Bytes are compared once the `Date` value and the runtime word
 * of `Server` are normalised. A declined upgrade stays HTTP.
 */
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { RawSession, rawExchange } from "./support/clients.js";
import { cpython } from "./support/cpython.js";
import { type RunningServer, runtimes, startProcess } from "./support/runtimes.js";
import { logLine } from "./support/simple.js";

const API = fileURLToPath(new URL("./fixtures/api.ts", import.meta.url));
const CPYTHON_API = fileURLToPath(new URL("./fixtures/cpython_api.py", import.meta.url));
const OPTIONS = JSON.stringify({ scenario: "switch" });

/** Raw bytes with the `Date` value and the runtime word of `Server` replaced. */
function normalized(data: Buffer): string {
  return data
    .toString("latin1")
    .replace(/^Date: [^\r\n]*/gm, "Date: <date>")
    .replace(/^Server: (\S+) \S+\r$/gm, "Server: $1 <runtime>\r");
}

const UPGRADE = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n";
const BINARY = "GET /binary HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n";
const CONNECT = "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n";
/** Every byte value once, CR, LF and NUL among them. */
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 7) % 256));

/** Requests whose raw bytes follow the head in the same write, then the client half-closes. */
const PIPELINED: { name: string; bytes: Buffer }[] = [
  { name: "101 then readline, bytes sent with the head", bytes: Buffer.from(UPGRADE + "hello raw\n", "latin1") },
  { name: "CONNECT 200 then readline, bytes sent with the head", bytes: Buffer.from(CONNECT + "hello tunnel\n", "latin1") },
  { name: "101 then read(256) of binary data sent with the head", bytes: Buffer.concat([Buffer.from(BINARY, "latin1"), ALL_BYTES]) },
  { name: "101 then readline, a line longer than one read", bytes: Buffer.from(UPGRADE + "x".repeat(200_000) + "\n", "latin1") },
  {
    name: "a declined upgrade stays HTTP: 200, then the next request on the same connection",
    bytes: Buffer.from(
      "GET /decline HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nGET /decline HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      "latin1",
    ),
  },
];

/** Sends the head, waits for the answer's head, then sends the rest in pieces and half-closes. */
async function interactive(port: number, head: string, rest: Buffer[]): Promise<{ text: string; closed: boolean }> {
  const session = await RawSession.open(port);
  try {
    session.send(head);
    const answer = await session.take((buf) => {
      const end = buf.indexOf("\r\n\r\n");
      return end < 0 ? null : end + 4;
    });
    for (const piece of rest) {
      session.send(piece);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    session.socket.end();
    const closed = await session.waitClosed(5000);
    return { text: normalized(Buffer.concat([answer, session.buffered])), closed };
  } finally {
    session.close();
  }
}

const INTERACTIVE: { name: string; head: string; rest: Buffer[] }[] = [
  {
    name: "101, then a line sent in three pieces after the head arrived",
    head: UPGRADE,
    rest: ["hel", "lo r", "aw\n"].map((s) => Buffer.from(s)),
  },
  { name: "CONNECT 200, then a line sent after the head arrived", head: CONNECT, rest: [Buffer.from("hello tunnel\n")] },
  {
    name: "101, then binary data in pieces of 100 bytes",
    head: BINARY,
    rest: [ALL_BYTES.subarray(0, 100), ALL_BYTES.subarray(100, 200), ALL_BYTES.subarray(200)],
  },
];

let reference: RunningServer;
const expected = new Map<string, { text: string; closed: boolean }>();

beforeAll(async () => {
  reference = await startProcess(cpython, CPYTHON_API, [OPTIONS], path.dirname(CPYTHON_API));
  for (const { name, bytes } of PIPELINED) {
    const { data, closed } = await rawExchange(reference.port, bytes, { timeoutMs: 5000, halfClose: true });
    expected.set(name, { text: normalized(data), closed });
  }
  for (const { name, head, rest } of INTERACTIVE) expected.set(name, await interactive(reference.port, head, rest));
}, 60_000);
afterAll(async () => {
  await reference?.stop();
});

test("CPython's answers hold what the handlers wrote after the switch (the reference is not vacuous)", () => {
  expect(expected.get(PIPELINED[0].name)?.text).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n[^]*\r\n\r\necho:hello raw\n$/);
  expect(expected.get(PIPELINED[1].name)?.text).toMatch(/^HTTP\/1\.1 200 Connection established\r\n[^]*\r\n\r\ntunnel:hello tunnel\n$/);
  expect(expected.get(PIPELINED[2].name)?.text.endsWith(Buffer.from(ALL_BYTES).reverse().toString("latin1"))).toBe(true);
  expect(expected.get(PIPELINED[4].name)?.text.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(2);
  expect(expected.get(INTERACTIVE[0].name)?.text).toMatch(/echo:hello raw\n$/);
  for (const [name, { closed }] of expected) expect(closed, name).toBe(true);
});

for (const rt of runtimes()) {
  describe(`switching protocols with rfile and wfile, as CPython [${rt.name}]`, () => {
    let server: RunningServer;
    beforeAll(async () => {
      server = await startProcess(rt, API, [OPTIONS]);
    });
    afterAll(async () => {
      await server?.stop();
    });

    for (const { name, bytes } of PIPELINED) {
      test(name, async () => {
        const { data, closed } = await rawExchange(server.port, bytes, { timeoutMs: 5000, halfClose: true });
        expect({ text: normalized(data), closed }).toEqual(expected.get(name));
      });
    }

    for (const { name, head, rest } of INTERACTIVE) {
      test(name, async () => {
        expect(await interactive(server.port, head, rest)).toEqual(expected.get(name));
      });
    }

    test("the log lines are CPython's; the connection closes when the handler returns, without waiting for the client", async () => {
      const session = await RawSession.open(server.port);
      session.send(UPGRADE + "hello raw\n");
      expect(await session.waitClosed(5000)).toBe(true);
      expect(normalized(session.buffered)).toBe(expected.get(PIPELINED[0].name)!.text);
      session.close();
      await server.waitFor("stderr", logLine('"GET / HTTP/1.1" 101 -'));
      await server.waitFor("stderr", logLine('"CONNECT example.com:443 HTTP/1.1" 200 -'));
    });

    test("a 101 to a request without Upgrade is refused (500, logged) instead of switching", async () => {
      const { data, closed } = await rawExchange(server.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\nhello raw\n", { timeoutMs: 5000 });
      expect(data.toString("latin1")).toMatch(/^HTTP\/1\.1 500 Internal Server Error\r\n/);
      expect(closed).toBe(true);
      await server.waitFor("stderr", /LocalProtocolError: 101 \(Switching Protocols\) answers only a request that carries Upgrade/);
    });
  });
}
