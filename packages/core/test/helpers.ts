/**
 * Test helpers for the sans-IO core: byte/string conversion, a driver that feeds a
 * `ServerConnection` in chunks and records a normalized event stream, and the split runner
 * ("scan" invariant: whole, byte by byte and split at every index give the same stream).
 */
import { expect } from "vitest";
import { ServerConnection, type ConnectionLimits } from "../src/http/connection.js";
import { NEED_DATA, PAUSED, type RequestEvent } from "../src/http/events.js";
import { requestKeepAlive } from "../src/http/framing.js";

/** ISO-8859-1 encode; throws on characters above U+00FF so a test cannot silently mis-encode. */
export function bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new Error(`test input not Latin-1 at ${i}`);
    out[i] = c;
  }
  return out;
}

/** ISO-8859-1 decode (one character per byte). */
export function text(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A request event reduced to plain data. */
export interface Req {
  type: "request";
  method: string;
  target: string;
  version: string;
  major: number;
  minor: number;
  requestline: string;
  fields: string[];
  bodyKind: string;
  contentLength: number;
  connection: string | null;
  expectContinue: boolean;
  simple: boolean;
}

/**
 * A protocol error reduced to plain data, its request-line context flattened: `requestVersion`
 * is `undefined` where the context's version is `null` (no version read: the default applies).
 */
export interface Err {
  type: "error";
  status: number;
  code: string;
  message: string;
  explain: string | undefined;
  requestline: string;
  requestVersion: string | undefined;
  command: string | null;
}

/**
 * Normalized events: consecutive `data` events are merged (their sizes depend on how the input
 * was split); `close` is recorded when the driver's response ended the connection; `hang` when
 * the connection asked for more data after EOF (an adapter would wait forever).
 */
export type Ev =
  | Req
  | { type: "data"; data: string }
  | { type: "end"; trailers: string[] }
  | { type: "closed" }
  | Err
  | { type: "close" }
  | { type: "hang" };

export interface DriveOptions {
  limits?: ConnectionLimits;
  /** Server protocol version for the keep-alive decision (default [1, 1]). */
  server?: [number, number];
  /** Feed EOF after the last chunk (default true). */
  eof?: boolean;
  /** Most requests to answer before stopping (guards against runaway loops). */
  maxRequests?: number;
}

function reqOf(ev: RequestEvent): Req {
  return {
    type: "request",
    method: ev.method,
    target: ev.target,
    version: ev.version,
    major: ev.major,
    minor: ev.minor,
    requestline: ev.requestline,
    fields: [...ev.fields],
    bodyKind: ev.bodyKind,
    contentLength: ev.contentLength,
    connection: ev.connection,
    expectContinue: ev.expectContinue,
    simple: ev.simple,
  };
}

/**
 * Feeds `chunks` to a fresh connection and pulls events after each chunk. When a request has
 * been received completely (PAUSED with their side DONE) the driver answers it like a minimal
 * server: `200 OK` with `Content-Length: 0`, keep-alive as `requestKeepAlive` decides with an
 * HTTP/1.1 server, then `startNextCycle()` if the connection is reusable. Stops at the first
 * error, `closed` or `close`.
 */
export function drive(chunks: readonly Uint8Array[], options: DriveOptions = {}): Ev[] {
  const conn = new ServerConnection(options.limits);
  const [sMajor, sMinor] = options.server ?? [1, 1];
  const maxRequests = options.maxRequests ?? 10_000;
  const out: Ev[] = [];
  let stopped = false;
  let requests = 0;
  const push = (ev: Ev) => {
    const last = out[out.length - 1];
    if (ev.type === "data" && last !== undefined && last.type === "data") last.data += ev.data;
    else out.push(ev);
  };
  const pump = (afterEOF: boolean) => {
    for (let guard = 0; guard < 1_000_000; guard++) {
      const ev = conn.nextEvent();
      if (ev === NEED_DATA) {
        if (afterEOF) {
          push({ type: "hang" });
          stopped = true;
        }
        return;
      }
      if (ev === PAUSED) {
        if (conn.theirState !== "DONE" || conn.ourState !== "SEND_RESPONSE") {
          throw new Error(`PAUSED in unexpected state their=${conn.theirState} our=${conn.ourState}`);
        }
        const req = conn.request!;
        const keep = requestKeepAlive(req.major, req.minor, req.connection, sMajor, sMinor);
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
        if (conn.endResponse(keep) && ++requests < maxRequests) {
          conn.startNextCycle();
          continue;
        }
        push({ type: "close" });
        stopped = true;
        return;
      }
      switch (ev.type) {
        case "request":
          push(reqOf(ev));
          break;
        case "data":
          if (ev.data.length === 0) throw new Error("empty data event");
          push({ type: "data", data: text(ev.data) });
          break;
        case "end":
          push({ type: "end", trailers: [...ev.trailers] });
          break;
        case "closed":
          push({ type: "closed" });
          stopped = true;
          return;
        case "error": {
          const e = ev.error;
          push({
            type: "error",
            status: e.status,
            code: e.code,
            message: e.message,
            explain: e.explain,
            requestline: e.line.text,
            requestVersion: e.line.version ?? undefined,
            command: e.line.method,
          });
          stopped = true;
          return;
        }
      }
    }
    throw new Error("nextEvent made no progress");
  };
  for (const chunk of chunks) {
    if (stopped) break;
    conn.receiveData(chunk);
    pump(false);
  }
  if (!stopped && options.eof !== false) {
    conn.receiveEOF();
    pump(true);
  }
  return out;
}

/** Splits `input` at the given (sorted, deduplicated) indices. */
export function splitAt(input: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of cuts) {
    if (c <= prev || c >= input.length) continue;
    out.push(input.subarray(prev, c));
    prev = c;
  }
  out.push(input.subarray(prev));
  return out;
}

