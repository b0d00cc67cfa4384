/**
 * Runs the adversarial corpus (`corpus.ts`) through `ServerConnection`: every case whole, byte by
 * byte, and split at every index (short inputs) or at random points (long ones), checking the
 * exact outcome each time: the requests delivered (with their bodies) before any error, the error
 * status, and whether the connection ends. A request hidden in a body or behind an error must
 * never be delivered, and after EOF the connection must never wait for more bytes.
 */
import { describe, expect, it } from "vitest";
import { ServerConnection } from "../src/http/connection.js";
import { NEED_DATA, PAUSED, type RequestEvent } from "../src/http/events.js";
import { ProtocolError } from "../src/http/errors.js";
import { requestKeepAlive } from "../src/http/framing.js";
import { CORPUS, DRAIN_LIMIT, type CorpusCase, type CorpusClass, type ExpectedOutcome, type ExpectedRequest } from "./corpus.js";
import { bytes, splitAt } from "./helpers.js";

/** What a run produced, in the shape of {@link ExpectedOutcome} with every default filled in. */
interface Outcome {
  requests: Required<ExpectedRequest>[];
  error?: { status: number; code?: string; message?: string };
  closes: boolean;
  /** NEED_DATA after EOF: an adapter would wait forever. */
  hang: boolean;
}

function latin1(data: Uint8Array): string {
  let s = "";
  for (let i = 0; i < data.length; i += 8192) s += String.fromCharCode(...data.subarray(i, i + 8192));
  return s;
}

/**
 * Feeds `chunks` to a new connection and plays the test server of `corpus.ts`
 * ({@link ServerBehaviour}): answers `200 OK` with `Content-Length: 0` and the keep-alive of an
 * HTTP/1.1 server, after the body or before it (then drains up to DRAIN_LIMIT or closes).
 */
function run(c: CorpusCase, chunks: readonly Uint8Array[], total: number): Outcome {
  const conn = new ServerConnection(c.limits);
  const early = c.server?.respond === "before-body";
  const send100 = c.server?.send100 === true;
  const out: Outcome = { requests: [], closes: false, hang: false };
  let current: Required<ExpectedRequest> | null = null;
  let drained = -1; // bytes drained after an early answer, -1 when not draining
  let stopped = false;
  let steps = 0;
  // Each call of nextEvent consumes bytes or ends the pump; a few calls per request or chunk.
  const maxSteps = 4 * total + 8 * chunks.length + 64;

  const answer = (req: RequestEvent): boolean => {
    const keep = requestKeepAlive(req.major, req.minor, req.connection, 1, 1);
    if (!req.simple) {
      conn.sendHead({ version: "HTTP/1.1", status: 200, reason: "OK", fields: ["Content-Length", "0"], complete: true, keepAlive: keep });
    }
    return conn.endResponse(keep);
  };
  const stop = () => {
    out.closes = true;
    stopped = true;
  };

  const pump = (afterEOF: boolean): void => {
    for (;;) {
      if (++steps > maxSteps) throw new Error(`no progress after ${steps} calls of nextEvent`);
      const ev = conn.nextEvent();
      if (ev === NEED_DATA) {
        if (afterEOF) {
          out.hang = true;
          stopped = true;
        }
        return;
      }
      if (ev === PAUSED) {
        // (plain checks: expect() per request would dominate the 10,000-request cases)
        if (conn.theirState !== "DONE") throw new Error(`PAUSED with their side ${conn.theirState}`);
        if (conn.ourState === "SEND_RESPONSE" && !answer(conn.request!)) return stop();
        if (conn.ourState !== "DONE") throw new Error(`PAUSED with our side ${conn.ourState}`);
        conn.startNextCycle();
        current = null;
        drained = -1;
        continue;
      }
      switch (ev.type) {
        case "request":
          current = { method: ev.method, target: ev.target, body: "", complete: false, trailers: [] };
          out.requests.push(current);
          if (send100 && ev.expectContinue) {
            conn.sendHead({ version: "HTTP/1.1", status: 100, reason: "Continue", fields: [], complete: true, keepAlive: true });
          }
          if (early) {
            if (!answer(ev)) return stop();
            if (conn.theirState === "SEND_BODY") {
              if (!conn.canDrain) return stop();
              drained = 0;
            }
          }
          break;
        case "data":
          if (drained >= 0) {
            drained += ev.data.length;
            if (drained > DRAIN_LIMIT) return stop();
          } else {
            current!.body += latin1(ev.data);
          }
          break;
        case "end":
          current!.complete = true;
          current!.trailers = [...ev.trailers];
          break;
        case "closed":
          return stop();
        case "error": {
          const e = ev.error;
          expect(e).toBeInstanceOf(ProtocolError);
          expect(conn.theirState).toBe("ERROR");
          expect(conn.nextEvent(), "the error repeats").toBe(ev);
          out.error = { status: e.status, code: e.code, message: e.message };
          // One error response may still be sent, and it ends the connection.
          if (conn.ourState === "SEND_RESPONSE" && e.status !== 0) {
            conn.sendHead({
              version: "HTTP/1.1",
              status: e.status,
              reason: e.message,
              fields: ["Connection", "close"],
              complete: true,
              keepAlive: false,
            });
            expect(conn.endResponse(true), "an error response never keeps the connection").toBe(false);
          }
          return stop();
        }
      }
    }
  };

  for (const chunk of chunks) {
    if (stopped) break;
    conn.receiveData(chunk);
    pump(false);
  }
  if (!stopped && c.eof === true) {
    conn.receiveEOF();
    pump(true);
  }
  return out;
}

