/**
 * fast-check properties of the sans-IO core (issue 2):
 *
 * (a) split invariance: for generated request streams — valid ones and mutated ones — feeding the
 *     bytes in any pieces gives the same events, body bytes concatenated per request, and the same
 *     error (docs/design.md: "Feeding the same bytes in any split must give the same events");
 * (b) round trips: a request model serialized by a small test-side serializer parses back to the
 *     model; a response model sent through `sendHead`/`sendBody`/`endResponse` reads back, with a
 *     small test-side response parser, as the same status, fields and body for Content-Length,
 *     chunked and close-delimited framing;
 * (c) robustness: random bytes and mutations of valid requests never make the core throw (it
 *     reports protocol errors as `error` events carrying a `ProtocolError`), never wait for bytes
 *     after EOF, and reach a final state in a bounded number of `nextEvent` calls.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LAST_CHUNK, encodeChunk } from "../src/http/chunked.js";
import { ServerConnection, type ConnectionLimits } from "../src/http/connection.js";
import { NEED_DATA, PAUSED } from "../src/http/events.js";
import { LocalProtocolError, ProtocolError } from "../src/http/errors.js";
import { requestKeepAlive } from "../src/http/framing.js";
import { bytes, concat, sent, splitAt, text } from "./helpers.js";

// ---------------------------------------------------------------------------------------------
// Driving a connection

/** A normalized event: data merged per request, the end of the connection made explicit. */
type Ev =
  | { t: "request"; method: string; target: string; version: string; fields: string[] }
  | { t: "data"; data: string }
  | { t: "end"; trailers: string[] }
  | { t: "error"; status: number; code: string }
  | { t: "closed" } // EOF between requests
  | { t: "close" }; // the answered request did not keep the connection

/** Every status a ProtocolError may carry (0: close without an answer). */
const ERROR_STATUSES = new Set([0, 400, 414, 431, 501, 505]);

/** Small limits, so that generated inputs reach the 414/431 and chunk-line paths too. */
const SMALL: ConnectionLimits = { maxLineBytes: 64, maxFieldLines: 10, maxHeadBytes: 400, maxChunkLineBytes: 24, maxTrailerBytes: 40 };

/**
 * Feeds `chunks` (then EOF when `eof`) to a connection that answers each complete request with
 * `200 OK`, `Content-Length: 0` and an HTTP/1.1 server's keep-alive. Throws if the core throws,
 * reports an error that is not a ProtocolError, waits for bytes after EOF, or needs more than a
 * linear number of `nextEvent` calls.
 */
function events(chunks: readonly Uint8Array[], eof: boolean, limits?: ConnectionLimits): Ev[] {
  const conn = new ServerConnection(limits);
  const out: Ev[] = [];
  let total = 0;
  for (const c of chunks) total += c.length;
  const maxSteps = 4 * total + 4 * chunks.length + 16;
  let steps = 0;
  let stopped = false;
  const pump = (afterEOF: boolean) => {
    for (;;) {
      if (++steps > maxSteps) throw new Error(`more than ${maxSteps} nextEvent calls for ${total} bytes`);
      const ev = conn.nextEvent();
      if (ev === NEED_DATA) {
        if (afterEOF) throw new Error("NEED_DATA after EOF: the connection would hang");
        return;
      }
      if (ev === PAUSED) {
        if (conn.theirState !== "DONE" || conn.ourState !== "SEND_RESPONSE") {
          throw new Error(`PAUSED in state their=${conn.theirState} our=${conn.ourState}`);
        }
        const req = conn.request!;
        const keep = requestKeepAlive(req.major, req.minor, req.connection, 1, 1);
        if (!req.simple) {
          conn.sendHead({
            version: "HTTP/1.1",
            status: 200,
            reason: "OK",
            fields: ["Content-Length", "0"],
            complete: true,
            keepAlive: keep,
          });
        }
        if (conn.endResponse(keep)) {
          conn.startNextCycle();
          continue;
        }
        out.push({ t: "close" });
        stopped = true;
        return;
      }
      switch (ev.type) {
        case "request":
          out.push({ t: "request", method: ev.method, target: ev.target, version: ev.version, fields: [...ev.fields] });
          break;
        case "data": {
          if (ev.data.length === 0) throw new Error("empty data event");
          const last = out[out.length - 1];
          if (last.t === "data") last.data += text(ev.data);
          else out.push({ t: "data", data: text(ev.data) });
          break;
        }
        case "end":
          out.push({ t: "end", trailers: [...ev.trailers] });
          break;
        case "closed":
          out.push({ t: "closed" });
          stopped = true;
          return;
        case "error": {
          const e = ev.error;
          if (!(e instanceof ProtocolError)) throw new Error(`error event without a ProtocolError: ${String(e)}`);
          if (!ERROR_STATUSES.has(e.status)) throw new Error(`unexpected status ${e.status} (${e.code})`);
          if (conn.nextEvent() !== ev) throw new Error("the error event does not repeat");
          out.push({ t: "error", status: e.status, code: e.code });
          stopped = true;
          return;
        }
      }
    }
  };
  for (const chunk of chunks) {
    if (stopped) break;
    conn.receiveData(chunk);
    pump(false);
  }
  if (!stopped && eof) {
    conn.receiveEOF();
    pump(true);
  }
  return out;
}

