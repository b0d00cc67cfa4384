// The parsers under test, each behind the same small interface:
//   const p = PARSERS[name](log); p.feed(bytes);
// `feed` parses one buffer completely. Every parser materialises the method, the target and all
// field names and values as strings and delivers the body bytes; `log` (or null when timing)
// receives { method, target, fields, body } per message for the correctness check.
// The sink counters keep the work observable so that nothing can be optimised away.

import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const require = createRequire(import.meta.url);

export const sink = { n: 0, body: 0, messages: 0 };

/** Joins the body pieces of one message (check mode only). */
function bodyOf(pieces) {
  if (pieces.length === 0) return null;
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Our core: `ServerConnection`, reused across messages like a keep-alive connection. `core` is
 * another build's module exporting it (run.mjs --core / --baseline: packages/core/dist/protocol.js,
 * or index.js of builds before the protocol subpath), for before/after.
 */
async function ours(log, core = process.env.PARSER_BENCH_CORE) {
  const { ServerConnection } = await import(core ? pathToFileURL(core).href : "../../packages/core/dist/protocol.js");
  const conn = new ServerConnection();
  // The smallest legal response: the state machine parses the next request only after
  // startNextCycle(), which needs our side DONE. Its cost is part of the keep-alive cycle.
  const response = { version: "HTTP/1.1", status: 204, reason: "No Content", fields: [], complete: true, keepAlive: true };
  let current = null;
  let pieces = [];
  return {
    feed(bytes) {
      conn.receiveData(bytes);
      for (;;) {
        const event = conn.nextEvent();
        switch (event.type) {
          case "request":
            sink.n += event.method.length + event.target.length + event.fields.length;
            if (log !== null) current = { method: event.method, target: event.target, fields: event.fields.slice() };
            break;
          case "data":
            sink.body += event.data.length;
            if (log !== null) pieces.push(event.data.slice());
            break;
          case "end":
            sink.messages++;
            if (log !== null) {
              log.push({ ...current, body: bodyOf(pieces) });
              pieces = [];
            }
            conn.sendHead(response);
            conn.endResponse(true);
            conn.startNextCycle();
            break;
          case "need-data":
            return;
          default:
            throw new Error(`ours: unexpected ${event.type}: ${event.error?.message ?? ""}`);
        }
      }
    },
  };
}

/** Node's own llhttp through its internal binding (`_http_common`), reused like node:http does. */
async function llhttp(log) {
  const { HTTPParser, methods } = require("_http_common");
  const parser = new HTTPParser();
  parser.initialize(HTTPParser.REQUEST, {});
  let current = null;
  let pieces = [];
  // Fields and URL arrive in kOnHeaders only when the head spans several execute() calls or has
  // more than 32 fields; kept for completeness.
  let partial = [];
  let partialUrl = "";
  parser[HTTPParser.kOnHeaders] = (headers, url) => {
    partial = partial.concat(headers);
    partialUrl += url;
  };
  parser[HTTPParser.kOnHeadersComplete] = (major, minor, headers, method, url) => {
    if (headers === undefined) {
      headers = partial;
      url = partialUrl;
      partial = [];
      partialUrl = "";
    }
    const name = methods[method];
    sink.n += name.length + url.length + headers.length;
    if (log !== null) current = { method: name, target: url, fields: headers.slice() };
    return 0;
  };
  parser[HTTPParser.kOnBody] = (b) => {
    sink.body += b.length;
    if (log !== null) pieces.push(Uint8Array.prototype.slice.call(b));
  };
  parser[HTTPParser.kOnMessageComplete] = () => {
    sink.messages++;
    if (log !== null) {
      log.push({ ...current, body: bodyOf(pieces) });
      pieces = [];
    }
  };
  return {
    feed(bytes) {
      const r = parser.execute(bytes);
      if (typeof r !== "number") throw r;
    },
  };
}

/** http-parser-js 0.5.10 (pure JavaScript, the drop-in for Node's old binding). */
async function httpParserJs(log) {
  const { HTTPParser } = require("http-parser-js");
  const methods = HTTPParser.methods;
  const parser = new HTTPParser(HTTPParser.REQUEST);
  let current = null;
  let pieces = [];
  parser[HTTPParser.kOnHeaders] = () => {};
  parser[HTTPParser.kOnHeadersComplete] = (info) => {
    const name = methods[info.method];
    sink.n += name.length + info.url.length + info.headers.length;
    if (log !== null) current = { method: name, target: info.url, fields: info.headers.slice() };
    return 0;
  };
  parser[HTTPParser.kOnBody] = (b, start, length) => {
    sink.body += length;
    if (log !== null) pieces.push(Uint8Array.prototype.slice.call(b, start, start + length));
  };
  parser[HTTPParser.kOnMessageComplete] = () => {
    sink.messages++;
    if (log !== null) {
      log.push({ ...current, body: bodyOf(pieces) });
      pieces = [];
    }
  };
  return {
    feed(bytes) {
      const r = parser.execute(bytes);
      if (typeof r !== "number") throw r;
    },
  };
}

export const PARSERS = {
  ours,
  llhttp,
  "http-parser-js": httpParserJs,
  "ours-baseline": (log) => ours(log, process.env.PARSER_BENCH_BASELINE),
};
