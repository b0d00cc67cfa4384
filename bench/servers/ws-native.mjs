// WebSocket echo with each runtime's own: the `ws` package's WebSocketServer on node:http (Node),
// Bun.serve's `websocket` handler (Bun), Deno.serve with Deno.upgradeWebSocket (Deno). A plain
// GET answers 200. Prints `LISTENING <port>` once bound.
// Usage: <runtime> bench/servers/ws-native.mjs
const print = (port) => console.log(`LISTENING ${port}`);

if (globalThis.Bun) {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request, srv) {
      if (srv.upgrade(request)) return undefined;
      return new Response("ok");
    },
    websocket: {
      idleTimeout: 0,
      message(ws, message) {
        ws.send(message);
      },
    },
  });
  print(server.port);
} else if (globalThis.Deno) {
  Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: ({ port }) => print(port) }, (request) => {
    if (request.headers.get("upgrade") !== "websocket") return new Response("ok");
    const { socket, response } = Deno.upgradeWebSocket(request, { idleTimeout: 0 });
    socket.binaryType = "arraybuffer";
    socket.onmessage = (event) => socket.send(event.data);
    return response;
  });
} else {
  const http = await import("node:http");
  const { WebSocketServer } = await import("ws");
  const server = http.createServer((req, res) => res.end("ok"));
  const wss = new WebSocketServer({ server });
  wss.on("connection", (ws) => ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary })));
  server.listen(0, "127.0.0.1", () => print(server.address().port));
  process.on("SIGTERM", () => process.exit(0));
}
