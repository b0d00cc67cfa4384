// Inputs of the parser benchmark. Each scenario is one buffer that a parser is fed once per
// iteration, with the messages it must yield (for the correctness check that precedes timing).

const enc = (s) => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** A browser GET with the ten fields of docs/protocol.md §6, padded (Cookie) to exactly `size` bytes. */
function browserGet(target, size) {
  const fields = [
    ["Host", "en.wikipedia.org"],
    ["User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"],
    ["Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"],
    ["Accept-Language", "en-US,en;q=0.5"],
    ["Accept-Encoding", "gzip, deflate, br, zstd"],
    ["Connection", "keep-alive"],
    ["Referer", "https://en.wikipedia.org/wiki/Main_Page"],
    ["Cookie", ""],
    ["Upgrade-Insecure-Requests", "1"],
    ["Cache-Control", "max-age=0"],
  ];
  return padded("GET", target, fields, size);
}

/** Builds a head of exactly `size` bytes by growing the Cookie value. */
function padded(method, target, fields, size) {
  const text = () => `${method} ${target} HTTP/1.1\r\n` + fields.map(([n, v]) => `${n}: ${v}\r\n`).join("") + "\r\n";
  const cookie = fields.find(([n]) => n === "Cookie");
  const base = "session=8f3a2c1e9b7d4f60; theme=dark; lang=en; ";
  cookie[1] = base;
  let pad = size - text().length;
  if (pad < 0) throw new Error(`head is already ${text().length} bytes, more than ${size}`);
  let filler = "";
  for (let i = 0; filler.length < pad; i++) filler += "abcdefghijklmnopqrstuvwxyz0123456789"[i % 36];
  cookie[1] = base + "x=" + filler.slice(0, Math.max(0, pad - 2));
  if (pad < 2) cookie[1] = base + "x".repeat(pad);
  const head = text();
  if (head.length !== size) throw new Error(`head is ${head.length} bytes, wanted ${size}`);
  return { head, method, target, fields: fields.flat() };
}

function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function single() {
  const get = browserGet("/wiki/Hypertext_Transfer_Protocol?action=view&section=3", 528);
  return {
    name: "single",
    title: "(a) GET 528 B, 10 fields",
    bytes: enc(get.head),
    messages: [{ method: get.method, target: get.target, fields: get.fields, body: null }],
  };
}

function pipelined() {
  const gets = [];
  for (let i = 0; i < 32; i++) {
    gets.push(browserGet(`/wiki/Hypertext_Transfer_Protocol?action=view&section=${String(i).padStart(2, "0")}`, 528));
  }
  return {
    name: "pipelined",
    title: "(b) 32 pipelined GETs",
    bytes: concat(gets.map((g) => enc(g.head))),
    messages: gets.map((g) => ({ method: g.method, target: g.target, fields: g.fields, body: null })),
  };
}

function chunked() {
  const post = padded(
    "POST",
    "/api/v1/upload?session=3",
    [
      ["Host", "api.example.com"],
      ["User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"],
      ["Accept", "application/json"],
      ["Accept-Language", "en-US,en;q=0.5"],
      ["Accept-Encoding", "gzip, deflate, br, zstd"],
      ["Content-Type", "application/octet-stream"],
      ["Transfer-Encoding", "chunked"],
      ["Connection", "keep-alive"],
      ["Cookie", ""],
      ["Origin", "https://example.com"],
    ],
    505,
  );
  // Four 256-byte chunks of every byte value (binary, not text).
  const chunk = new Uint8Array(256);
  for (let i = 0; i < 256; i++) chunk[i] = (i * 7 + 3) & 0xff;
  const parts = [enc(post.head)];
  for (let i = 0; i < 4; i++) parts.push(enc("100\r\n"), chunk, enc("\r\n"));
  parts.push(enc("0\r\n\r\n"));
  return {
    name: "chunked",
    title: "(c) POST chunked 4×256 B",
    bytes: concat(parts),
    messages: [{ method: post.method, target: post.target, fields: post.fields, body: concat([chunk, chunk, chunk, chunk]) }],
  };
}

export const SCENARIOS = { single, pipelined, chunked };
