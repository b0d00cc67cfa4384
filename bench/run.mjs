#!/usr/bin/env node
// `pnpm bench`: our server against its peers under wrk, on loopback, every figure measured in
// the same run as the peer it is compared with. See bench/README.md for what each row means.
//
//   hello        a BaseHTTPRequestHandler answering 13 bytes (logging off), against the runtime's
//                own server (node:http, Bun.serve, Deno.serve), a raw-TCP fixed reply and CPython
//   small/large  `httpserver -p HTTP/1.1` serving 1 KiB / 4 MiB, against sirv-cli, http-server,
//                serve, CPython's http.server and nginx
//   workers      `--workers 2` serving 1 KiB, against one worker (the scaling factor) and nginx
//                with 2 and 1 worker processes
//   range        64 KiB from the middle of the 4 MiB file (`Range`, 206), against sirv-cli and nginx
//   revalidate   the 1 KiB file with its own `ETag` in `If-None-Match` (304), against the same
//   listing      the same servers listing a directory of 1,000 files
//   connections  our RSS with 1,000 idle keep-alive connections, and while a 1 GiB file goes
//                to a client reading 1 MiB/s
//   fetch        a fetch handler answering 13 bytes on serve(), against srvx, @hono/node-server
//                and node:http (Node), Bun.serve and Deno.serve
//   servedir     the 1 KiB file through serveDir on serve(), against the httpserver command
//
// Progress goes to standard error, the tables to standard output. Exits 0 whatever the figures.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { idleConnections, slowDownload } from "./lib/connections.mjs";
import { FILES, makeDocroot } from "./lib/fixtures.mjs";
import { measureGroup } from "./lib/measure.mjs";
import { USAGE, parseOptions } from "./lib/options.mjs";
import { runtimeTable } from "./lib/report.mjs";
import * as S from "./lib/servers.mjs";
import { ensureBuild, ensureTools, findPython, runtimeBinaries } from "./lib/setup.mjs";

let opts;
try {
  opts = parseOptions(process.argv.slice(2));
} catch (error) {
  console.error(`bench: ${error.message}\n\n${USAGE}`);
  process.exit(2);
}
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(130));

const log = (text) => console.error(text);
const started = Date.now();
const tools = ensureTools(opts);
ensureBuild(opts);
const python = findPython();
const docroot = makeDocroot();
const workdir = mkdtempSync(join(tmpdir(), "httpserver-bench-work-"));

function version(cmd, args, pattern) {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return pattern.exec(`${r.stdout}${r.stderr}`)?.[1] ?? "?";
}
const bins = runtimeBinaries();
const versions = {
  node: process.versions.node,
  bun: version(bins.bun, ["--version"], /([\d.]+)/),
  deno: version(bins.deno, ["--version"], /deno ([\d.]+)/),
  python: python?.version ?? "–",
  nginx: tools.nginx ? version(tools.nginx, ["-v"], /nginx\/([\d.]+)/) : "–",
  wrk: version(tools.wrk, ["-v"], /wrk (?:debian\/)?([\w.+-]+)/),
};

/** The static servers other than ours, for a case serving `path`. */
async function staticPeers(path, { listing = false } = {}) {
  const peers = [];
  if (!listing) peers.push({ key: "sirv", spec: await S.sirv(docroot.root, path) });
  peers.push({ key: "http-server", spec: await S.httpServer(docroot.root, path) });
  peers.push({ key: "serve", spec: await S.serve(docroot.root, path) });
  if (python) peers.push({ key: "cpython", spec: S.pythonStatic(python, docroot.root, path) });
  if (tools.nginx) peers.push({ key: "nginx", spec: await S.nginx(tools.nginx, docroot.root, path, workdir) });
  return peers;
}

/**
 * The peers that answer Range and conditional requests as browsers use them: sirv-cli (with
 * `--etag` for revalidation: without it, it sends no validator and ignores If-Modified-Since) and
 * nginx.
 */
async function rangePeers(path, sirvArgs = []) {
  const peers = [{ key: "sirv", spec: await S.sirv(docroot.root, path, sirvArgs) }];
  if (tools.nginx) peers.push({ key: "nginx", spec: await S.nginx(tools.nginx, docroot.root, path, workdir) });
  return peers;
}

