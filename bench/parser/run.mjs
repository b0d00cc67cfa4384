#!/usr/bin/env node
// The parser benchmark (`pnpm bench:parser`): our sans-IO core against Node's own llhttp
// (node:http's internal HTTPParser binding) and http-parser-js, on three inputs:
//   (a) single     a 528-byte browser GET with 10 fields
//   (b) pipelined  32 such GETs in one 16,896-byte buffer
//   (c) chunked    a POST whose body is 4 chunks of 256 bytes (1,562 bytes)
//
// Each (parser, scenario) pair runs in its own process (worker.mjs), which first checks that the
// parser yields the expected method, target, fields and body. Then the trials run one at a time,
// in rounds over all pairs (each trial preceded by a short warm-up; the order within a scenario
// reversed every other round), so that load from elsewhere on the machine falls on every parser
// alike. The table gives each pair's median trial, and as the ratio to llhttp the median of the
// per-round ratios (each from two trials run back to back), which is steadier than the ratio of
// the medians when the machine is busy. Benchmarks never fail
// a test: this prints numbers and the targets, and exits 0 unless a parser is wrong.
//
// Options: --quick (5 x 0.3 s trials), --trials=N, --trial-ms=N, --warmup-ms=N (first trial),
//          --parsers=ours,llhttp,... --scenarios=single,... --u8 (feed ours a plain Uint8Array
//          instead of a Buffer), --wall (rates per second of wall-clock time instead of CPU
//          time), --core=FILE (ours from another build of packages/core/dist/protocol.js, for
//          before/after comparisons), --baseline=FILE (adds a row "ours-baseline": ours from
//          that build, measured in the same rounds), --json (also print the raw results)
//
// Rates are messages per second of the worker's CPU time (all its threads, so GC work counts)
// during a trial of fixed wall-clock length: on a small shared machine, time spent descheduled
// is not the parser's. With --wall they are per second of elapsed time.

import { fork } from "node:child_process";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v = "true"] = a.replace(/^--/, "").split("=");
    return [k, v];
  }),
);
const quick = args.has("quick");
const trials = Number(args.get("trials") ?? (quick ? 5 : 15));
const trialMs = Number(args.get("trial-ms") ?? (quick ? 300 : 500));
const warmupMs = Number(args.get("warmup-ms") ?? (quick ? 300 : 500));
const rewarmMs = Math.min(50, warmupMs);
const parsers = (args.get("parsers") ?? "ours,llhttp,http-parser-js").split(",");
if (args.has("baseline") && !parsers.includes("ours-baseline")) parsers.splice(1, 0, "ours-baseline");
const scenarios = (args.get("scenarios") ?? "single,pipelined,chunked").split(",");
const oursInput = args.has("u8") ? "u8" : "buffer";
const clock = args.has("wall") ? "wall" : "cpu";

const TITLES = {
  single: "(a) GET 528 B, 10 fields",
  pipelined: "(b) 32 pipelined GETs",
  chunked: "(c) POST chunked 4x256 B",
};
const TARGETS = { single: 1.0, pipelined: 1.0, chunked: 2.5 };

const workerPath = fileURLToPath(new URL("./worker.mjs", import.meta.url));

/** A worker process and a way to ask it one thing at a time. */
function startWorker(parser, scenario) {
  const input = parser.startsWith("ours") ? oursInput : "buffer";
  const env = { ...process.env };
  if (args.has("core")) env.PARSER_BENCH_CORE = resolve(args.get("core"));
  if (args.has("baseline")) env.PARSER_BENCH_BASELINE = resolve(args.get("baseline"));
  const child = fork(workerPath, [parser, scenario, input], { stdio: ["ignore", "inherit", "inherit", "ipc"], env });
  let pending = null;
  child.on("message", (m) => {
    const p = pending;
    pending = null;
    if (m.ok) p.resolve(m);
    else p.reject(new Error(m.error));
  });
  child.on("exit", (code) => {
    if (pending) pending.reject(new Error(`${parser}/${scenario}: worker exited with ${code}`));
  });
  return {
    parser,
    scenario,
    ask(msg) {
      return new Promise((resolve, reject) => {
        pending = { resolve, reject };
        child.send(msg);
      });
    },
    stop() {
      child.send({ cmd: "exit" });
    },
  };
}

