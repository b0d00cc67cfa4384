#!/usr/bin/env node
// `pnpm bench:ws`: WebSocket echo with our `upgradeWebSocket()` against each runtime's own
// WebSocket server — the `ws` package on Node, Bun.serve's `websocket`, Deno.upgradeWebSocket —
// on loopback, measured in the same run: messages per second and round-trip p99 for 32-byte and
// 16 KiB messages (bench/ws/load.mjs: 50 connections, 4 messages in flight on each), and the
// memory 1,000 idle WebSockets add. Ratios are the medians of the per-round ratios.
// Usage: node bench/websocket.mjs [--runtime=node,bun,deno] [--rounds=3] [--duration=3]
import { spawn } from "node:child_process";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ROOT, SERVERS } from "./lib/paths.mjs";
import { rss, startServer } from "./lib/process.mjs";
import { ensureBuild, runtimeBinaries } from "./lib/setup.mjs";

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=")));
const runtimes = (args.runtime ?? "node,bun,deno").split(",");
const rounds = Number(args.rounds ?? 3);
const duration = Number(args.duration ?? 3);
const BINS = runtimeBinaries();
const log = (text) => console.error(text);
ensureBuild({ build: true });

function spec(runtime, file, name) {
  const script = join(SERVERS, file);
  const run = {
    node: { cmd: BINS.node, args: [script] },
    bun: { cmd: BINS.bun, args: [script] },
    deno: { cmd: BINS.deno, args: ["run", "-A", "--config", join(ROOT, "deno.json"), script] },
  }[runtime];
  return { name, ...run, cwd: ROOT, path: "/" };
}

function child(script, argv) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(ROOT, "bench", "ws", script), ...argv.map(String)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (s) => (out += s));
    p.on("exit", (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split("\n").pop())) : reject(new Error(`${script} exited ${code}: ${out}`)),
    );
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)];
};

async function idleMemory(server) {
  const before = rss(server.pid);
  const holder = spawn(process.execPath, [join(ROOT, "bench", "ws", "idle.mjs"), String(server.port), "1000"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise((resolve, reject) => {
    holder.stdout.on("data", (s) => String(s).includes("OPEN") && resolve());
    holder.on("exit", (code) => reject(new Error(`idle.mjs exited ${code}`)));
  });
  let peak = before;
  for (let i = 0; i < 15; i++) {
    peak = Math.max(peak, rss(server.pid) ?? 0);
    await sleep(100);
  }
  holder.kill("SIGKILL");
  return (peak - before) / 1024 / 1024;
}

const NAMES = { node: "ws (node:http)", bun: "Bun.serve", deno: "Deno.upgradeWebSocket" };
const TARGET = { node: 1.0, bun: 0.7, deno: 0.7 };
const out = [`## WebSocket echo — ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`, ""];
out.push(
  `50 connections, 4 messages in flight each, ${rounds} rounds of ${duration} s (order alternating); messages/s and round-trip p99 (ms).`,
  "",
);
for (const runtime of runtimes) {
  const ours = await startServer(spec(runtime, "ws-ours.mjs", `ours (${runtime})`));
  const peer = await startServer(spec(runtime, "ws-native.mjs", NAMES[runtime]));
  out.push(
    `### ${runtime}`,
    "",
    `| case | ours msg/s | ours p99 | ${NAMES[runtime]} msg/s | its p99 | ratio | target |`,
    "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
  );
  try {
    for (const size of [32, 16384]) {
      const mine = [];
      const theirs = [];
      for (let r = 0; r < rounds; r++) {
        const order = r % 2 === 0 ? [ours, peer] : [peer, ours];
        for (const server of order) {
          log(`${runtime}: ${server.name}, ${size} B, round ${r + 1}`);
          const result = await child("load.mjs", [server.port, size, 50, duration, 4, 1]);
          (server === ours ? mine : theirs).push(result);
        }
      }
      const ratio = median(mine.map((m, i) => m.perSecond / theirs[i].perSecond));
      const ok = ratio >= TARGET[runtime];
      out.push(
        `| echo ${size} B | ${median(mine.map((m) => m.perSecond))} | ${median(mine.map((m) => m.p99Ms))} | ${median(theirs.map((m) => m.perSecond))} | ${median(theirs.map((m) => m.p99Ms))} | ${ratio.toFixed(2)}× | ≥ ${TARGET[runtime]}× ${ok ? "✓" : "✗"} |`,
      );
    }
    const mineIdle = await idleMemory(ours);
    const theirIdle = await idleMemory(peer);
    out.push(
      `| 1,000 idle WebSockets | +${mineIdle.toFixed(1)} MiB | | +${theirIdle.toFixed(1)} MiB | | | < 50 MiB ${mineIdle < 50 ? "✓" : "✗"} |`,
      "",
    );
  } finally {
    await ours.stop();
    await peer.stop();
  }
}
console.log(out.join("\n"));
