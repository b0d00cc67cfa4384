#!/usr/bin/env node
// CPU profile of our server under wrk load: `node bench/profile.mjs [--case=hello|small|large|listing]
// [--runtime=node|bun] [--seconds=5] [--top=30] [--keep]`. Starts the server with --cpu-prof,
// warms it up for 1 s, loads it for the given seconds, stops it (the profile is written at exit)
// and prints the functions with the most self time. --keep leaves the .cpuprofile in place
// (its path is printed) for Chrome DevTools.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { selfTimes } from "./lib/cpuprofile.mjs";
import { FILES, makeDocroot } from "./lib/fixtures.mjs";
import { startServer } from "./lib/process.mjs";
import * as S from "./lib/servers.mjs";
import { ensureBuild, ensureTools } from "./lib/setup.mjs";
import { runWrk } from "./lib/wrk.mjs";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=")));
const caseId = args.get("case") ?? "hello";
const runtime = args.get("runtime") ?? "node";
const seconds = Number(args.get("seconds") ?? 5);
const top = Number(args.get("top") ?? 30);
if (!["node", "bun"].includes(runtime)) throw new Error("--runtime: node or bun (Deno: use --v8-flags=--prof by hand)");

const { wrk } = ensureTools({ install: true });
ensureBuild({ build: true });
const docroot = makeDocroot();
const dir = mkdtempSync(join(tmpdir(), "httpserver-profile-"));
const path = caseId === "hello" ? "/" : FILES[caseId].path;
const spec = caseId === "hello" ? S.oursHello(runtime) : S.oursStatic(runtime, docroot.root, path);
spec.args = [`--cpu-prof`, `--cpu-prof-dir=${dir}`, ...spec.args];
try {
  const server = await startServer(spec);
  await runWrk(wrk, server.url(path), { seconds: 1 });
  const r = await runWrk(wrk, server.url(path), { seconds, connections: caseId === "listing" ? 8 : 64 });
  await server.stop();
  console.log(`${caseId} on ${runtime}: ${Math.round(r.rps).toLocaleString("en-US")} req/s under the profiler`);
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (file === undefined) throw new Error(`no profile written in ${dir}`);
  const { rows, totalMs, idleMs, gcMs } = selfTimes(join(dir, file));
  console.log(
    `${(totalMs / 1000).toFixed(1)} s sampled: idle ${((100 * idleMs) / totalMs).toFixed(1)}%, GC ${((100 * gcMs) / totalMs).toFixed(1)}%`,
  );
  console.log("self ms   share  function  (where)");
  for (const row of rows.slice(0, top)) {
    console.log(`${row.ms.toFixed(0).padStart(7)}  ${(row.share * 100).toFixed(1).padStart(5)}%  ${row.name}  ${row.where}`);
  }
  if (args.has("keep")) console.log(`profile: ${join(dir, file)}`);
} finally {
  docroot.remove();
  if (!args.has("keep")) rmSync(dir, { recursive: true, force: true });
}