/**
 * Every index of an input up to `full` bytes; for a longer one (the 64 KiB limit cases, floods)
 * the first and last 48 indices plus 48 evenly spaced ones, to keep the suite fast.
 */
export function splitIndices(length: number, full = 4096): number[] {
  if (length <= full) return Array.from({ length: Math.max(0, length - 1) }, (_, i) => i + 1);
  const set = new Set<number>();
  for (let i = 1; i < Math.min(49, length); i++) set.add(i);
  for (let i = Math.max(1, length - 48); i < length; i++) set.add(i);
  const stride = Math.max(1, Math.floor(length / 48));
  for (let i = stride; i < length; i += stride) set.add(i);
  return [...set].sort((a, b) => a - b);
}

/**
 * The "scan" invariant: feeding `input` whole, byte by byte, and split in two at every index
 * (see {@link splitIndices}) gives the same event stream. Returns that stream.
 */
export function scan(input: Uint8Array | string, options: DriveOptions = {}): Ev[] {
  const data = typeof input === "string" ? bytes(input) : input;
  const whole = drive([data], options);
  const bytewise: Uint8Array[] = [];
  for (let i = 0; i < data.length; i++) bytewise.push(data.subarray(i, i + 1));
  expect(drive(bytewise, options), "byte by byte").toEqual(whole);
  for (const cut of splitIndices(data.length)) {
    const split = drive([data.subarray(0, cut), data.subarray(cut)], options);
    if (JSON.stringify(split) !== JSON.stringify(whole)) {
      expect(split, `split at ${cut}`).toEqual(whole);
    }
  }
  return whole;
}

/**
 * A compact one-line-per-event summary, for readable expectations:
 * `request POST / HTTP/1.1`, `data <latin1>`, `end`, `end [X: y]`, `error 400 CODE`, `closed`,
 * `close`, `hang`.
 */
export function summary(events: readonly Ev[]): string[] {
  return events.map((e) => {
    switch (e.type) {
      case "request":
        return `request ${e.method} ${e.target} ${e.version}`;
      case "data":
        return `data ${e.data}`;
      case "end":
        return e.trailers.length === 0 ? "end" : `end [${pairs(e.trailers)}]`;
      case "error":
        return `error ${e.status} ${e.code}`;
      default:
        return e.type;
    }
  });
}

function pairs(flat: readonly string[]): string {
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += 2) out.push(`${flat[i]}: ${flat[i + 1]}`);
  return out.join(", ");
}

/** Runs a single input whole and returns the first error event (fails if there is none). */
export function errorOf(input: string, options: DriveOptions = {}): Err {
  const events = scan(input, options);
  const err = events.find((e): e is Err => e.type === "error");
  if (err === undefined) throw new Error(`expected an error, got ${JSON.stringify(summary(events))}`);
  return err;
}

/** The first request event of an input (fails if there is none). */
export function requestOf(input: string, options: DriveOptions = {}): Req {
  const events = scan(input, options);
  const req = events.find((e): e is Req => e.type === "request");
  if (req === undefined) throw new Error(`expected a request, got ${JSON.stringify(summary(events))}`);
  return req;
}

/** Records `data` as body bytes of `conn`'s current response and returns it: what a caller writes. */
export function sent(conn: ServerConnection, data: Uint8Array): Uint8Array {
  conn.sendBody(data);
  return data;
}
