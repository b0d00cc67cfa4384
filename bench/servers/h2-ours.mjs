// Ours for the HTTP/2 benchmark: `/hello` (13 bytes from a BaseHTTPRequestHandler subclass) and
// files of DIR (SimpleHTTPRequestHandler), over TLS (h2 by ALPN, and HTTP/1.1) or cleartext (h2c
// by the preface, and HTTP/1.1); logging suppressed. Runs on Node, Bun and Deno; prints
// `LISTENING <port>` once bound.
// Usage: <runtime> bench/servers/h2-ours.mjs DIR [CERT KEY] [--no-http2]
const runtime = globalThis.Deno ? "deno" : globalThis.Bun ? "bun" : "node";
const mod = await import(`@httpserver/${runtime}`);
const argv = (globalThis.Deno?.args ?? globalThis.process.argv.slice(2)).filter((a) => a !== "--no-http2");
const http2 = !(globalThis.Deno?.args ?? globalThis.process.argv).includes("--no-http2");
const [dir, cert, key] = argv;
const BODY = new TextEncoder().encode("Hello, World!");

class Handler extends mod.SimpleHTTPRequestHandler {
  protocolVersion = "HTTP/1.1";
  constructor(request, address, server) {
    super(request, address, server, { directory: dir });
  }
  doGET() {
    if (this.path !== "/hello") return super.doGET();
    this.sendResponse(200);
    this.sendHeader("Content-Length", "13");
    this.endHeaders();
    return this.wfile.write(BODY);
  }
  logMessage() {}
}

globalThis.process?.on?.("SIGTERM", () => globalThis.process.exit(0));
const server =
  cert === undefined
    ? new mod.ThreadingHTTPServer(["127.0.0.1", 0], Handler)
    : new mod.ThreadingHTTPSServer(["127.0.0.1", 0], Handler, { certfile: cert, keyfile: key });
server.http2 = http2;
await server.ready;
mod.getPlatform().stdout(`LISTENING ${server.serverPort}\n`);
await server.serveForever();
