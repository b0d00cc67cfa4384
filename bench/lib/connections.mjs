// Memory under many connections: RSS of our server with 1,000 idle keep-alive connections, and
// its peak RSS while a client downloads a 1 GiB file at 1 MiB/s.
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { rss, startServer } from "./process.mjs";
import { runWrk } from "./wrk.mjs";

const MiB = 2 ** 20;

/** Opens a connection, sends one keep-alive GET and resolves with the socket once the answer was read. */
function keepAliveRequest(port, path) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let head = "";
    let body = -1;
    let need = 0;
    socket.on("connect", () => socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`));
    const onData = (chunk) => {
      if (body < 0) {
        head += chunk.toString("latin1");
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) return;
        if (!/^HTTP\/1\.1 200 /.test(head)) return reject(new Error(`unexpected answer: ${head.split("\r\n")[0]}`));
        need = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? NaN);
        body = head.length - end - 4;
      } else {
        body += chunk.length;
      }
      if (body >= need) {
        socket.off("data", onData);
        resolve(socket);
      }
    };
    socket.on("data", onData);
    socket.on("error", reject);
    socket.on("close", () => reject(new Error("closed")));
  });
}

/** The largest RSS seen in `ms` milliseconds, sampled every 100 ms. */
async function peakRss(pid, ms) {
  let peak = 0;
  for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) peak = Math.max(peak, rss(pid) ?? 0);
  return peak;
}

/**
 * RSS added by `count` idle keep-alive connections, each having made one request for `path`:
 * `{ before, after, added }` in MiB (`before` after a 1 s wrk warm-up; `after` the peak over
 * 1.5 s once every connection has its answer), and `open` = connections still open at the end.
 */
export async function idleConnections(spec, { wrk, path, count = 1000 }) {
  const server = await startServer(spec);
  const sockets = [];
  try {
    await runWrk(wrk, server.url(path), { seconds: 1 });
    await sleep(1000);
    const before = Math.min(rss(server.pid), await peakRss(server.pid, 500));
    for (let i = 0; i < count; i += 50) {
      const batch = [];
      for (let j = i; j < Math.min(count, i + 50); j++) batch.push(keepAliveRequest(server.port, path));
      sockets.push(...(await Promise.all(batch)));
    }
    const after = await peakRss(server.pid, 1500);
    // Still open: the server kept every connection (none ended or reset).
    const open = sockets.filter((s) => !s.destroyed && !s.readableEnded).length;
    return { before: before / MiB, after: after / MiB, added: (after - before) / MiB, open };
  } finally {
    for (const s of sockets) s.destroy();
    await server.stop();
  }
}

/**
 * Peak RSS while one client downloads `path` (a 1 GiB file) reading 1 MiB per second for
 * `seconds`: `{ before, peak, received }` in MiB (`received`: body bytes the client read).
 */
export async function slowDownload(spec, { path, seconds, rate = MiB }) {
  const server = await startServer(spec);
  try {
    await sleep(500);
    const before = rss(server.pid);
    const socket = connect(server.port, "127.0.0.1");
    let received = 0;
    let head = null;
    let raw = "";
    let paused = false;
    socket.on("error", () => {});
    socket.on("connect", () => socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`));
    socket.on("data", (chunk) => {
      if (head === null) {
        raw += chunk.toString("latin1");
        const end = raw.indexOf("\r\n\r\n");
        if (end < 0) return;
        head = raw.slice(0, end);
        received = raw.length - end - 4;
      } else {
        received += chunk.length;
      }
      if (received >= allowed && !paused) {
        paused = true;
        socket.pause();
      }
    });
    let allowed = 0;
    let peak = 0;
    const start = Date.now();
    while (Date.now() - start < seconds * 1000) {
      await sleep(50);
      allowed = ((Date.now() - start) / 1000) * rate;
      if (paused && received < allowed) {
        paused = false;
        socket.resume();
      }
      peak = Math.max(peak, rss(server.pid) ?? 0);
    }
    socket.destroy();
    if (head === null || !/^HTTP\/1\.1 200 /.test(head)) throw new Error(`slow download: no 200 answer (${head?.split("\r\n")[0]})`);
    return { before: before / MiB, peak: peak / MiB, received: received / MiB };
  } finally {
    await server.stop();
  }
}
