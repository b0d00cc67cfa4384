// A WebSocket load generator: opens `connections` sockets to ws://127.0.0.1:<port>/, keeps
// `inflight` messages of `size` bytes (text for 32 B, binary otherwise) in flight on each, and
// for `seconds` counts the echoes and their round-trip times. Prints one JSON line:
// { messages, perSecond, p50Ms, p99Ms, errors }. Frames are built once (masked, RFC 6455 §5.3)
// and echoes found by their headers, so that the client costs little next to the server.
// Usage: node bench/ws/load.mjs <port> <size> [connections=50] [seconds=3] [inflight=4] [warmup=1]
import { randomBytes } from "node:crypto";
import { connect } from "node:net";

const [port, size, connections = 50, seconds = 3, inflight = 4, warmup = 1] = process.argv.slice(2).map(Number);
const text = size <= 125;
const payload = Buffer.alloc(size, 0x61);
const mask = randomBytes(4);
const masked = Buffer.from(payload);
for (let i = 0; i < masked.length; i++) masked[i] ^= mask[i & 3];
const head = size < 126 ? Buffer.from([text ? 0x81 : 0x82, 0x80 | size]) : Buffer.from([0x82, 0x80 | 126, size >> 8, size & 0xff]);
const frame = Buffer.concat([head, mask, masked]);

let measuring = false;
let messages = 0;
let errors = 0;
const samples = [];

function open() {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1", noDelay: true });
    const key = randomBytes(16).toString("base64");
    socket.once("error", reject);
    socket.once("connect", () =>
      socket.write(
        `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ),
    );
    let buf = Buffer.alloc(0);
    const onHead = (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      socket.off("data", onHead);
      if (!buf.subarray(0, 12).toString().includes("101")) return reject(new Error(buf.toString()));
      resolve({ socket, rest: buf.subarray(end + 4) });
    };
    socket.on("data", onHead);
  });
}

function run({ socket, rest }) {
  const sent = [];
  let buf = rest;
  let stopped = false;
  const send = () => {
    sent.push(performance.now());
    socket.write(frame);
  };
  socket.on("error", () => errors++);
  socket.on("data", (chunk) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    for (;;) {
      if (buf.length < 2) break;
      let len = buf[1] & 0x7f;
      let at = 2;
      if (len === 126) {
        if (buf.length < 4) break;
        len = buf.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (buf.length < 10) break;
        len = Number(buf.readBigUInt64BE(2));
        at = 10;
      }
      if (buf.length < at + len) break;
      buf = buf.subarray(at + len);
      const t0 = sent.shift();
      if (measuring) {
        messages++;
        if (messages % 8 === 0) samples.push(performance.now() - t0);
      }
      if (!stopped) send();
    }
  });
  for (let i = 0; i < inflight; i++) send();
  return () => {
    stopped = true;
    socket.destroy();
  };
}

const sockets = [];
for (let i = 0; i < connections; i++) sockets.push(await open());
const stops = sockets.map(run);
await new Promise((resolve) => setTimeout(resolve, warmup * 1000));
measuring = true;
const start = performance.now();
await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
measuring = false;
const elapsed = (performance.now() - start) / 1000;
for (const stop of stops) stop();
samples.sort((a, b) => a - b);
const pct = (p) => (samples.length === 0 ? null : Number(samples[Math.min(samples.length - 1, Math.floor(samples.length * p))].toFixed(3)));
console.log(JSON.stringify({ messages, perSecond: Math.round(messages / elapsed), p50Ms: pct(0.5), p99Ms: pct(0.99), errors }));
process.exit(0);
