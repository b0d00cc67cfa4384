/**
 * WebSockets under bounded load, on every runtime and on loopback only (fixture:
 * tests/fixtures/websocket.ts): 1,000 idle sockets held open at once, 10,000 connect/echo/close
 * cycles, and a slow reader of a 64 MiB stream. The server's descriptors return to where they
 * were, its memory stays bounded, and it keeps answering.
 */
import * as fs from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import WebSocket from "ws";
import { type RunningServer, runtimes, startProcess } from "./support/runtimes.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/websocket.ts", import.meta.url));

/** The server's resident memory in bytes (Linux /proc). */
function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? 0) * 1024;
}

/** The server's open descriptors (Linux /proc). */
function descriptors(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

function echo(ws: WebSocket, text: string): Promise<string> {
  return new Promise((resolve) => {
    ws.once("message", (data: Buffer) => resolve(data.toString()));
    ws.send(text);
  });
}

/** Waits until `check` holds (polling), or fails with `what` after `timeoutMs`. */
async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

for (const rt of runtimes()) {
  describe(`WebSockets under bounded load [${rt.name}]`, () => {
    let server: RunningServer;
    let pid: number;
    let base: string;
    beforeAll(async () => {
      server = await startProcess(rt, FIXTURE, ["{}"]);
      pid = server.child.pid!;
      base = `ws://127.0.0.1:${server.port}`;
      // Warm up: the first connection loads the WebSocket code.
      const ws = await open(`${base}/echo`);
      await echo(ws, "warm");
      ws.close();
    });
    afterAll(async () => {
      await server?.stop();
    });

    test(
      "1,000 idle WebSockets open at once: all answer, then all close and the descriptors are released",
      { timeout: 60_000 },
      async () => {
        const fds = descriptors(pid);
        const before = rss(pid);
        const sockets: WebSocket[] = [];
        for (let i = 0; i < 1000; i += 100) sockets.push(...(await Promise.all(Array.from({ length: 100 }, () => open(`${base}/echo`)))));
        expect(descriptors(pid)).toBeGreaterThanOrEqual(fds + 1000 - 5);
        const grown = rss(pid) - before;
        const answers = await Promise.all(sockets.map((ws, i) => echo(ws, `idle ${i}`)));
        expect(answers.every((a, i) => a === `idle ${i}`)).toBe(true);
        for (const ws of sockets) ws.close();
        await until(() => descriptors(pid) <= fds + 5, "the descriptors to be released");
        // Bounded, not a benchmark (bench/ measures it): a runaway per-socket cost would show.
        expect(grown).toBeLessThan(200 * 1024 * 1024);
      },
    );

    test("10,000 connect/echo/close cycles, 50 at a time: every one answered, nothing leaked", { timeout: 120_000 }, async () => {
      const fds = descriptors(pid);
      let done = 0;
      const worker = async () => {
        while (done < 10_000) {
          done++;
          const ws = await open(`${base}/echo`);
          expect(await echo(ws, "cycle")).toBe("cycle");
          await new Promise<void>((resolve) => {
            ws.once("close", () => resolve());
            ws.close(1000);
          });
        }
      };
      await Promise.all(Array.from({ length: 50 }, worker));
      await until(() => descriptors(pid) <= fds + 5, "the descriptors to be released");
      const ws = await open(`${base}/echo`);
      expect(await echo(ws, "still serving")).toBe("still serving");
      ws.close();
    });

    test("a slow reader of a 64 MiB stream gets all of it, while the server's memory stays bounded", { timeout: 120_000 }, async () => {
      const before = rss(pid);
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, rss(pid))), 100);
      const ws = new WebSocket(`${base}/flood?size=65536&total=${64 * 1024 * 1024}`);
      let received = 0;
      ws.on("message", (data: Buffer) => {
        received += data.length;
        // Read slowly: a pause of 20 ms after every 1 MiB.
        if (received % (1024 * 1024) === 0) {
          (ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
          setTimeout(() => (ws as unknown as { _socket: { resume(): void } })._socket.resume(), 20);
        }
      });
      try {
        const [, bufferedPeak] = await server.waitFor("stdout", /FLOOD (\d+) 67108864/, 100_000);
        await until(() => received === 64 * 1024 * 1024, "every byte to arrive", 100_000);
        expect(Number(bufferedPeak)).toBeLessThan(2 * 65536);
      } finally {
        clearInterval(sampler);
        ws.close();
      }
      expect(peak - before).toBeLessThan(64 * 1024 * 1024);
    });
  });
}