const ours = (make) => opts.runtimes.map((rt) => ({ key: `ours:${rt}`, spec: make(rt) }));
const GROUPS = {
  hello: async () => ({
    path: "/",
    specs: [
      ...opts.runtimes.flatMap((rt) => [
        { key: `ours:${rt}`, spec: S.oursHello(rt) },
        { key: `native:${rt}`, spec: S.nativeHello(rt) },
        { key: `raw:${rt}`, spec: S.rawHello(rt) },
      ]),
      ...(python ? [{ key: "cpython", spec: S.pythonHello(python) }] : []),
    ],
  }),
  small: async () => ({
    path: FILES.small.path,
    specs: [...ours((rt) => S.oursStatic(rt, docroot.root, FILES.small.path)), ...(await staticPeers(FILES.small.path))],
  }),
  large: async () => ({
    path: FILES.large.path,
    bytesPerRequest: FILES.large.size,
    specs: [...ours((rt) => S.oursStatic(rt, docroot.root, FILES.large.path)), ...(await staticPeers(FILES.large.path))],
  }),
  // Two workers against one (the scaling factor) and against nginx with two worker processes.
  workers: async () => ({
    path: FILES.small.path,
    specs: [
      ...opts.runtimes.flatMap((rt) => [
        { key: `ours:${rt}`, spec: S.oursStatic(rt, docroot.root, FILES.small.path, 2) },
        { key: `one:${rt}`, spec: S.oursStatic(rt, docroot.root, FILES.small.path, 1) },
      ]),
      ...(tools.nginx
        ? [
            { key: "nginx2", spec: await S.nginx(tools.nginx, docroot.root, FILES.small.path, workdir, 2) },
            { key: "nginx", spec: await S.nginx(tools.nginx, docroot.root, FILES.small.path, workdir, 1) },
          ]
        : []),
    ],
  }),
  range: async () => ({
    path: FILES.large.path,
    request: async () => ({ headers: ["Range: bytes=1048576-1114111"], status: 206 }),
    specs: [...ours((rt) => S.oursStatic(rt, docroot.root, FILES.large.path)), ...(await rangePeers(FILES.large.path))],
  }),
  // Each server's own validator: its ETag (If-None-Match), else its Last-Modified.
  revalidate: async () => ({
    path: FILES.small.path,
    request: async (url) => {
      const res = await fetch(url);
      await res.arrayBuffer();
      const etag = res.headers.get("etag");
      return { headers: [etag ? `If-None-Match: ${etag}` : `If-Modified-Since: ${res.headers.get("last-modified")}`], status: 304 };
    },
    specs: [...ours((rt) => S.oursStatic(rt, docroot.root, FILES.small.path)), ...(await rangePeers(FILES.small.path, ["--etag"]))],
  }),
  // A fetch handler answering 13 bytes: our serve() against the runtime's own fetch server (Bun,
  // Deno), srvx and @hono/node-server and node:http itself (Node).
  fetch: async () => ({
    path: "/",
    specs: opts.runtimes.flatMap((rt) =>
      rt === "node"
        ? [
            { key: "ours:node", spec: S.fetchServer("node", "ours") },
            { key: "srvx:node", spec: S.fetchServer("node", "srvx") },
            { key: "hono:node", spec: S.fetchServer("node", "hono") },
            { key: "native:node", spec: S.nativeHello("node") },
          ]
        : [
            { key: `ours:${rt}`, spec: S.fetchServer(rt, "ours") },
            { key: `native:${rt}`, spec: S.fetchServer(rt, "runtime") },
          ],
    ),
  }),
  // The 1 KiB file through serveDir on our serve(), against the httpserver command.
  servedir: async () => ({
    path: FILES.small.path,
    specs: opts.runtimes.flatMap((rt) => [
      { key: `ours:${rt}`, spec: S.fetchServer(rt, "servedir", docroot.root, FILES.small.path) },
      { key: `command:${rt}`, spec: S.oursStatic(rt, docroot.root, FILES.small.path) },
    ]),
  }),
  // 8 connections: at 64 the slowest peers finish no listing within a trial.
  listing: async () => ({
    path: FILES.listing.path,
    connections: 8,
    specs: [
      ...ours((rt) => S.oursStatic(rt, docroot.root, FILES.listing.path)),
      ...(await staticPeers(FILES.listing.path, { listing: true })),
    ],
  }),
};

const results = {};
const memory = {};
try {
  for (const id of opts.cases) {
    if (id === "connections") continue;
    const group = await GROUPS[id]();
    log(`${id}: ${group.specs.length} servers, ${opts.rounds} rounds of ${opts.duration} s`);
    results[id] = await measureGroup(group, { ...opts, wrk: tools.wrk, log });
  }
  if (opts.cases.includes("connections")) {
    for (const rt of opts.runtimes) {
      const m = (memory[rt] = {});
      log(`connections (${rt}): 1,000 idle keep-alive connections`);
      try {
        m.idle = await idleConnections(S.oursStatic(rt, docroot.root, FILES.small.path), { wrk: tools.wrk, path: FILES.small.path });
      } catch (error) {
        m.idleError = error.message.split("\n")[0];
      }
      log(`connections (${rt}): 1 GiB at 1 MiB/s for ${opts.slowSeconds} s`);
      try {
        m.slow = await slowDownload(S.oursStatic(rt, docroot.root, FILES.huge.path), { path: FILES.huge.path, seconds: opts.slowSeconds });
      } catch (error) {
        m.slowError = error.message.split("\n")[0];
      }
    }
  }
} finally {
  docroot.remove();
  rmSync(workdir, { recursive: true, force: true });
}

const out = [];
out.push(`## httpserver benchmark — ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`);
out.push("");
out.push(
  `${cpus().length} CPUs (${cpus()[0]?.model.trim()}), load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")} at the end. ` +
    `Node ${versions.node}, Bun ${versions.bun}, Deno ${versions.deno}, CPython ${versions.python}, nginx ${versions.nginx}, wrk ${versions.wrk}.`,
);
out.push(
  `wrk -t1 -c64 (listing: -c8), loopback; ${opts.rounds} rounds of ${opts.duration} s per server after a ${opts.warmup} s warm-up, order reversed every other round; ` +
    "figures are medians over the rounds, ratios the median of the per-round ratios.",
);
out.push(
  "hello: our handler's logMessage is a no-op (so is CPython's log_message). Static: every server as its command line runs by default, " +
    "logging each request (to /dev/null), except nginx (1 worker, access_log off, sendfile on). sirv-cli lists no directories.",
);
const checks = [];
for (const rt of opts.runtimes) {
  const title = `${S.RUNTIME_NAMES[rt]} ${versions[rt]}`;
  const table = runtimeTable(rt, title, results, memory, opts);
  out.push("", table.text);
  checks.push(...table.checks);
}
if (checks.length > 0) {
  out.push("", "### Targets", "");
  for (const [label, ok] of checks) out.push(`- ${ok ? "✓" : "✗"} ${label}`);
}
out.push("", `(${Math.round((Date.now() - started) / 1000)} s)`);
console.log(out.join("\n"));
if (opts.json) writeFileSync(opts.json, JSON.stringify({ versions, opts, results, memory }, null, 2));
