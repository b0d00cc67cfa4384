#!/usr/bin/env node
// pnpm soak: the `httpserver` command on each runtime under hostile load, on loopback only.
//
// For each runtime: start `httpserver -p HTTP/1.1` on a small tree, then
//   1. fuzz:  N fuzzed requests (well-formed seeds mutated: bytes flipped, inserted, deleted,
//             duplicated, truncated, seeds spliced; sent whole or in pieces, with or without FIN),
//   2. churn: N connections each making one request and closing,
//   3. abort: N/10 clients resetting at every stage (before the head ends, mid-response, at once),
// checking between phases that the server still answers, and at the end that its descriptor
// count came back to where it started and how its resident memory moved. Exits 1 on a crash (the
// process died), a hang (no answer to a probe within 5 s) or a leak (more than 8 descriptors
// kept, or RSS more than 256 MiB above the start).
//
// Usage: pnpm soak [--runtime=node,bun,deno] [--requests=100000] [--concurrency=64] [--seed=1]
// Not part of `pnpm test`: it takes minutes.

import { mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync, closeSync, openSync, mkdirSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { probe, rss, startServer } from "./lib/process.mjs";
import { oursStatic } from "./lib/servers.mjs";
import { ensureBuild } from "./lib/setup.mjs";

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v = "true"] = a.replace(/^--/, "").split("=");
    return [k, v];
  }),
);
const RUNTIMES = (args.get("runtime") ?? "node,bun,deno").split(",");
const REQUESTS = Number(args.get("requests") ?? 100_000);
const CONCURRENCY = Number(args.get("concurrency") ?? 64);
let seed = Number(args.get("seed") ?? 1);

/** mulberry32: the same seed gives the same fuzz cases. */
function rnd() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const ri = (n) => Math.floor(rnd() * n);
const pick = (a) => a[ri(a.length)];

const SEEDS = [
  "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n",
  "GET / HTTP/1.0\r\n\r\n",
  "HEAD /dir/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
  "GET /dir HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: Thu, 01 Jan 2099 00:00:00 GMT\r\n\r\n",
  "POST /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
  "PUT /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
  "GET /a.txt HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
  "POST / HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
  "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /dir/ HTTP/1.1\r\nHost: x\r\n\r\n",
  "GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
  "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n",
  "GET /a.txt\r\n",
];
const NOISE = ["\r", "\n", "\0", " ", "\t", ":", "\x7f", "\xff", "%", "/", "..", "\r\n", "0", "9", "-", ",", ";"];

/** A seed mutated 1–8 times. Bytes as a latin-1 string. */
function fuzzCase() {
  let s = pick(SEEDS);
  const n = 1 + ri(8);
  for (let k = 0; k < n; k++) {
    const at = ri(s.length + 1);
    switch (ri(7)) {
      case 0: // flip a byte
        s = s.slice(0, at) + String.fromCharCode(ri(256)) + s.slice(at + 1);
        break;
      case 1: // insert noise
        s = s.slice(0, at) + pick(NOISE).repeat(1 + ri(3)) + s.slice(at);
        break;
      case 2: // delete a range
        s = s.slice(0, at) + s.slice(at + 1 + ri(8));
        break;
      case 3: // duplicate a range
        s = s.slice(0, at) + s.slice(at, at + 1 + ri(32)).repeat(1 + ri(4)) + s.slice(at);
        break;
      case 4: // truncate
        s = s.slice(0, at);
        break;
      case 5: // splice another seed in
        s = s.slice(0, at) + pick(SEEDS);
        break;
      default: // a long run (limits)
        if (rnd() < 0.1) s = s.slice(0, at) + "A".repeat(ri(70_000)) + s.slice(at);
    }
  }
  return Buffer.from(s, "latin1");
}

/**
 * One client: connects, sends `pieces` (50 ms apart), optionally half-closes, reads until the
 * server closes or nothing arrives for `idleMs`, then closes (or resets, with `reset`).
 */
function client(port, pieces, { halfClose = false, idleMs = 300, reset = null } = {}) {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1", allowHalfOpen: true });
    let idle = null;
    let got = 0;
    const done = () => {
      clearTimeout(idle);
      if (!socket.destroyed) socket.destroy();
      resolve(got);
    };
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(done, idleMs);
    };
    socket.on("error", done);
    socket.on("close", done);
    socket.on("end", done);
    socket.on("data", (c) => {
      got += c.length;
      if (reset === "response") {
        socket.resetAndDestroy();
        return done();
      }
      arm();
    });
    socket.on("connect", async () => {
      if (reset === "connect") {
        socket.resetAndDestroy();
        return done();
      }
      for (let i = 0; i < pieces.length; i++) {
        if (socket.destroyed) return;
        socket.write(pieces[i]);
        if (i < pieces.length - 1) await sleep(50);
      }
      if (reset === "request") {
        await sleep(ri(20));
        socket.resetAndDestroy();
        return done();
      }
      if (halfClose && !socket.destroyed) socket.end();
      arm();
    });
  });
}