/** Cut points for `splitAt`, sorted and deduplicated, within an input of `length` bytes. */
function cutsFor(raw: readonly number[], length: number): number[] {
  if (length < 2) return [];
  return [...new Set(raw.map((r) => 1 + (r % (length - 1))))].sort((a, b) => a - b);
}

// ---------------------------------------------------------------------------------------------
// Request models and a test-side serializer

interface ChunkModel {
  data: string;
  ext: string;
  upper: boolean;
}
type BodyModel =
  { kind: "none" } | { kind: "length"; data: string } | { kind: "chunked"; chunks: ChunkModel[]; trailers: [string, string][] };

interface RequestModel {
  method: string;
  target: string;
  version: "HTTP/1.1" | "HTTP/1.0";
  /** Fields other than framing and persistence ones: name, value, OWS before and after it. */
  fields: [string, string, string, string][];
  /** Where among `fields` the framing fields go. */
  framingAt: number;
  body: BodyModel;
  /** Sends `Connection: close` (HTTP/1.1) or leaves out `Connection: keep-alive` (HTTP/1.0). */
  close: boolean;
  /** Line ends of the head: CRLF, or bare LF (accepted, docs/design.md). */
  lf: boolean;
}

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const token = (max: number) => fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength: max });
const RESERVED = new Set(["content-length", "transfer-encoding", "connection", "expect"]);
const fieldName = token(12).filter((n) => !RESERVED.has(n.toLowerCase()));
/** field-vchar = VCHAR / obs-text; a value is field-vchars with SP/HTAB inside only. */
const vchar = fc.oneof(fc.integer({ min: 0x21, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff })).map((c) => String.fromCharCode(c));
const fieldValue = fc.oneof(
  fc.constant(""),
  fc.tuple(vchar, fc.string({ unit: fc.oneof(vchar, fc.constantFrom(" ", "\t")), maxLength: 20 }), vchar).map(([a, m, b]) => a + m + b),
  vchar,
);
/** OWS around a field value (RFC 9112 §5.1): not part of the value. */
const ows = fc.constantFrom("", "", " ", "\t", "  ", " \t ");
const latin1Char = fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c));
const bodyData = (min: number, max: number) => fc.string({ unit: latin1Char, minLength: min, maxLength: max });
const chunkExt = fc.oneof(
  fc.constant(""),
  token(6).map((n) => `;${n}`),
  fc.tuple(token(6), token(6)).map(([n, v]) => `;${n}=${v}`),
  fc.tuple(token(6), fc.stringMatching(/^[ a-z"\\]{0,6}$/)).map(([n, v]) => `;${n}="${v.replace(/["\\]/g, "\\$&")}"`),
  fc.tuple(fc.constantFrom(" ", "\t"), token(4)).map(([w, n]) => `${w};${w}${n}${w}=${w}v`),
);
const chunkedBody: fc.Arbitrary<BodyModel> = fc.record({
  kind: fc.constant("chunked" as const),
  chunks: fc.array(fc.record({ data: bodyData(1, 30), ext: chunkExt, upper: fc.boolean() }), { maxLength: 4 }),
  trailers: fc.array(fc.tuple(fieldName, fieldValue), { maxLength: 2 }),
});
const lengthBody: fc.Arbitrary<BodyModel> = bodyData(0, 60).map((data) => ({ kind: "length" as const, data }));

const requestModel: fc.Arbitrary<RequestModel> = fc
  .record({
    method: fc.oneof(fc.constantFrom("GET", "POST", "PUT", "HEAD", "DELETE", "OPTIONS"), token(8)),
    target: fc.oneof(fc.constant("/"), fc.stringMatching(/^\/[!-~]{0,24}$/), fc.constant("*"), fc.constant("http://h/a?b")),
    version: fc.constantFrom("HTTP/1.1" as const, "HTTP/1.1" as const, "HTTP/1.0" as const),
    fields: fc.array(fc.tuple(fieldName, fieldValue, ows, ows), { maxLength: 6 }),
    framingAt: fc.nat(),
    body: fc.oneof(fc.constant<BodyModel>({ kind: "none" }), lengthBody, chunkedBody),
    close: fc.nat(5).map((n) => n === 0),
    lf: fc.nat(3).map((n) => n === 0),
  })
  // Transfer-Encoding is an error in HTTP/1.0 (RFC 9112 §6.1): only valid models here.
  .map((m) => (m.version === "HTTP/1.0" && m.body.kind === "chunked" ? { ...m, body: { kind: "none" } } : m));

/**
 * The field lines a model is sent with, framing and persistence fields included: flat
 * `[name, value, …]`, or with `ows` `[name, OWS + value + OWS, …]` as written on the wire.
 */
function wireFields(m: RequestModel, ows = false): string[] {
  const framing: string[] = [];
  if (m.body.kind === "length") framing.push("Content-Length", String(m.body.data.length));
  if (m.body.kind === "chunked") framing.push("Transfer-Encoding", "chunked");
  if (m.version === "HTTP/1.1" && m.close) framing.push("Connection", "close");
  if (m.version === "HTTP/1.0" && !m.close) framing.push("Connection", "keep-alive");
  const flat = m.fields.flatMap(([name, value, pre, post]) => [name, ows ? pre + value + post : value]);
  const at = 2 * (m.framingAt % (m.fields.length + 1));
  return [...flat.slice(0, at), ...framing, ...flat.slice(at)];
}

/** Test-side request serializer (RFC 9112 §3, §5, §6, §7.1). */
function serializeRequest(m: RequestModel): string {
  const eol = m.lf ? "\n" : "\r\n";
  const fields = wireFields(m, true);
  let out = `${m.method} ${m.target} ${m.version}${eol}`;
  for (let i = 0; i < fields.length; i += 2) out += `${fields[i]}:${fields[i + 1]}${eol}`;
  out += eol;
  if (m.body.kind === "length") out += m.body.data;
  if (m.body.kind === "chunked") {
    for (const c of m.body.chunks) {
      const size = c.data.length.toString(16);
      out += `${c.upper ? size.toUpperCase() : size}${c.ext}\r\n${c.data}\r\n`;
    }
    out += "0\r\n" + m.body.trailers.map(([n, v]) => `${n}: ${v}\r\n`).join("") + "\r\n";
  }
  return out;
}

/** The events a stream of models must produce (requests after one that closes are never seen). */
function expectedEvents(models: readonly RequestModel[], eof: boolean): Ev[] {
  const out: Ev[] = [];
  for (const m of models) {
    out.push({ t: "request", method: m.method, target: m.target, version: m.version, fields: wireFields(m) });
    const data = m.body.kind === "length" ? m.body.data : m.body.kind === "chunked" ? m.body.chunks.map((c) => c.data).join("") : "";
    if (data !== "") out.push({ t: "data", data });
    out.push({ t: "end", trailers: m.body.kind === "chunked" ? m.body.trailers.flat() : [] });
    if (m.close) {
      out.push({ t: "close" });
      return out;
    }
  }
  if (eof) out.push({ t: "closed" });
  return out;
}

const stream = fc.array(requestModel, { minLength: 1, maxLength: 5 });
const rawCuts = fc.array(fc.nat(), { maxLength: 24 });

// ---------------------------------------------------------------------------------------------
// Mutations (HTTP Garden's operators, docs/protocol.md §2)

const FRAGMENTS = [
  "\r\n",
  "\r",
  "\n",
  "\0",
  ":",
  " ",
  "\t",
  ",",
  ";",
  "0",
  "\x0b",
  "\xa0",
  "\r\n\r\n",
  "\r\n ",
  "Content-Length: 5\r\n",
  "Content-Length: 0\r\n",
  "Content-Length: 99\r\n",
  "Transfer-Encoding: chunked\r\n",
  "Transfer-Encoding: identity\r\n",
  "Connection: close\r\n",
  "Expect: 100-continue\r\n",
  " chunked",
  "0\r\n\r\n",
  "GET / HTTP/1.1\r\n",
  "HTTP/1.0",
  "HTTP/2.0",
  "ffffffffffffffff",
  "\xff",
];
type Mutation =
  | { op: "delete"; at: number; len: number }
  | { op: "replace"; at: number; byte: number }
  | { op: "insert"; at: number; fragment: string }
  | { op: "duplicate"; at: number; len: number };
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant("delete" as const), at: fc.nat(), len: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ op: fc.constant("replace" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant("insert" as const), at: fc.nat(), fragment: fc.constantFrom(...FRAGMENTS) }),
  fc.record({ op: fc.constant("duplicate" as const), at: fc.nat(), len: fc.integer({ min: 1, max: 40 }) }),
);
function mutate(input: string, mutations: readonly Mutation[]): string {
  let s = input;
  for (const m of mutations) {
    const at = m.at % (s.length + 1);
    switch (m.op) {
      case "delete":
        s = s.slice(0, at) + s.slice(at + m.len);
        break;
      case "replace":
        if (at < s.length) s = s.slice(0, at) + String.fromCharCode(m.byte) + s.slice(at + 1);
        break;
      case "insert":
        s = s.slice(0, at) + m.fragment + s.slice(at);
        break;
      case "duplicate":
        s = s.slice(0, at + m.len) + s.slice(at, at + m.len) + s.slice(at + m.len);
        break;
    }
  }
  return s;
}
const mutated = fc
  .tuple(stream, fc.array(mutation, { minLength: 1, maxLength: 3 }))
  .map(([models, ms]) => mutate(models.map(serializeRequest).join(""), ms));

/** Byte soup from HTTP's vocabulary: more likely than uniform bytes to get deep into the parser. */
const SOUP = [
  "GET",
  "POST",
  " ",
  "/",
  "/a",
  "HTTP/1.1",
  "HTTP/1.0",
  "\r\n",
  "\n",
  "\r",
  ":",
  ": ",
  "Host",
  "Content-Length",
  "Transfer-Encoding",
  "chunked",
  "Connection",
  "close",
  "Expect",
  "100-continue",
  "5",
  "0",
  "1a",
  ";x=y",
  "\r\n\r\n",
  "hello",
  "\t",
  "\0",
  ",",
  "\x80",
];
const soup = fc
  .tuple(
    fc.constantFrom("", "GET / HTTP/1.1\r\n", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"),
    fc.array(fc.constantFrom(...SOUP), { maxLength: 80 }),
  )
  .map(([start, parts]) => start + parts.join(""));

// ---------------------------------------------------------------------------------------------
// (a) split invariance

describe("(a) any split of the input gives the same events (docs/design.md; llparse 'scan' testing)", () => {
  it("valid pipelined request streams", () => {
    fc.assert(
      fc.property(stream, rawCuts, fc.boolean(), (models, raw, eof) => {
        const input = bytes(models.map(serializeRequest).join(""));
        const whole = events([input], eof);
        expect(events(splitAt(input, cutsFor(raw, input.length)), eof)).toEqual(whole);
      }),
      { numRuns: 500 },
    );
  });

  it("mutated request streams: the same requests, data and error whatever the split", () => {
    fc.assert(
      fc.property(mutated, rawCuts, fc.boolean(), fc.boolean(), (s, raw, eof, small) => {
        const input = bytes(s);
        const limits = small ? SMALL : undefined;
        const whole = events([input], eof, limits);
        expect(events(splitAt(input, cutsFor(raw, input.length)), eof, limits)).toEqual(whole);
      }),
      { numRuns: 1500 },
    );
  });

  it("byte by byte equals whole for valid streams", () => {
    fc.assert(
      fc.property(stream, (models) => {
        const input = bytes(models.map(serializeRequest).join(""));
        const bytewise = Array.from({ length: input.length }, (_, i) => input.subarray(i, i + 1));
        expect(events(bytewise, true)).toEqual(events([input], true));
      }),
      { numRuns: 300 },
    );
  });

  it("byte by byte equals whole for mutated streams", () => {
    fc.assert(
      fc.property(mutated, fc.boolean(), (s, small) => {
        const input = bytes(s);
        const limits = small ? SMALL : undefined;
        const bytewise = Array.from({ length: input.length }, (_, i) => input.subarray(i, i + 1));
        expect(events(bytewise, true, limits)).toEqual(events([input], true, limits));
      }),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// (b) round trips

describe("(b) round trips", () => {
  it("request model → test serializer → ServerConnection reproduces the model", () => {
    fc.assert(
      fc.property(stream, rawCuts, fc.boolean(), (models, raw, eof) => {
        const input = bytes(models.map(serializeRequest).join(""));
        expect(events(splitAt(input, cutsFor(raw, input.length)), eof)).toEqual(expectedEvents(models, eof));
      }),
      { numRuns: 500 },
    );
  });

  type Framing = "length" | "chunked" | "close" | "none";
  interface ResponseModel {
    request: "GET" | "HEAD";
    peer: "HTTP/1.1" | "HTTP/1.0";
    status: number;
    reason: string;
    fields: [string, string][];
    framing: Framing;
    body: string;
    pieces: number[];
    trailers: [string, string][];
    keepAlive: boolean;
    /** A Content-Length sent with a response that has no body (HEAD, 304), or null. */
    declared: number | null;
  }
  const reason = fc.string({ unit: fc.oneof(vchar, fc.constant(" ")), maxLength: 16 });
  const responseModel: fc.Arbitrary<ResponseModel> = fc
    .record({
      request: fc.constantFrom("GET" as const, "GET" as const, "HEAD" as const),
      peer: fc.constantFrom("HTTP/1.1" as const, "HTTP/1.0" as const),
      status: fc.oneof(fc.integer({ min: 200, max: 599 }), fc.constantFrom(200, 204, 304, 404)),
      reason,
      fields: fc.array(fc.tuple(fieldName, fieldValue), { maxLength: 5 }),
      framing: fc.constantFrom<Framing>("length", "chunked", "close"),
      body: bodyData(0, 80),
      pieces: fc.array(fc.nat(), { maxLength: 4 }),
      trailers: fc.array(fc.tuple(fieldName, fieldValue), { maxLength: 2 }),
      keepAlive: fc.boolean(),
      declared: fc.option(fc.nat(100_000)),
    })
    .map((m) => {
      // RFC 9112 §6.3 rules 1–2: no body after HEAD, 204 and 304; chunked only to HTTP/1.1 (§6.1).
      if (m.request === "HEAD" || m.status === 204 || m.status === 304) return { ...m, framing: "none", body: "" };
      if (m.framing === "chunked" && m.peer === "HTTP/1.0") return { ...m, framing: "close" };
      return m;
    });

  interface ParsedResponse {
    version: string;
    status: number;
    reason: string;
    fields: string[];
    body: string;
    trailers: string[];
  }

  /**
   * Test-side response parser (RFC 9112 §4, §5, §6.3 rules 1–8 from the client's side). `isHead`:
   * the request was HEAD. `eof`: the connection closed after these bytes.
   */
  function parseResponse(wire: string, isHead: boolean): ParsedResponse {
    const headEnd = wire.indexOf("\r\n\r\n");
    if (headEnd < 0) throw new Error("no end of head");
    const lines = wire.slice(0, headEnd).split("\r\n");
    const m = /^(HTTP\/\d\.\d) (\d{3}) (.*)$/s.exec(lines[0]);
    if (m === null) throw new Error(`bad status line ${JSON.stringify(lines[0])}`);
    const fields: string[] = [];
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      if (colon <= 0) throw new Error(`bad field line ${JSON.stringify(line)}`);
      fields.push(line.slice(0, colon), line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, ""));
    }
    const status = Number(m[2]);
    const valuesOf = (name: string) => {
      const out: string[] = [];
      for (let i = 0; i < fields.length; i += 2) if (fields[i].toLowerCase() === name) out.push(fields[i + 1]);
      return out;
    };
    let rest = wire.slice(headEnd + 4);
    let body = "";
    const trailers: string[] = [];
    if (isHead || (status >= 100 && status < 200) || status === 204 || status === 304) {
      if (rest !== "") throw new Error("bytes after a response without a body");
    } else if (valuesOf("transfer-encoding").join(",").toLowerCase().split(",").pop()?.trim() === "chunked") {
      for (;;) {
        const eol = rest.indexOf("\r\n");
        const size = parseInt(rest.slice(0, eol).split(";")[0], 16);
        if (!(size >= 0)) throw new Error("bad chunk size");
        rest = rest.slice(eol + 2);
        if (size === 0) break;
        body += rest.slice(0, size);
        if (rest.slice(size, size + 2) !== "\r\n") throw new Error("chunk data not followed by CRLF");
        rest = rest.slice(size + 2);
      }
      for (;;) {
        const eol = rest.indexOf("\r\n");
        if (eol < 0) throw new Error("unterminated trailer section");
        if (eol === 0) break;
        const line = rest.slice(0, eol);
        const colon = line.indexOf(":");
        trailers.push(line.slice(0, colon), line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, ""));
        rest = rest.slice(eol + 2);
      }
      if (rest !== "\r\n") throw new Error("bytes after the chunked body");
    } else if (valuesOf("content-length").length === 1) {
      const n = Number(valuesOf("content-length")[0]);
      body = rest.slice(0, n);
      if (body.length !== n || rest.length !== n) throw new Error("body does not match Content-Length");
    } else {
      body = rest; // delimited by closing the connection
    }
    return { version: m[1], status, reason: m[3], fields, body, trailers };
  }

  it("response model → sendHead/sendBody/endResponse → test parser reproduces status, fields and body", () => {
    fc.assert(
      fc.property(responseModel, (m) => {
        const conn = new ServerConnection();
        conn.receiveData(bytes(`${m.request} / ${m.peer}\r\nHost: h\r\n\r\n`));
        expect(conn.nextEvent().type).toBe("request");
        expect(conn.nextEvent().type).toBe("end");
        expect(conn.nextEvent()).toBe(PAUSED);

        const fields = m.fields.flat();
        const data = bytes(m.body);
        if (m.framing === "length") fields.push("Content-Length", String(data.length));
        // RFC 9110 §8.6: HEAD and 304 may announce the length a GET would have; never 204.
        if (m.framing === "none" && m.status !== 204 && m.declared !== null) fields.push("Content-Length", String(m.declared));
        if (m.framing === "chunked") fields.push("Transfer-Encoding", "chunked");
        const out: Uint8Array[] = [
          conn.sendHead({ version: "HTTP/1.1", status: m.status, reason: m.reason, fields, complete: true, keepAlive: m.keepAlive }),
        ];
        const pieces = splitAt(data, cutsFor(m.pieces, data.length));
        for (const piece of data.length === 0 ? [] : pieces) {
          if (m.framing === "chunked") for (const part of encodeChunk(piece)) out.push(sent(conn, part));
          else out.push(sent(conn, piece));
        }
        if (m.framing === "chunked") {
          if (m.trailers.length === 0) out.push(sent(conn, LAST_CHUNK));
          else out.push(sent(conn, bytes("0\r\n" + m.trailers.map(([n, v]) => `${n}: ${v}\r\n`).join("") + "\r\n")));
        }
        const delimited = m.framing !== "close";
        expect(conn.responseComplete).toBe(delimited);
        // The connection is reused only when the response is delimited and the handler keeps it.
        expect(conn.endResponse(m.keepAlive)).toBe(m.keepAlive && delimited);

        const parsed = parseResponse(text(concat(out)), m.request === "HEAD");
        const expectedFields = [...fields];
        // A close-delimited response on a connection meant to persist says so (RFC 9112 §9.6).
        if (m.framing === "close" && m.keepAlive) expectedFields.push("Connection", "close");
        expect(parsed).toEqual({
          version: "HTTP/1.1",
          status: m.status,
          reason: m.reason,
          fields: expectedFields,
          body: m.body,
          trailers: m.framing === "chunked" ? m.trailers.flat() : [],
        });
      }),
      { numRuns: 1000 },
    );
  });

  it("a body sent with a HEAD, 204 or 304 response ends the connection (RFC 9112 §6.3 rule 1)", () => {
    fc.assert(
      fc.property(fc.constantFrom(["HEAD", 200], ["GET", 204], ["GET", 304], ["HEAD", 404]), bodyData(1, 20), (pair, body) => {
        const [method, status] = pair as [string, number];
        const conn = new ServerConnection();
        conn.receiveData(bytes(`${method} / HTTP/1.1\r\n\r\n`));
        while (conn.nextEvent() !== PAUSED);
        conn.sendHead({
          version: "HTTP/1.1",
          status,
          reason: "R",
          fields: ["Content-Length", String(body.length)],
          complete: true,
          keepAlive: true,
        });
        expect(conn.responseComplete).toBe(true);
        sent(conn, bytes(body));
        expect(conn.responseComplete).toBe(false);
        expect(conn.endResponse(true)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it("field names that are not tokens and values with CR, LF or NUL are refused (RFC 9112 §11.1)", () => {
    const badName = fc.oneof(
      fc.constant(""),
      fc
        .tuple(token(4), fc.constantFrom(" ", ":", "\r\n", "\n", "\0", "(", "\x7f", "\xe9", "\u0100"), token(4))
        .map(([a, c, b]) => a + c + b),
    );
    const badValue = fc
      .tuple(fieldValue, fc.constantFrom("\r", "\n", "\0", "\r\nSet-Cookie: x", "\u0100"), fieldValue)
      .map(([a, c, b]) => a + c + b);
    const bad = fc.oneof(fc.tuple(badName, fieldValue), fc.tuple(fieldName, badValue));
    fc.assert(
      fc.property(fc.array(fc.tuple(fieldName, fieldValue), { maxLength: 3 }), bad, fc.nat(), (good, field, at) => {
        const conn = new ServerConnection();
        conn.receiveData(bytes("GET / HTTP/1.1\r\n\r\n"));
        while (conn.nextEvent() !== PAUSED);
        const flat = good.flat();
        const k = 2 * (at % (good.length + 1));
        const fields = [...flat.slice(0, k), ...field, ...flat.slice(k)];
        expect(() => conn.sendHead({ version: "HTTP/1.1", status: 200, reason: "OK", fields, complete: true, keepAlive: true })).toThrow(
          LocalProtocolError,
        );
        expect(conn.ourState).toBe("SEND_RESPONSE");
        // The same head without the bad field is accepted.
        conn.sendHead({
          version: "HTTP/1.1",
          status: 200,
          reason: "OK",
          fields: [...flat, "Content-Length", "0"],
          complete: true,
          keepAlive: true,
        });
        expect(conn.endResponse(true)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// (c) robustness

describe("(c) random and mutated bytes never raise anything but protocol errors, never hang", () => {
  // `events` throws for an exception from the core, an error that is not a ProtocolError, NEED_DATA
  // after EOF, or more than a linear number of nextEvent calls.
  it("uniformly random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), rawCuts, fc.boolean(), (input, raw, small) => {
        events(splitAt(input, cutsFor(raw, input.length)), true, small ? SMALL : undefined);
      }),
      { numRuns: 2000 },
    );
  });

  it("HTTP vocabulary soup", () => {
    fc.assert(
      fc.property(soup, rawCuts, fc.boolean(), (s, raw, small) => {
        const input = bytes(s);
        events(splitAt(input, cutsFor(raw, input.length)), true, small ? SMALL : undefined);
      }),
      { numRuns: 2000 },
    );
  });

  it("mutations of valid request streams", () => {
    fc.assert(
      fc.property(mutated, fc.boolean(), (s, small) => {
        events([bytes(s)], true, small ? SMALL : undefined);
      }),
      { numRuns: 2000 },
    );
  });
});
