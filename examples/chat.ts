/**
 * A chat server: every message a WebSocket sends goes to every WebSocket connected, and a plain
 * GET gets the page that connects.
 *
 *   pnpm build && pnpm tsx examples/chat.ts [port]      (Node)
 *   open http://localhost:8000/ in two tabs
 */
import { BaseHTTPRequestHandler, type ServerWebSocket, ThreadingHTTPServer } from "@httpserver/node";

const PAGE = `<!DOCTYPE html><meta charset="utf-8"><title>chat</title>
<input id="text" autofocus><pre id="log"></pre>
<script>
  const ws = new WebSocket("ws://" + location.host + "/chat");
  ws.onmessage = (e) => (document.getElementById("log").textContent += e.data + "\\n");
  document.getElementById("text").onkeydown = (e) => {
    if (e.key === "Enter") (ws.send(e.target.value), (e.target.value = ""));
  };
</script>`;

/** Every socket open on /chat. */
const room = new Set<ServerWebSocket>();

class ChatHandler extends BaseHTTPRequestHandler {
  override protocolVersion = "HTTP/1.1";

  async doGET(): Promise<void> {
    if (this.path !== "/chat") {
      const body = new TextEncoder().encode(PAGE);
      this.sendResponse(200);
      this.sendHeader("Content-Type", "text/html; charset=utf-8");
      this.sendHeader("Content-Length", body.length);
      this.endHeaders();
      await this.wfile.write(body);
      return;
    }
    // Sends the 101 (or answers 400/426 to a request that is no WebSocket handshake).
    const ws = await this.upgradeWebSocket({ perMessageDeflate: true });
    room.add(ws);
    ws.onmessage = (event) => {
      for (const peer of room) peer.send(String(event.data));
    };
    ws.onclose = () => room.delete(ws);
    // The connection belongs to the socket until it closes; doGET may return now.
  }
}

const port = Number(process.argv[2] ?? 8000);
await using httpd = new ThreadingHTTPServer(["", port], ChatHandler);
await httpd.ready;
console.log(`Chat on http://localhost:${httpd.serverPort}/`);
process.on("SIGINT", () => void httpd.shutdown());
await httpd.serveForever();