console.log(
  `parser benchmark: node ${process.version}, ${trials} rounds of ${trialMs} ms trials per parser and input, median, ` +
    `per second of ${clock === "cpu" ? "CPU" : "wall-clock"} time; ours is fed a ${oursInput === "u8" ? "plain Uint8Array" : "Buffer"}` +
    (args.has("core") ? `; ours from ${args.get("core")}` : "") +
    (args.has("baseline") ? `; ours-baseline from ${args.get("baseline")}` : ""),
);
const started = performance.now();
const pairs = [];
let failed = false;
for (const scenario of scenarios) {
  for (const parser of parsers) {
    const w = startWorker(parser, scenario);
    const pair = { parser, scenario, worker: w, rates: [], other: [], error: null, bytesPerMessage: 0 };
    try {
      pair.bytesPerMessage = (await w.ask({ cmd: "check" })).bytesPerMessage;
    } catch (e) {
      pair.error = e.message;
      failed = true;
      console.log(`FAILED correctness check: ${e.message}`);
    }
    pairs.push(pair);
  }
}
for (let t = 0; t < trials; t++) {
  const order = [];
  for (const scenario of scenarios) {
    const group = pairs.filter((p) => p.scenario === scenario);
    order.push(...(t % 2 === 0 ? group : group.reverse()));
  }
  for (const pair of order) {
    if (pair.error) continue;
    try {
      const result = await pair.worker.ask({ cmd: "run", ms: trialMs, warmupMs: t === 0 ? warmupMs : rewarmMs });
      pair.rates.push(result[clock]);
      pair.other.push(result[clock === "cpu" ? "wall" : "cpu"]);
    } catch (e) {
      pair.error = e.message;
      failed = true;
      console.log(`FAILED: ${e.message}`);
    }
  }
  process.stderr.write(`  round ${t + 1}/${trials} done\n`);
}
for (const pair of pairs) pair.worker.stop();

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const fmt = (n, width) => Math.round(n).toLocaleString("en-US").padStart(width);
const rule = "-".repeat(97);
console.log();
console.log(
  "scenario".padEnd(27) +
    "parser".padEnd(16) +
    "req/s".padStart(11) +
    "MB/s".padStart(7) +
    "ours/llhttp".padStart(13) +
    "spread".padStart(9) +
    "  target",
);
console.log(rule);
const summary = [];
for (const scenario of scenarios) {
  const base = pairs.find((p) => p.scenario === scenario && p.parser === "llhttp" && !p.error);
  parsers.forEach((parser, k) => {
    const p = pairs.find((x) => x.scenario === scenario && x.parser === parser);
    const head = (k === 0 ? TITLES[scenario] : "").padEnd(27) + parser.padEnd(16);
    if (p.error) {
      console.log(head + "failed".padStart(11));
      return;
    }
    const m = median(p.rates);
    const mbs = (m * p.bytesPerMessage) / 1e6;
    const spread = `±${(((Math.max(...p.rates) - Math.min(...p.rates)) / 2 / m) * 100).toFixed(0)}%`;
    let ratio = "";
    let target = "";
    if (base) {
      // Median of the per-round ratios (trials run back to back); the rounds are aligned.
      const r = median(p.rates.map((x, i) => x / base.rates[i]));
      ratio = `${r.toFixed(2)}x`;
      if (parser === "ours") target = `${r >= TARGETS[scenario] ? "met" : "missed"} (>= ${TARGETS[scenario].toFixed(1)}x)`;
    }
    const perRound = base ? median(p.rates.map((x, i) => x / base.rates[i])) : null;
    summary.push({ scenario, parser, clock, median: m, mbs, ratio: perRound, rates: p.rates, otherClock: p.other });
    console.log(head + fmt(m, 11) + fmt(mbs, 7) + ratio.padStart(13) + spread.padStart(9) + "  " + target);
  });
  console.log(rule);
}
console.log(
  `req/s = median of the trials (per ${clock === "cpu" ? "CPU" : "wall-clock"} second); ratio = median over the rounds of (the row's trial / llhttp's trial);` +
    ` spread = (max - min) / 2 / median of the row's trials.`,
);
console.log("ours runs the keep-alive cycle its state machine needs between requests: a 204 head, endResponse, startNextCycle.");
console.log(`total ${((performance.now() - started) / 1000).toFixed(0)} s`);
if (args.has("json")) console.log(JSON.stringify(summary));
process.exitCode = failed ? 1 : 0;
