/**
 * An echo server: answers every POST with the request body.
 *
 *   pnpm build && pnpm tsx examples/echo.ts [port]      (Node)
 *   curl -d 'hello' http://localhost:8000/
 */
import { BaseHTTPRequestHandler, ThreadingHTTPServer } from "@httpserver/node";

class EchoHandler extends BaseHTTPRequestHandler {
  // Keep connections open between requests (HTTP/1.1 persistent connections).
  override protocolVersion = "HTTP/1.1";

  async doPOST(): Promise<void> {
    const body = await this.rfile.read();
    this.sendResponse(200);
    this.sendHeader("Content-Type", this.headers.get("Content-Type", "application/octet-stream"));
    this.sendHeader("Content-Length", body.length);
    this.endHeaders();
    await this.wfile.write(body);
  }
}

const port = Number(process.argv[2] ?? 8000);
await using httpd = new ThreadingHTTPServer(["", port], EchoHandler);
await httpd.ready;
const [host, boundPort] = httpd.serverAddress;
console.log(`Echo server on ${host} port ${boundPort}`);
process.on("SIGINT", () => void httpd.shutdown());
await httpd.serveForever();
