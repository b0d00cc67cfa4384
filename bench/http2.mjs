#!/usr/bin/env node
// `pnpm bench:h2`: HTTP/2 throughput with h2load (nghttp2-client) — `hello` (13 bytes) and a
// 1 KiB file, `-t1 -c10 -m10`, over TLS (h2 by ALPN) and cleartext (h2c, prior knowledge) —
// ours on each runtime against node:http2 (nghttp2 in C) on Node and nginx (`listen … http2`,
// one worker), measured in the same run; then HTTP/1.1 with wrk on the same cleartext port with
// HTTP/2 on and off (the preface check must cost nothing). Ratios are medians of per-round ratios.
// Usage: node bench/http2.mjs [--runtime=node,bun,deno] [--rounds=3] [--duration=5] [--http1=no]
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ROOT, SERVERS } from "./lib/paths.mjs";
import { freePort, startServer } from "./lib/process.mjs";
import { ensureBuild, ensureTools, runtimeBinaries, which } from "./lib/setup.mjs";

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=")));
const runtimes = (args.runtime ?? "node,bun,deno").split(",");
const rounds = Number(args.rounds ?? 3);
const duration = Number(args.duration ?? 5);
const BINS = runtimeBinaries();
const log = (text) => console.error(text);
ensureBuild({ build: true });
const tools = ensureTools({ install: true });
const h2load = which("h2load");
if (h2load === null) throw new Error("h2load is missing: apt-get install nghttp2-client");

const work = mkdtempSync(join(tmpdir(), "httpserver-bench-h2-"));
chmodSync(work, 0o755); // nginx's worker runs as nobody when we are root
const docroot = join(work, "root");
mkdirSync(docroot);
writeFileSync(join(docroot, "1k.bin"), Buffer.alloc(1024, 0x61));
const cert = join(work, "cert.pem");
const key = join(work, "key.pem");
spawnSync(
  "openssl",
  ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost"],
  {
    stdio: "ignore",
  },
);

function runIn(runtime, script, argv) {
  return {
    node: { cmd: BINS.node, args: [script, ...argv] },
    bun: { cmd: BINS.bun, args: [script, ...argv] },
    deno: { cmd: BINS.deno, args: ["run", "-A", "--config", join(ROOT, "deno.json"), script, ...argv] },
  }[runtime];
}

const ours = (runtime, tls, extra = []) => ({
  name: `ours (${runtime})`,
  ...runIn(runtime, join(SERVERS, "h2-ours.mjs"), [docroot, ...(tls ? [cert, key] : []), ...extra]),
  cwd: ROOT,
  path: "/hello",
  probe: tls ? "tls" : undefined,
});
const nodeHttp2 = (tls) => ({
  name: "node:http2",
  ...runIn("node", join(SERVERS, "h2-node.mjs"), [docroot, ...(tls ? [cert, key] : [])]),
  path: "/hello",
  probe: "tcp",
});

async function nginx(tls) {
  const port = await freePort();
  const prefix = join(work, `nginx-${tls ? "tls" : "h2c"}`);
  mkdirSync(prefix, { recursive: true });
  const conf = join(prefix, "nginx.conf");
  writeFileSync(
    conf,
    `worker_processes 1;
daemon off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 4096; }
http {
  default_type application/octet-stream;
  access_log off;
  sendfile on;
  keepalive_requests 1000000;
  http2_max_requests 1000000;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  server {
    listen 127.0.0.1:${port} ${tls ? "ssl " : ""}http2;
    ${tls ? `ssl_certificate ${cert}; ssl_certificate_key ${key};` : ""}
    root ${docroot};
    location = /hello { return 200 "Hello, World!"; }
  }
}
`,
  );
  return { name: "nginx", cmd: tools.nginx, args: ["-p", prefix, "-c", conf], port, path: "/hello", quiet: true, probe: "tcp" };
}

/** h2load's requests per second for `url`. */
function load(url) {
  const r = spawnSync(h2load, ["-t1", "-c10", "-m10", "-D", String(duration), "--warm-up-time=1", url], { encoding: "utf8" });
  const m = /finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(r.stdout);
  const counts = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(r.stdout);
  if (m === null || counts === null || counts[1] === "0" || counts[2] !== "0" || counts[3] !== "0") {
    throw new Error(`h2load ${url}: ${r.stdout}\n${r.stderr}`);
  }
  return Number(m[1]);
}

/** wrk's requests per second for `url` (HTTP/1.1, 10 connections). */
function wrk(url) {
  const r = spawnSync(tools.wrk, ["-t1", "-c10", `-d${duration}`, url], { encoding: "utf8" });
  const m = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout);
  if (m === null) throw new Error(`wrk ${url}: ${r.stdout}\n${r.stderr}`);
  return Number(m[1]);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n) => Math.round(n).toLocaleString("en-US");

