// Opens `count` WebSockets to ws://127.0.0.1:<port>/ (each handshake completed), prints
// `OPEN <count>` and holds them until killed.
// Usage: node bench/ws/idle.mjs <port> [count=1000]
import { randomBytes } from "node:crypto";
import { connect } from "node:net";

const [port, count = 1000] = process.argv.slice(2).map(Number);
const held = [];
function open() {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1" });
    socket.once("error", reject);
    socket.once("connect", () =>
      socket.write(
        `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ),
    );
    socket.once("data", (chunk) =>
      chunk.subarray(0, 12).toString().includes("101") ? resolve(socket) : reject(new Error(chunk.toString())),
    );
  });
}
for (let i = 0; i < count; i += 50) held.push(...(await Promise.all(Array.from({ length: Math.min(50, count - i) }, open))));
console.log(`OPEN ${held.length}`);
setInterval(() => {}, 1 << 30);
