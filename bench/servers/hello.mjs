// "hello" with our library: a BaseHTTPRequestHandler subclass answering 13 bytes with
// Content-Length on persistent HTTP/1.1 connections, logging suppressed. Runs on Node, Bun and
// Deno (the adapter is picked from the runtime); prints `LISTENING <port>` once bound.
// Usage: <runtime> bench/servers/hello.mjs
const runtime = globalThis.Deno ? "deno" : globalThis.Bun ? "bun" : "node";
const { BaseHTTPRequestHandler, ThreadingHTTPServer, getPlatform } = await import(`@httpserver/${runtime}`);

const BODY = new TextEncoder().encode("Hello, World!");

class Hello extends BaseHTTPRequestHandler {
  protocolVersion = "HTTP/1.1";
  doGET() {
    this.sendResponse(200);
    this.sendHeader("Content-Length", "13");
    this.endHeaders();
    return this.wfile.write(BODY);
  }
  // One log line per request to stderr would dominate the measurement.
  logMessage() {}
}

// Exit on SIGTERM so that a CPU profile (--cpu-prof) gets written.
globalThis.process?.on?.("SIGTERM", () => globalThis.process.exit(0));

const server = new ThreadingHTTPServer(["127.0.0.1", 0], Hello);
await server.ready;
getPlatform().stdout(`LISTENING ${server.serverPort}\n`);
await server.serveForever();
