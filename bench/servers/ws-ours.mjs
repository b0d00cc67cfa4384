// WebSocket echo with our library: `upgradeWebSocket()` in a BaseHTTPRequestHandler, each message
// sent back as it came; a plain GET answers 200. Runs on Node, Bun and Deno (the adapter is
// picked from the runtime); prints `LISTENING <port>` once bound. Logging suppressed.
// Usage: <runtime> bench/servers/ws-ours.mjs
const runtime = globalThis.Deno ? "deno" : globalThis.Bun ? "bun" : "node";
const { BaseHTTPRequestHandler, ThreadingHTTPServer, getPlatform } = await import(`@httpserver/${runtime}`);

class Echo extends BaseHTTPRequestHandler {
  protocolVersion = "HTTP/1.1";
  async doGET() {
    if (!this.headers.has("Upgrade")) {
      this.sendResponse(200);
      this.sendHeader("Content-Length", "2");
      this.endHeaders();
      return this.wfile.write("ok");
    }
    const ws = await this.upgradeWebSocket({ idleTimeout: 0 });
    ws.binaryType = "arraybuffer";
    ws.onmessage = (event) => ws.send(event.data);
  }
  logMessage() {}
}

globalThis.process?.on?.("SIGTERM", () => globalThis.process.exit(0));
const server = new ThreadingHTTPServer(["127.0.0.1", 0], Echo);
await server.ready;
getPlatform().stdout(`LISTENING ${server.serverPort}\n`);
await server.serveForever();
