// The servers measured: ours on each runtime, and the peers. Each function returns a spec for
// process.mjs's startServer.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "./process.mjs";
import { ROOT, SERVERS } from "./paths.mjs";
import { packageBin, runtimeBinaries } from "./setup.mjs";

const BINS = runtimeBinaries();
const DENO_CONFIG = join(ROOT, "deno.json");

/** Display names of the runtimes. */
export const RUNTIME_NAMES = { node: "Node", bun: "Bun", deno: "Deno" };

/** Command and arguments running a script under `runtime`. */
function runIn(runtime, file, args = [], denoPermissions = ["-A"]) {
  switch (runtime) {
    case "node":
      return { cmd: BINS.node, args: [file, ...args] };
    case "bun":
      return { cmd: BINS.bun, args: [file, ...args] };
    case "deno":
      return { cmd: BINS.deno, args: ["run", ...denoPermissions, "--config", DENO_CONFIG, file, ...args] };
    default:
      throw new Error(`unknown runtime ${runtime}`);
  }
}

/** Our hello server (library API, logging suppressed). */
export function oursHello(runtime) {
  return { name: `ours (${runtime})`, ...runIn(runtime, join(SERVERS, "hello.mjs")), cwd: ROOT, path: "/" };
}

/** node:http, Bun.serve or Deno.serve answering the same 13 bytes. */
export function nativeHello(runtime) {
  const name = { node: "node:http", bun: "Bun.serve", deno: "Deno.serve" }[runtime];
  return { name, ...runIn(runtime, join(SERVERS, "hello-native.mjs")), cwd: ROOT, path: "/" };
}

/** A fetch handler server of `kind` (bench/servers/fetch.mjs): ours, servedir, runtime, srvx, hono. */
export function fetchServer(runtime, kind, docroot, path = "/") {
  const name = {
    ours: `ours serve() (${runtime})`,
    servedir: `ours serve() + serveDir (${runtime})`,
    runtime: runtime === "bun" ? "Bun.serve" : "Deno.serve",
    srvx: "srvx (node:http)",
    hono: "@hono/node-server",
  }[kind];
  return { name, ...runIn(runtime, join(SERVERS, "fetch.mjs"), docroot === undefined ? [kind] : [kind, docroot]), cwd: ROOT, path };
}

/** A raw TCP server writing a fixed reply per request head (the ceiling). */
export function rawHello(runtime) {
  return { name: `raw TCP (${runtime})`, ...runIn(runtime, join(SERVERS, "hello-raw.mjs")), cwd: ROOT, path: "/" };
}

/** CPython's ThreadingHTTPServer with the same handler. */
export function pythonHello(python) {
  return {
    name: `CPython ${python.version}`,
    cmd: python.cmd,
    args: [join(SERVERS, "hello.py")],
    env: { PYTHONUNBUFFERED: "1" },
    cwd: ROOT,
    path: "/",
  };
}

/** Our command line, as users run it: `httpserver -p HTTP/1.1`, logging every request (to /dev/null). */
export function oursStatic(runtime, docroot, path, workers = 1) {
  const args = ["-p", "HTTP/1.1", "-b", "127.0.0.1", "-d", docroot, ...(workers === 1 ? [] : ["--workers", String(workers)]), "0"];
  const cli = {
    node: join(ROOT, "packages/node/dist/cli.js"),
    bun: join(ROOT, "packages/bun/src/cli.ts"),
    deno: join(ROOT, "packages/deno/src/cli.ts"),
  }[runtime];
  return {
    name: workers === 1 ? `ours (${runtime})` : `ours (${runtime}, ${workers} workers)`,
    ...runIn(runtime, cli, args, ["--allow-net", "--allow-read", "--unstable-net"]),
    cwd: ROOT,
    path,
    quiet: true,
  };
}

/** `sirv DIR` (production mode, its default logging), with `extra` arguments (`--etag`). */
export async function sirv(docroot, path, extra = []) {
  const port = await freePort();
  return {
    name: extra.length > 0 ? `sirv-cli ${extra.join(" ")}` : "sirv-cli",
    cmd: BINS.node,
    args: [packageBin("sirv-cli", "sirv"), docroot, "--host", "127.0.0.1", "--port", String(port), ...extra],
    env: { HOST: "127.0.0.1", PORT: String(port) },
    port,
    path,
    quiet: true,
  };
}

/** `http-server DIR` (its default logging). */
export async function httpServer(docroot, path) {
  const port = await freePort();
  return {
    name: "http-server",
    cmd: BINS.node,
    args: [packageBin("http-server", "http-server"), docroot, "-a", "127.0.0.1", "-p", String(port)],
    port,
    path,
    quiet: true,
  };
}

/** `serve DIR` (its default logging; no clipboard). */
export async function serve(docroot, path) {
  const port = await freePort();
  return {
    name: "serve",
    cmd: BINS.node,
    args: [packageBin("serve", "serve"), "-n", "-l", `tcp://127.0.0.1:${port}`, docroot],
    port,
    path,
    quiet: true,
  };
}

/** `python3 -m http.server -p HTTP/1.1` (logging every request, to /dev/null). */
export function pythonStatic(python, docroot, path) {
  return {
    name: `CPython ${python.version}`,
    cmd: python.cmd,
    args: ["-m", "http.server", "-p", "HTTP/1.1", "-b", "127.0.0.1", "-d", docroot, "0"],
    env: { PYTHONUNBUFFERED: "1" },
    path,
    quiet: true,
  };
}

/** nginx: one worker, access log off, sendfile, autoindex for the listing. */
export async function nginx(nginxPath, docroot, path, workdir, workers = 1) {
  const port = await freePort();
  const prefix = join(workdir, `nginx-${workers}`);
  mkdirSync(prefix, { recursive: true });
  const mime = existsSync("/etc/nginx/mime.types") ? "include /etc/nginx/mime.types;" : "";
  const conf = join(prefix, "nginx.conf");
  writeFileSync(
    conf,
    `worker_processes ${workers};
daemon off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 4096; }
http {
  ${mime}
  default_type application/octet-stream;
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  server {
    listen 127.0.0.1:${port};
    root ${docroot};
    autoindex on;
  }
}
`,
  );
  return {
    name: workers === 1 ? "nginx" : `nginx, ${workers} workers`,
    cmd: nginxPath,
    args: ["-p", prefix, "-c", conf],
    port,
    path,
    quiet: true,
  };
}