/** Cuts `bytes` into 1–4 pieces at random points. */
function split(bytes) {
  const cuts = Array.from({ length: ri(4) }, () => ri(bytes.length)).sort((a, b) => a - b);
  const pieces = [];
  let last = 0;
  for (const cut of cuts) {
    if (cut > last) pieces.push(bytes.subarray(last, cut));
    last = Math.max(last, cut);
  }
  pieces.push(bytes.subarray(last));
  return pieces;
}

/** Runs `count` jobs with `CONCURRENCY` at once; `job(i)` returns a promise. */
async function pool(count, job) {
  let next = 0;
  const worker = async () => {
    while (next < count) await job(next++);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, worker));
}

function fds(pid) {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

const mib = (bytes) => (bytes / 1048576).toFixed(1);

async function alive(server) {
  for (let i = 0; i < 50; i++) {
    try {
      if ((await probe(server.port, "/a.txt", 5000)) === 200) return true;
    } catch {
      // retried: a reset or a back-off is not a hang
    }
    if (fds(server.pid) === null) return false;
    await sleep(100);
  }
  return false;
}

async function soak(runtime, docroot) {
  const server = await startServer(oursStatic(runtime, docroot, "/a.txt"));
  const failures = [];
  try {
    // Warm up, then take the baseline.
    await pool(2000, () => client(server.port, [Buffer.from(SEEDS[0])]));
    await sleep(500);
    const before = { fds: fds(server.pid), rss: rss(server.pid) };
    const phases = [
      [
        "fuzz",
        REQUESTS,
        () => {
          const bytes = fuzzCase();
          return client(server.port, rnd() < 0.3 ? split(bytes) : [bytes], { halfClose: rnd() < 0.3 });
        },
      ],
      ["churn", REQUESTS, () => client(server.port, [Buffer.from("GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")])],
      [
        "abort",
        REQUESTS / 10,
        () => {
          const when = pick(["connect", "request", "response"]);
          const head = pick([
            "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /a.txt HTTP/1.1\r\nHo",
            "POST /a.txt HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc",
          ]);
          return client(server.port, [Buffer.from(head)], { reset: when });
        },
      ],
    ];
    for (const [name, count, job] of phases) {
      const start = Date.now();
      await pool(count, job);
      const ok = await alive(server);
      console.log(
        `  ${runtime} ${name.padEnd(5)} ${String(count).padStart(7)} in ${((Date.now() - start) / 1000).toFixed(1)} s; ` +
          `fds ${fds(server.pid)}, RSS ${mib(rss(server.pid) ?? 0)} MiB; ${ok ? "answering" : "NOT ANSWERING"}`,
      );
      if (!ok) {
        failures.push(fds(server.pid) === null ? `${name}: the process died` : `${name}: no answer within 5 s (hang)`);
        break;
      }
    }
    // Connections the clients left close on the server's side within its linger (2 s).
    let after = fds(server.pid);
    for (let i = 0; i < 60 && after !== null && after > before.fds + 8; i++) {
      await sleep(250);
      after = fds(server.pid);
    }
    const afterRss = rss(server.pid);
    console.log(
      `  ${runtime}: descriptors ${before.fds} → ${after ?? "gone"}, RSS ${mib(before.rss)} → ${afterRss === null ? "gone" : mib(afterRss)} MiB`,
    );
    if (after === null) failures.push("the process died");
    else if (after > before.fds + 8) failures.push(`descriptor leak: ${before.fds} → ${after}`);
    if (afterRss !== null && afterRss - before.rss > 256 * 1048576) failures.push(`memory: RSS grew by ${mib(afterRss - before.rss)} MiB`);
  } finally {
    await server.stop();
  }
  return failures;
}

ensureBuild({ build: true });
const docroot = mkdtempSync(join(tmpdir(), "httpserver-soak-"));
writeFileSync(join(docroot, "a.txt"), "hello a\n");
mkdirSync(join(docroot, "dir"));
writeFileSync(join(docroot, "dir", "in.txt"), "inside\n");
closeSync(openSync(join(docroot, "big.bin"), "w"));
truncateSync(join(docroot, "big.bin"), 16 * 1048576);
let failed = false;
try {
  for (const runtime of RUNTIMES) {
    console.log(
      `${runtime}: ${REQUESTS} fuzzed requests, ${REQUESTS} churned connections, ${REQUESTS / 10} aborts (concurrency ${CONCURRENCY})`,
    );
    const failures = await soak(runtime, docroot);
    for (const f of failures) console.log(`  FAIL ${runtime}: ${f}`);
    failed ||= failures.length > 0;
  }
} finally {
  rmSync(docroot, { recursive: true, force: true });
}
console.log(failed ? "soak: FAILED" : "soak: passed");
process.exit(failed ? 1 : 0);
