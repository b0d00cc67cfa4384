#!/usr/bin/env node
// Differential fuzzer for work on the parser: feeds the same random request streams to the
// current build of the core (packages/core/dist/protocol.js) and to a baseline build, and reports
// any difference in the events (every field of every request, data bytes, trailers, errors with
// status, code, texts and context), in the connection states after each event, or in what
// ChunkedDecoder does with random chunked bodies. Inputs are mostly well-formed requests (so that
// fast paths run) with anomalies at random rates, byte mutations, several requests per stream
// (independent ones, or one repeated with a different target letter), random splits (none, one,
// several, every byte, at request boundaries), EOF or not, and random small limits.
//
// Usage: node bench/parser/fuzz.mjs --baseline=FILE [--cases=N] [--seed=S] [--requests=K]
//   FILE is another build's dist/protocol.js (dist/index.js before the protocol subpath), e.g.:
//     git worktree add /tmp/base <rev> && (cd /tmp/base && pnpm install && pnpm build)
//     node bench/parser/fuzz.mjs --baseline=/tmp/base/packages/core/dist/protocol.js
// Exits 1 on a difference. Not part of `pnpm test` (it needs the baseline build).

import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v = "true"] = a.replace(/^--/, "").split("=");
    return [k, v];
  }),
);
if (!args.has("baseline")) {
  console.error("usage: node bench/parser/fuzz.mjs --baseline=FILE [--cases=N] [--seed=S] [--requests=K]");
  process.exit(2);
}
const NEW = await import(new URL("../../packages/core/dist/protocol.js", import.meta.url).href);
const REF = await import(pathToFileURL(resolve(args.get("baseline"))).href);
const CASES = Number(args.get("cases") ?? 20000);
const SEED = Number(args.get("seed") ?? 1);
const REQUESTS = Number(args.get("requests") ?? 4);

let seed = SEED;
/** mulberry32 */
function rnd() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const ri = (n) => Math.floor(rnd() * n);
const pick = (a) => a[ri(a.length)];
const enc = (s) => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

// ---- request streams through ServerConnection ----