/** Crashed peer processes, restarted between measurements (named in the report). */
const crashes = new Map();

/**
 * Measures each of `specs` on `paths`, `rounds` times in rotating order; medians of req/s. A
 * server that died (node:http2 segfaults in `respondWithFile` some time after h2load closes its
 * connections) is restarted and measured again, once, and counted in `crashes`.
 */
async function measure(specs, paths, scheme, measureOne = load) {
  const slots = [];
  for (const spec of specs) slots.push({ spec, server: await startServer(spec), byPath: new Map(paths.map((p) => [p, []])) });
  try {
    for (let r = 0; r < rounds; r++) {
      const order = slots.map((_, i) => slots[(i + r) % slots.length]);
      for (const path of paths) {
        for (const slot of order) {
          log(`${scheme} ${slot.spec.name} ${path} round ${r + 1}`);
          const url = () => `${scheme}://127.0.0.1:${slot.server.port}${path}`;
          let result;
          try {
            if (slot.server.exit() !== null) throw new Error("exited");
            result = measureOne(url());
          } catch (error) {
            await sleep(200);
            if (slot.server.exit() === null) throw error;
            const key = `${slot.spec.name} (exit ${slot.server.exit()})`;
            crashes.set(key, (crashes.get(key) ?? 0) + 1);
            slot.server = await startServer(slot.spec);
            result = measureOne(url());
          }
          slot.byPath.get(path).push(result);
        }
      }
    }
  } finally {
    for (const slot of slots) await slot.server.stop();
  }
  return slots.map((s) => ({ name: s.spec.name, byPath: s.byPath }));
}

const out = [`## HTTP/2 — ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`, ""];
out.push(
  `h2load -t1 -c10 -m10, ${rounds} rounds of ${duration} s (1 s warm-up), order rotating; requests/s. ` +
    "Ours logs nothing here (as the peers); nginx: one worker, access_log off.",
  "",
);
const PATHS = ["/hello", "/1k.bin"];
for (const tls of [true, false]) {
  const scheme = tls ? "https" : "http";
  out.push(`### ${tls ? "TLS (h2 by ALPN)" : "cleartext (h2c, prior knowledge)"}`, "");
  out.push(
    "| case | ours | node:http2 | nginx | ours / node:http2 (≥ 1.0×) | ours / nginx (≥ 0.5×) |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
  );
  for (const runtime of runtimes) {
    const specs = [ours(runtime, tls), nodeHttp2(tls), ...(tools.nginx ? [await nginx(tls)] : [])];
    const [mine, node, nginxResult] = await measure(specs, PATHS, scheme);
    for (const path of PATHS) {
      const m = mine.byPath.get(path);
      const n = node.byPath.get(path);
      const g = nginxResult?.byPath.get(path);
      const rn = median(m.map((v, i) => v / n[i]));
      const rg = g === undefined ? NaN : median(m.map((v, i) => v / g[i]));
      out.push(
        `| ${runtime} ${path} | ${fmt(median(m))} | ${fmt(median(n))} | ${g === undefined ? "–" : fmt(median(g))} | ${rn.toFixed(2)}× ${rn >= 1 ? "✓" : "✗"} | ${Number.isNaN(rg) ? "–" : `${rg.toFixed(2)}× ${rg >= 0.5 ? "✓" : "✗"}`} |`,
      );
    }
  }
  out.push("");
}

if (args.http1 !== "no") {
  out.push(
    "### HTTP/1.1 on the cleartext port, HTTP/2 on and off (wrk -t1 -c10)",
    "",
    "| case | http2 on | http2 off | on / off |",
    "| --- | ---: | ---: | ---: |",
  );
  for (const runtime of runtimes) {
    const [on, off] = await measure(
      [ours(runtime, false), { ...ours(runtime, false, ["--no-http2"]), name: `ours (${runtime}, no h2)` }],
      PATHS,
      "http",
      wrk,
    );
    for (const path of PATHS) {
      const a = on.byPath.get(path);
      const b = off.byPath.get(path);
      out.push(`| ${runtime} ${path} | ${fmt(median(a))} | ${fmt(median(b))} | ${median(a.map((v, i) => v / b[i])).toFixed(2)}× |`);
    }
  }
}
if (crashes.size > 0) {
  out.push(`Restarted after crashing: ${[...crashes].map(([name, n]) => `${name} ${n}×`).join(", ")}.`, "");
}
console.log(out.join("\n"));
