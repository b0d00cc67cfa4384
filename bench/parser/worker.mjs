// One (parser, scenario) pair in its own process, so that the JIT feedback of one parser never
// shapes the call sites of another. Driven by run.mjs over IPC, so that the trials of all pairs
// can be interleaved in time (load from elsewhere on the machine then hits every parser alike):
//   {cmd: "check"}              correctness check        -> {ok: true, bytesPerMessage}
//   {cmd: "run", ms, warmupMs}  warm-up, then one trial   -> {ok: true, wall, cpu} (messages/s)
// Usage (through child_process.fork): worker.mjs <parser> <scenario> <buffer|u8>

import { SCENARIOS } from "./inputs.mjs";
import { PARSERS, sink } from "./parsers.mjs";

const [parserName, scenarioName, inputKind = "buffer"] = process.argv.slice(2);

const scenario = SCENARIOS[scenarioName]();
// Node's sockets deliver Buffers; `u8` feeds a plain Uint8Array (what Deno delivers) instead.
const bytes =
  inputKind === "u8"
    ? new Uint8Array(scenario.bytes)
    : Buffer.from(scenario.bytes.buffer, scenario.bytes.byteOffset, scenario.bytes.length);
const perIteration = scenario.messages.length;
// Read the clock every `batch` iterations (about 256 messages).
const batch = Math.max(1, Math.round(256 / perIteration));

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * One instance is fed the buffer three times (so reuse is checked too), then the same bytes in
 * pieces of 97; every message must carry the expected method, target, fields and body.
 */
async function check() {
  if (inputKind === "u8" && parserName === "http-parser-js") throw new Error("http-parser-js needs a Buffer");
  const log = [];
  const parser = await PARSERS[parserName](log);
  for (let i = 0; i < 3; i++) parser.feed(bytes);
  for (let at = 0; at < bytes.length; at += 97) parser.feed(bytes.subarray(at, Math.min(bytes.length, at + 97)));
  const want = [];
  for (let i = 0; i < 4; i++) want.push(...scenario.messages);
  if (log.length !== want.length) throw new Error(`${log.length} messages, expected ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const got = log[i];
    const exp = want[i];
    for (const key of ["method", "target", "fields"]) {
      if (!same(got[key], exp[key])) {
        throw new Error(`message ${i}: ${key} ${JSON.stringify(got[key])} != ${JSON.stringify(exp[key])}`);
      }
    }
    const body = got.body === null ? null : Array.from(got.body);
    const expBody = exp.body === null ? null : Array.from(exp.body);
    if (!same(body, expBody)) throw new Error(`message ${i}: wrong body`);
  }
}

let parser = null;

/** Feeds the buffer for `ms` of wall-clock time; messages per second of wall time and of CPU time. */
function run(ms) {
  let iterations = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const stop = start + ms;
  let now = start;
  while (now < stop) {
    for (let i = 0; i < batch; i++) parser.feed(bytes);
    iterations += batch;
    now = performance.now();
  }
  const cpu = process.cpuUsage(cpu0);
  const messages = iterations * perIteration;
  return { wall: messages / ((now - start) / 1000), cpu: messages / ((cpu.user + cpu.system) / 1e6) };
}

process.on("message", async (msg) => {
  try {
    if (msg.cmd === "check") {
      await check();
      parser = await PARSERS[parserName](null); // timing uses a fresh instance
      process.send({ ok: true, bytesPerMessage: scenario.bytes.length / perIteration });
    } else if (msg.cmd === "run") {
      const before = sink.messages;
      if (msg.warmupMs > 0) run(msg.warmupMs);
      const { wall, cpu } = run(msg.ms);
      if (sink.messages === before) throw new Error("nothing was parsed");
      process.send({ ok: true, wall, cpu });
    } else if (msg.cmd === "exit") {
      process.exit(0);
    }
  } catch (e) {
    process.send({ ok: false, error: `${parserName}/${scenarioName}: ${e.stack ?? e}` });
  }
});