let Q = 1; // multiplies the chance of every anomaly
const odd = (p) => rnd() < p * Q;
// Each stream draws Q from {1, 0.2, 0.05, 0.01}: the lower, the closer to a well-formed request.
function eol() {
  if (!odd(1)) return "\r\n";
  const r = rnd();
  return r < 0.85 ? "\r\n" : r < 0.95 ? "\n" : pick(["\r", "\r\r\n", "\n\r", " \r\n"]);
}
function tok() {
  if (!odd(1)) return pick(["GET", "POST", "HEAD", "PUT", "OPTIONS", "PROPFIND"]);
  return pick(["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "get", "PATCH", "X-Y", "GE T", "", "G\x01T", "PUT\t"]);
}
function target() {
  if (!odd(1)) return pick(["/", "/a?b=1", "/wiki/Main_Page?action=view&x=" + "y".repeat(ri(40)), "*", "http://a/b"]);
  return pick([
    "/",
    "/a?b=1",
    "/wiki/Main_Page",
    "*",
    "http://a/b",
    "/\xe9",
    "/a%20b",
    "/a b",
    "/\x7f",
    "/\x00",
    "/" + "x".repeat(ri(200)),
  ]);
}
function version() {
  if (!odd(1)) return pick(["HTTP/1.1", "HTTP/1.0"]);
  return pick([
    "HTTP/1.1",
    "HTTP/1.1",
    "HTTP/1.1",
    "HTTP/1.0",
    "HTTP/1.0",
    "HTTP/2.0",
    "HTTP/01.1",
    "HTTP/1.2",
    "http/1.1",
    "HTTP/1",
    "HTTP/1.1 ",
    "HTTP/11.1",
    "FOO",
  ]);
}
const NAMES = [
  "Host",
  "User-Agent",
  "Accept",
  "Cookie",
  "Content-Length",
  "content-length",
  "CONTENT-LENGTH",
  "Transfer-Encoding",
  "transfer-encoding",
  "Connection",
  "connection",
  "Expect",
  "EXPECT",
  "X-A",
  "Referer",
  "Content-Lengthx",
  "Transfer-Encodinx",
  "Connectio",
  "Expec",
  "Content_Length",
  "A^B",
  "x~y",
  "Te",
];
function fieldLine() {
  const r = rnd();
  let name = odd(1)
    ? pick(NAMES)
    : pick([
        "Host",
        "User-Agent",
        "Accept",
        "Cookie",
        "Content-Length",
        "content-length",
        "Transfer-Encoding",
        "Connection",
        "Expect",
        "X-A",
        "Referer",
        "Accept-Encoding",
      ]);
  if (Q < 1 && rnd() > Q) {
    /* clean */
  } else if (r < 0.03) name = name + " ";
  else if (r < 0.05) name = " " + name;
  else if (r < 0.06) name = "";
  else if (r < 0.07) name = name + "\x00";
  else if (r < 0.08) name = "Na\xe9me";
  let value;
  const lower = name.toLowerCase();
  if (lower === "content-length") value = pick(["0", "5", "10", "3", " 4 ", "+5", "5,5", "", "0x5", "99999999999999999999", "2"]);
  else if (lower === "transfer-encoding")
    value = pick([
      "chunked",
      "chunked",
      "Chunked",
      "gzip, chunked",
      "chunked, gzip",
      "chunked;a=b",
      "",
      " chunked ",
      "identity",
      "chunked,chunked",
    ]);
  else if (lower === "connection") value = pick(["keep-alive", "close", "Keep-Alive, Upgrade", "upgrade", ""]);
  else if (lower === "expect") value = pick(["100-continue", "100-Continue", "foo", ""]);
  else if (!odd(1))
    value = pick(["a", "", "  padded  ", "text/html,application/xml;q=0.9", "a\tb", "x".repeat(ri(300)), "a\x01b", "x\t", "y \t ", "\x7f"]);
  else
    value = pick([
      "a",
      "",
      "  padded  ",
      "text/html,application/xml;q=0.9",
      "a\tb",
      "\xe9t\xe9",
      "a\x00b",
      "a\rb",
      "a\x01b",
      "x".repeat(ri(300)),
      "\t",
      "caf\xc3\xa9",
      "\x85",
    ]);
  const sep = odd(0.15) ? " : " : pick([":", ": ", ": ", ":\t", ":  "]);
  let line = name + sep + value + eol();
  if (odd(0.02)) line = " folded" + eol();
  return line;
}
function body(te, cl) {
  if (te) {
    let out = "";
    const k = ri(4);
    for (let i = 0; i < k; i++) {
      const n = 1 + ri(20);
      out +=
        n.toString(16) +
        pick(["", "", ";ext", ';a="b"', " "]) +
        "\r\n" +
        "b\xff".repeat(n).slice(0, n) +
        pick(["\r\n", "\r\n", "\r\n", "\n", "xx"]);
    }
    out += "0\r\n" + (rnd() < 0.2 ? "Trailer: x\r\n" : "") + pick(["\r\n", "\r\n", "\n", ""]);
    return out;
  }
  if (cl > 0) return "z\x80".repeat(cl).slice(0, cl);
  return "";
}
function request() {
  let s = "";
  if (odd(0.03)) s += eol();
  const words = !odd(0.1) ? [tok(), target(), version()] : pick([[tok(), target()], [tok()], [tok(), target(), version(), "x"], []]);
  s += words.join(!odd(0.07) ? " " : pick(["  ", "\t", " \x0b"])) + eol();
  const n = ri(rnd() < 0.1 ? 40 : 12);
  let te = false,
    cl = 0;
  const framing = odd(1) ? -1 : ri(3); // clean: 0 none, 1 one CL, 2 one TE chunked
  const at = ri(n + 1);
  for (let i = 0; i <= n; i++) {
    let f;
    if (i === at && framing === 1) f = "Content-Length: " + ri(40) + "\r\n";
    else if (i === at && framing === 2) f = "Transfer-Encoding: chunked\r\n";
    else if (i === n) continue;
    else {
      f = fieldLine();
      if (framing >= 0 && /^(content-length|transfer-encoding)/i.test(f)) continue;
    }
    const l = f.toLowerCase();
    if (l.startsWith("transfer-encoding:")) te = true;
    const m = /^content-length:\s*(\d+)\s*\r?\n$/.exec(l);
    if (m) cl = Math.min(50, Number(m[1]));
    s += f;
  }
  s += odd(1) ? pick(["\r\n", "\r\n", "\r\n", "\r\n", "\n", ""]) : "\r\n";
  s += body(te, cl);
  return s;
}
function mutate(bytes) {
  const a = Array.from(bytes);
  const k = ri(4);
  for (let i = 0; i < k && a.length; i++) {
    const at = ri(a.length);
    const op = ri(4);
    const b = pick([0, 9, 10, 13, 32, 58, 0x7f, 0x80, 0xe9, 0x41, 0x30]);
    if (op === 0) a.splice(at, 1);
    else if (op === 1) a.splice(at, 0, b);
    else a[at] = b;
  }
  return Uint8Array.from(a);
}
function describe(ev) {
  switch (ev.type) {
    case "request":
      return JSON.stringify(ev);
    case "data":
      return "data:" + Array.from(ev.data).join(",");
    case "end":
      return "end:" + JSON.stringify(ev.trailers);
    case "error": {
      const e = ev.error;
      // The request line the error carries: `line` since the protocol split, three fields before.
      const line = e.line ?? { text: e.requestline, version: e.requestVersion, method: e.command };
      return (
        "error:" + JSON.stringify([e.status, e.code, e.message, e.explain, line.text || null, line.version ?? null, line.method ?? null])
      );
    }
    default:
      return ev.type;
  }
}
function run(M, bytes, cuts, limits, eof) {
  const conn = new M.ServerConnection(limits);
  const log = [];
  let at = 0;
  const drain = () => {
    for (let guard = 0; guard < 1000; guard++) {
      const ev = conn.nextEvent();
      log.push(describe(ev) + `|${conn.theirState}|${conn.ourState}|${conn.bufferedBytes}`);
      if (ev.type === "end") {
        try {
          conn.sendHead({
            version: "HTTP/1.1",
            status: 200,
            reason: "OK",
            fields: ["Content-Length", "0"],
            complete: true,
            keepAlive: true,
          });
          if (conn.endResponse(true)) conn.startNextCycle();
        } catch (e) {
          log.push("throw:" + e.message);
          return;
        }
        continue;
      }
      if (ev.type === "error" || ev.type === "closed" || ev.type === "need-data" || ev.type === "paused") return;
    }
  };
  for (const cut of [...cuts, bytes.length]) {
    if (cut > at) {
      conn.receiveData(bytes.slice(at, cut));
      at = cut;
    }
    drain();
  }
  if (eof) {
    conn.receiveEOF();
    drain();
  }
  return log;
}
const N = CASES;
let fails = 0,
  fastish = 0;
for (let iter = 0; iter < N; iter++) {
  Q = pick([1, 0.2, 0.05, 0.01]);
  let text = "";
  const k = 1 + ri(REQUESTS);
  const bounds = [];
  const same = rnd() < 0.3 ? request() : null;
  for (let i = 0; i < k; i++) {
    // Either independent requests, or one request repeated with a different letter in its target.
    text += same === null ? request() : same.replace(/ \//, " /" + "abcdefgh"[i % 8]).replace(/\/[a-h]/, "/" + "abcdefgh"[i % 8]);
    bounds.push(text.length);
  }
  let bytes = enc(text);
  if (rnd() < 0.3 * Q) bytes = mutate(bytes);
  const cuts = [];
  const mode = ri(5);
  if (mode === 4) for (const b of bounds) cuts.push(b);
  if (mode === 1) cuts.push(ri(bytes.length + 1));
  else if (mode === 2) {
    for (let i = 0; i < 4; i++) cuts.push(ri(bytes.length + 1));
    cuts.sort((a, b) => a - b);
  } else if (mode === 3 && bytes.length < 400) {
    for (let i = 1; i < bytes.length; i++) cuts.push(i);
  }
  const limits = rnd() < 0.2 ? { maxLineBytes: 8 + ri(120), maxFieldLines: 1 + ri(12), maxHeadBytes: 16 + ri(400) } : {};
  const eof = rnd() < 0.5;
  const a = run(NEW, bytes, cuts, limits, eof);
  const b = run(REF, bytes, cuts, limits, eof);
  if (a.some((l) => l.startsWith('{"type":"request"'))) fastish++;
  if (JSON.stringify(a) !== JSON.stringify(b)) {
    fails++;
    if (fails <= 3) {
      console.log("MISMATCH", JSON.stringify(text.slice(0, 400)), JSON.stringify(Array.from(bytes).length), cuts, limits, eof);
      for (let i = 0; i < Math.max(a.length, b.length); i++)
        if (a[i] !== b[i]) {
          console.log(" new:", a[i]?.slice(0, 400));
          console.log(" ref:", b[i]?.slice(0, 400));
          break;
        }
    }
  }
}
console.log(`ServerConnection: ${N} streams (seed ${SEED}), ${fastish} with a request, ${fails} differences`);
let failed = fails > 0;

// ---- chunked bodies through ChunkedDecoder ----

function chunkedBody() {
  let s = "";
  const k = ri(5);
  for (let i = 0; i < k; i++) {
    const n = pick([1, 2, 15, 16, 255, 256, 4096, ri(40)]);
    const hex = pick([n.toString(16), n.toString(16).toUpperCase(), "0" + n.toString(16), "000000000000" + n.toString(16), n.toString(16)]);
    s +=
      hex +
      pick(["", "", "", ";a=b", " ", ';x="q\\""', "\t;y"]) +
      pick(["\r\n", "\r\n", "\r\n", "\n", "\r"]) +
      "d".repeat(n) +
      pick(["\r\n", "\r\n", "\r\n", "\n", "x\n", ""]);
  }
  s +=
    pick(["0", "00", "0000000000000", "00000000000000", "FFFFFFFFFFFFFFFFF", "g"]) +
    pick(["\r\n", "\r\n", ";e\r\n"]) +
    pick(["", "", "T: v\r\n", " fold\r\n"]) +
    pick(["\r\n", "\r\n", "\n", ""]) +
    "NEXT";
  let b = Uint8Array.from(s, (c) => c.charCodeAt(0));
  if (rnd() < 0.3) {
    const a = Array.from(b);
    for (let m = 0; m < 1 + ri(3); m++) {
      const at = ri(a.length);
      const op = ri(3);
      const x = pick([13, 10, 48, 59, 32, 65, 0x67]);
      if (op === 0) a.splice(at, 1);
      else if (op === 1) a.splice(at, 0, x);
      else a[at] = x;
    }
    b = Uint8Array.from(a);
  }
  return b;
}
function driveChunked(M, bytes, cuts, limits) {
  const d = new M.ChunkedDecoder(limits);
  const log = [];
  let buf = new Uint8Array(0),
    pos = 0,
    at = 0;
  for (const cut of [...cuts, bytes.length]) {
    if (cut <= at) continue;
    const rest = buf.subarray(pos);
    const nb = new Uint8Array(rest.length + cut - at);
    nb.set(rest);
    nb.set(bytes.subarray(at, cut), rest.length);
    buf = nb;
    pos = 0;
    at = cut;
    for (let g = 0; g < 10000; g++) {
      if (d.done || d.error) break;
      if (d.dataRemaining > 0) {
        const n = Math.min(d.dataRemaining, buf.length - pos);
        if (n === 0) break;
        log.push("data" + n);
        d.skipData(n);
        pos += n;
        continue;
      }
      const r = d.decode(buf, pos, buf.length);
      log.push("r" + (r < 0 ? r : r - pos) + "/" + d.dataRemaining + "/" + d.done + "/" + d.error + "/" + d.tooLarge);
      if (r < 0) break;
      if (r === pos && d.dataRemaining === 0 && !d.done) break;
      pos = r;
    }
  }
  log.push("end " + d.done + " " + d.error + " " + Array.from(d.done ? d.trailerBytes : []).join(","));
  return log;
}
fails = 0;
for (let i = 0; i < N; i++) {
  const b = chunkedBody();
  const cuts = [];
  const mode = ri(3);
  if (mode === 1) cuts.push(ri(b.length));
  if (mode === 2) for (let k = 1; k < b.length && k < 300; k++) if (rnd() < 0.3) cuts.push(k);
  const limits = rnd() < 0.3 ? { maxLineBytes: 1 + ri(20), maxTrailerBytes: ri(10), maxTrailerFields: ri(3) } : {};
  const x = driveChunked(NEW, b, cuts, limits),
    y = driveChunked(REF, b, cuts, limits);
  if (JSON.stringify(x) !== JSON.stringify(y)) {
    fails++;
    if (fails < 3) console.log("MISMATCH", JSON.stringify(String.fromCharCode(...b)), cuts, limits, "\n", x.join(" "), "\n", y.join(" "));
  }
}
console.log(`ChunkedDecoder: ${N} bodies (seed ${SEED}), ${fails} differences`);
failed ||= fails > 0;
process.exitCode = failed ? 1 : 0;