/** The expected outcome with defaults filled in, and only the error keys the case names. */
function normalize(expected: ExpectedOutcome): Omit<Outcome, "hang"> {
  const requests = expected.requests.map((r) => ({
    method: r.method,
    target: r.target,
    body: r.body ?? "",
    complete: r.complete ?? true,
    trailers: r.trailers ?? [],
  }));
  return expected.error === undefined
    ? { requests, closes: expected.closes }
    : { requests, closes: expected.closes, error: expected.error };
}

function comparable(got: Outcome, expected: ExpectedOutcome): Omit<Outcome, "hang"> {
  const { hang: _hang, error, ...rest } = got;
  if (error === undefined) return rest;
  const want = expected.error ?? { status: 0, code: "", message: "" };
  const picked: { status: number; code?: string; message?: string } = { status: error.status };
  if ("code" in want) picked.code = error.code;
  if ("message" in want) picked.message = error.message;
  return { ...rest, error: picked };
}

/** A small deterministic PRNG (mulberry32) for the random splits. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The splits every case is run with: whole, byte by byte, and more. */
function splits(data: Uint8Array, seed: number): [string, Uint8Array[]][] {
  const out: [string, Uint8Array[]][] = [["whole", [data]]];
  const bytewise: Uint8Array[] = [];
  for (let i = 0; i < data.length; i++) bytewise.push(data.subarray(i, i + 1));
  out.push(["byte by byte", bytewise]);
  if (data.length <= 600) {
    for (let cut = 1; cut < data.length; cut++) out.push([`split at ${cut}`, splitAt(data, [cut])]);
  } else {
    const random = prng(seed);
    for (let k = 0; k < 6; k++) {
      const cuts = Array.from({ length: 1 + Math.floor(random() * 12) }, () => 1 + Math.floor(random() * (data.length - 1)));
      const sorted = [...new Set(cuts)].sort((a, b) => a - b);
      out.push([`split at ${sorted.join(",")}`, splitAt(data, sorted)]);
    }
  }
  return out;
}

const REQUIRED_CLASSES: CorpusClass[] = [
  "CL.TE",
  "TE.CL",
  "TE.TE",
  "CL",
  "chunk-size",
  "chunk-data",
  "bare-CR",
  "obs-fold",
  "NUL",
  "oversize",
  "pipelining",
  "EOF",
];

describe("the corpus itself", () => {
  it("has at least 100 cases with unique names, covering every class of issue 2", () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(100);
    expect(new Set(CORPUS.map((c) => c.name)).size).toBe(CORPUS.length);
    const classes = new Set(CORPUS.map((c) => c.class));
    for (const k of REQUIRED_CLASSES) expect(classes.has(k), k).toBe(true);
    for (const c of CORPUS) {
      expect(c.ref, c.name).toBeTruthy();
      if (c.expect.error !== undefined) expect(c.expect.closes, c.name).toBe(true);
    }
  });
});

const byClass = new Map<CorpusClass, CorpusCase[]>();
for (const c of CORPUS) byClass.set(c.class, [...(byClass.get(c.class) ?? []), c]);

describe.each([...byClass.entries()].map(([k, cases]) => ({ k, cases })))("corpus class $k", ({ cases }) => {
  it.each(cases.map((c, i) => ({ c, i, name: c.name })))("$name", ({ c, i }) => {
    const data = typeof c.bytes === "string" ? bytes(c.bytes) : c.bytes;
    const want = normalize(c.expect);
    for (const [how, chunks] of splits(data, i + 1)) {
      const got = run(c, chunks, data.length);
      expect(got.hang, `${how}: waits for bytes after EOF`).toBe(false);
      for (const r of got.requests) expect(r.target.startsWith("/smuggled"), `${how}: a smuggled request was delivered`).toBe(false);
      const actual = comparable(got, c.expect);
      // Cheap comparison first: the 10,000-request cases would make every toEqual slow.
      if (JSON.stringify(actual) !== JSON.stringify(want)) expect(actual, how).toEqual(want);
    }
  });
});
