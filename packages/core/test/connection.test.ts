/**
 * The ServerConnection state machine (h11's model, docs/design.md "The sans-IO core"; RFC 9112 §9):
 * states, pipelining (§9.3.2), `startNextCycle` preconditions, draining, errors and EOF.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { ServerConnection } from "../src/http/connection.js";
import { NEED_DATA, PAUSED, type ConnectionEvent } from "../src/http/events.js";
import { LocalProtocolError, ProtocolError } from "../src/http/errors.js";
import { bytes, scan, summary, text } from "./helpers.js";

const GET = (path = "/") => `GET ${path} HTTP/1.1\r\nHost: h\r\n\r\n`;
const OK = { version: "HTTP/1.1", status: 200, reason: "OK", fields: ["Content-Length", "0"], complete: true, keepAlive: true };

function feed(conn: ServerConnection, s: string): void {
  conn.receiveData(bytes(s));
}

/** Pulls events until NEED_DATA or PAUSED (included), returning their types. */
function pull(conn: ServerConnection): string[] {
  const out: string[] = [];
  for (;;) {
    const ev: ConnectionEvent = conn.nextEvent();
    out.push(ev.type);
    if (ev === NEED_DATA || ev === PAUSED || ev.type === "error" || ev.type === "closed") return out;
  }
}

function respond(conn: ServerConnection, keepAlive = true): boolean {
  conn.sendHead(OK);
  return conn.endResponse(keepAlive);
}

describe("states of one request/response cycle (h11 model)", () => {
  it("IDLE → SEND_BODY/SEND_RESPONSE → DONE → IDLE", () => {
    const conn = new ServerConnection();
    expect([conn.theirState, conn.ourState]).toEqual(["IDLE", "IDLE"]);
    expect(conn.request).toBeNull();
    feed(conn, "POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nab");
    const req = conn.nextEvent();
    expect(req.type).toBe("request");
    expect(conn.request).toBe(req);
    expect([conn.theirState, conn.ourState]).toEqual(["SEND_BODY", "SEND_RESPONSE"]);
    expect(pull(conn)).toEqual(["data", "need-data"]);
    feed(conn, "c");
    expect(pull(conn)).toEqual(["data", "end", "paused"]);
    expect(conn.theirState).toBe("DONE");
    conn.sendHead(OK);
    expect(conn.ourState).toBe("SEND_BODY");
    expect(conn.endResponse(true)).toBe(true);
    expect([conn.theirState, conn.ourState]).toEqual(["DONE", "DONE"]);
    conn.startNextCycle();
    expect([conn.theirState, conn.ourState]).toEqual(["IDLE", "IDLE"]);
    expect(conn.request).toBeNull();
    expect(pull(conn)).toEqual(["need-data"]);
  });

  it("the request head is not reported before the empty line (RFC 9110 §5.3, checklist #24)", () => {
    const conn = new ServerConnection();
    const input = GET();
    for (let i = 0; i < input.length - 1; i++) {
      conn.receiveData(bytes(input[i]));
      expect(conn.nextEvent(), `after ${i + 1} bytes`).toBe(NEED_DATA);
    }
    conn.receiveData(bytes(input[input.length - 1]));
    expect(conn.nextEvent().type).toBe("request");
  });
});

describe("startNextCycle preconditions (docs/protocol.md §3: only from DONE/DONE)", () => {
  const throwsIn = (conn: ServerConnection, their: string, our: string) => {
    expect([conn.theirState, conn.ourState]).toEqual([their, our]);
    expect(() => conn.startNextCycle()).toThrow(LocalProtocolError);
    expect(() => conn.startNextCycle()).toThrow(`their ${their}, our ${our}`);
  };

  it("throws before any request", () => {
    throwsIn(new ServerConnection(), "IDLE", "IDLE");
  });

  it("throws while the request body is unread, even when the response is done", () => {
    const conn = new ServerConnection();
    feed(conn, "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n");
    conn.nextEvent();
    throwsIn(conn, "SEND_BODY", "SEND_RESPONSE");
    expect(respond(conn)).toBe(true);
    throwsIn(conn, "SEND_BODY", "DONE");
    // Draining the body makes the connection reusable; what follows the body is the next request.
    feed(conn, "ab");
    expect(pull(conn)).toEqual(["data", "need-data"]);
    throwsIn(conn, "SEND_BODY", "DONE");
    feed(conn, "cde" + GET("/y"));
    expect(pull(conn)).toEqual(["data", "end", "paused"]);
    conn.startNextCycle();
    expect(conn.nextEvent()).toMatchObject({ type: "request", target: "/y" });
  });

  it("throws while our response is not finished", () => {
    const conn = new ServerConnection();
    feed(conn, GET());
    pull(conn);
    throwsIn(conn, "DONE", "SEND_RESPONSE");
    conn.sendHead({ ...OK, fields: ["Content-Length", "2"] });
    conn.sendBody(bytes("a"));
    throwsIn(conn, "DONE", "SEND_BODY");
  });

  it("throws after a response that ends the connection (MUST_CLOSE)", () => {
    const conn = new ServerConnection();
    feed(conn, GET());
    pull(conn);
    expect(respond(conn, false)).toBe(false);
    throwsIn(conn, "MUST_CLOSE", "MUST_CLOSE");
  });

  it("throws after a protocol error", () => {
    const conn = new ServerConnection();
    feed(conn, "BAD\r\n\r\n");
    expect(pull(conn)).toEqual(["error"]);
    throwsIn(conn, "ERROR", "SEND_RESPONSE");
    conn.sendHead({ ...OK, status: 400, reason: "Bad", keepAlive: false });
    expect(conn.endResponse(true)).toBe(false); // an error is never reusable
    throwsIn(conn, "ERROR", "MUST_CLOSE");
  });

  it("throws after EOF between requests (CLOSED)", () => {
    const conn = new ServerConnection();
    conn.receiveEOF();
    expect(pull(conn)).toEqual(["closed"]);
    throwsIn(conn, "CLOSED", "IDLE");
  });
});

describe("pipelining (RFC 9112 §9.3.2)", () => {
  it("pauses after each request; the next one waits in the buffer until startNextCycle", () => {
    const conn = new ServerConnection();
    const second = GET("/2");
    feed(conn, GET("/1") + second);
    expect(pull(conn)).toEqual(["request", "end", "paused"]);
    expect(conn.nextEvent()).toBe(PAUSED);
    expect(conn.nextEvent()).toBe(PAUSED);
    expect(conn.bufferedBytes).toBe(second.length);
    respond(conn);
    expect(conn.nextEvent()).toBe(PAUSED);
    conn.startNextCycle();
    const ev = conn.nextEvent();
    expect(ev).toMatchObject({ type: "request", target: "/2" });
  });

  it("does not look at a malformed pipelined request before startNextCycle (HTTP Garden S45)", () => {
    const conn = new ServerConnection();
    feed(conn, GET("/1") + "\x00garbage\r\n\r\n");
    expect(pull(conn)).toEqual(["request", "end", "paused"]);
    expect(conn.theirState).toBe("DONE");
    respond(conn);
    conn.startNextCycle();
    expect(pull(conn)).toEqual(["error"]);
  });

  it("answers a flood of 500 pipelined requests in one buffer, in order", () => {
    const input = Array.from({ length: 500 }, (_, i) => GET(`/${i}`)).join("");
    const s = summary(scan(input));
    expect(s.length).toBe(1001);
    for (let i = 0; i < 500; i++) expect(s[2 * i]).toBe(`request GET /${i} HTTP/1.1`);
    expect(s[1000]).toBe("closed");
  });

  it("after a response that closes, later requests are discarded, not parsed (RFC 9112 §9.6)", () => {
    const conn = new ServerConnection();
    feed(conn, GET("/1") + GET("/2"));
    pull(conn);
    expect(respond(conn, false)).toBe(false);
    expect(conn.bufferedBytes).toBe(0);
    feed(conn, GET("/3"));
    expect(conn.bufferedBytes).toBe(0);
    expect(conn.nextEvent()).toBe(PAUSED);
  });
});

describe("request bodies are never parsed as requests (docs/design.md; CPython §1.3 hazard)", () => {
  it("a Content-Length body holding a request is data", () => {
    const inner = "GET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n";
    expect(summary(scan(`POST / HTTP/1.1\r\nContent-Length: ${inner.length}\r\n\r\n${inner}`))).toEqual([
      "request POST / HTTP/1.1",
      `data ${inner}`,
      "end",
      "closed",
    ]);
  });

  it("a response sent before the body was read does not let the body through as a request", () => {
    const conn = new ServerConnection();
    feed(conn, "POST / HTTP/1.1\r\nContent-Length: 19\r\n\r\nGET /x HTTP/1.1\r\n\r\n");
    conn.nextEvent();
    expect(respond(conn, false)).toBe(false); // not drained: the connection must close
    expect(conn.nextEvent()).not.toMatchObject({ type: "request" });
    expect(() => conn.startNextCycle()).toThrow(LocalProtocolError);
  });
});

describe("canDrain (RFC 9112 §9.3: read the body or close; RFC 9110 §10.1.1)", () => {
  it("is true while an ordinary body is unread", () => {
    const conn = new ServerConnection();
    feed(conn, "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n");
    conn.nextEvent();
    expect(conn.canDrain).toBe(true);
  });

  it("is false while the client waits for 100 Continue, true once it was sent", () => {
    const conn = new ServerConnection();
    feed(conn, "POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
    expect(conn.nextEvent()).toMatchObject({ expectContinue: true });
    expect(conn.canDrain).toBe(false);
    expect(text(conn.sendHead({ version: "HTTP/1.1", status: 100, reason: "Continue", fields: [], complete: true, keepAlive: true }))).toBe(
      "HTTP/1.1 100 Continue\r\n\r\n",
    );
    expect(conn.canDrain).toBe(true);
  });

  it("is false when there is no body left to read", () => {
    const conn = new ServerConnection();
    expect(conn.canDrain).toBe(false);
    feed(conn, GET());
    pull(conn);
    expect(conn.canDrain).toBe(false);
  });
});

describe("protocol errors make the connection unusable", () => {
  it("repeats the same error, discards later bytes, and still allows one error response", () => {
    const conn = new ServerConnection();
    feed(conn, "GET / HTTP/1.1\r\nX : y\r\n\r\n" + GET("/2"));
    const ev = conn.nextEvent();
    expect(ev.type).toBe("error");
    expect((ev as { error: ProtocolError }).error).toBeInstanceOf(ProtocolError);
    expect(conn.nextEvent()).toBe(ev);
    expect(conn.bufferedBytes).toBe(0);
    feed(conn, GET("/3"));
    expect(conn.bufferedBytes).toBe(0);
    expect(conn.nextEvent()).toBe(ev);
    expect(conn.request).toBeNull();
    expect(conn.ourState).toBe("SEND_RESPONSE");
    const head = conn.sendHead({
      version: "HTTP/1.1",
      status: 400,
      reason: "Bad",
      fields: ["Connection", "close"],
      complete: true,
      keepAlive: false,
    });
    expect(text(head)).toBe("HTTP/1.1 400 Bad\r\nConnection: close\r\n\r\n");
    expect(conn.endResponse(false)).toBe(false);
    expect(conn.ourState).toBe("MUST_CLOSE");
  });

  it("an error in the body after the response was finished leaves our side alone", () => {
    const conn = new ServerConnection();
    feed(conn, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
    conn.nextEvent();
    respond(conn);
    feed(conn, "zz\r\n");
    expect(pull(conn)).toEqual(["error"]);
    expect([conn.theirState, conn.ourState]).toEqual(["ERROR", "DONE"]);
  });

  it("the empty-line error has status 0: nothing is sent, the connection closes (§1.2 step 3)", () => {
    const conn = new ServerConnection();
    feed(conn, "\r\n");
    const ev = conn.nextEvent();
    expect(ev).toMatchObject({ type: "error", error: { status: 0, code: "EMPTY_REQUEST_LINE" } });
  });
});

describe("EOF (RFC 9112 §9.6; docs/cpython.md §1.1)", () => {
  it("EOF between requests gives `closed`, repeatedly, and later data is ignored", () => {
    const conn = new ServerConnection();
    feed(conn, GET());
    pull(conn);
    respond(conn);
    conn.receiveEOF();
    expect(conn.eofReceived).toBe(true);
    expect(conn.nextEvent()).toBe(PAUSED); // still paused until the cycle restarts
    conn.startNextCycle();
    expect(conn.nextEvent()).toEqual({ type: "closed" });
    expect(conn.nextEvent()).toEqual({ type: "closed" });
    expect(conn.theirState).toBe("CLOSED");
    feed(conn, GET());
    expect(conn.bufferedBytes).toBe(0);
  });

  it("EOF with a pipelined request buffered still serves that request", () => {
    const conn = new ServerConnection();
    feed(conn, GET("/1") + GET("/2"));
    conn.receiveEOF();
    pull(conn);
    respond(conn);
    conn.startNextCycle();
    expect(pull(conn)).toEqual(["request", "end", "paused"]);
  });

  it("EOF inside a Content-Length body is an incomplete message, never `end` (RFC 9112 §6.3, checklist #35)", () => {
    expect(summary(scan("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabcde"))).toEqual([
      "request POST / HTTP/1.1",
      "data abcde",
      "error 400 INCOMPLETE_BODY",
    ]);
    expect(summary(scan("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n"))).toEqual([
      "request POST / HTTP/1.1",
      "error 400 INCOMPLETE_BODY",
    ]);
  });

  it("never asks for more data after EOF (no hang in any state)", () => {
    const inputs = [
      "",
      "G",
      "GET / HTTP/1.1",
      "GET / HTTP/1.1\r\n",
      "GET / HTTP/1.1\r\nHost: a",
      "GET / HTTP/1.1\r\nHost: a\r\n\r",
      "POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\na",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
    ];
    for (const input of inputs) expect(summary(scan(input)), JSON.stringify(input)).not.toContain("hang");
  });
});

describe("received bytes", () => {
  it("data events are views into the received array (no copy) and the event object is reused", () => {
    const conn = new ServerConnection();
    const input = bytes("POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody");
    conn.receiveData(input);
    conn.nextEvent();
    const ev = conn.nextEvent() as { type: "data"; data: Uint8Array };
    expect(ev.type).toBe("data");
    expect(ev.data.buffer).toBe(input.buffer);
    expect(ev.data.byteOffset).toBe(input.length - 4);
    expect(text(ev.data)).toBe("body");
  });

  it("bytes kept across receiveData calls are copied, so the caller may then reuse its arrays", () => {
    const conn = new ServerConnection();
    const a = bytes("GET /ab");
    conn.receiveData(a);
    expect(conn.nextEvent()).toBe(NEED_DATA);
    conn.receiveData(bytes("c HTTP/1.1\r\n\r\n"));
    a.fill(0x21);
    expect(conn.nextEvent()).toMatchObject({ type: "request", target: "/abc" });
  });

  it("an empty array is ignored", () => {
    const conn = new ServerConnection();
    conn.receiveData(new Uint8Array(0));
    expect(conn.bufferedBytes).toBe(0);
    expect(conn.nextEvent()).toBe(NEED_DATA);
  });

  it("a body in many small arrays gives one data event per array", () => {
    const conn = new ServerConnection();
    feed(conn, "POST / HTTP/1.1\r\nContent-Length: 6\r\n\r\n");
    conn.nextEvent();
    const seen: string[] = [];
    for (const part of ["ab", "cd", "ef"]) {
      feed(conn, part);
      const ev = conn.nextEvent() as { type: string; data: Uint8Array };
      seen.push(text(ev.data));
    }
    expect(seen).toEqual(["ab", "cd", "ef"]);
    expect(conn.nextEvent().type).toBe("end");
  });
});

describe("work per received piece is bounded by the new bytes, not the buffer (no quadratic slowloris)", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** Feeds `input` in pieces of `size` bytes and counts the bytes `Uint8Array#indexOf` scanned. */
  function scannedBytes(input: string, size: number): number {
    let scanned = 0;
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with `.call(this, …)`
    const indexOf = Uint8Array.prototype.indexOf;
    vi.spyOn(Uint8Array.prototype, "indexOf").mockImplementation(function (this: Uint8Array, value: number, from?: number) {
      const start = Math.max(0, from ?? 0);
      const found = indexOf.call(this, value, start);
      scanned += (found < 0 ? this.length : found + 1) - start;
      return found;
    });
    const conn = new ServerConnection();
    let last: ConnectionEvent = NEED_DATA;
    for (let i = 0; i < input.length && last === NEED_DATA; i += size) {
      feed(conn, input.slice(i, i + size));
      last = conn.nextEvent();
    }
    vi.restoreAllMocks();
    expect(last.type).not.toBe("need-data");
    return scanned;
  }

  it("a 200 KB request line or field section sent a few bytes at a time is searched about once", () => {
    const line = "GET /" + "a".repeat(60_000) + " HTTP/1.1\r\n\r\n";
    const fields = "GET / HTTP/1.1\r\n" + Array.from({ length: 4 }, (_, i) => `X-${i}: ${"v".repeat(50_000)}\r\n`).join("") + "\r\n";
    for (const input of [line, fields]) {
      for (const size of [1, 7]) {
        // The buffer grows by doubling; searching its spare room on every piece was quadratic.
        expect(scannedBytes(input, size), `${input.length} bytes in pieces of ${size}`).toBeLessThan(4 * input.length);
      }
    }
  });
});

describe("switching protocols (RFC 9110 §7.8, §9.3.6, §15.2.2; h11's SWITCHED_PROTOCOL)", () => {
  const UPGRADE = "GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
  const SWITCH = {
    version: "HTTP/1.1",
    status: 101,
    reason: "Switching Protocols",
    fields: ["Upgrade", "websocket"],
    complete: true,
    keepAlive: true,
  };

  it("a 101 to a request with Upgrade switches both sides and hands over the bytes buffered after the head", () => {
    const conn = new ServerConnection();
    feed(conn, UPGRADE + "\x81\x85raw bytes");
    expect(pull(conn)).toEqual(["request", "end", "paused"]);
    expect(text(conn.sendHead(SWITCH))).toBe("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n");
    expect([conn.theirState, conn.ourState]).toEqual(["SWITCHED_PROTOCOL", "SWITCHED_PROTOCOL"]);
    const { data, closed } = conn.trailingData;
    expect(text(data)).toBe("\x81\x85raw bytes");
    expect(closed).toBe(false);
    expect(conn.trailingData.data.length).toBe(0);
    // Nothing more is parsed or framed.
    feed(conn, "GET / HTTP/1.1\r\n\r\n");
    expect(conn.nextEvent()).toBe(PAUSED);
    expect(conn.bufferedBytes).toBe(0);
    expect(() => conn.sendBody(bytes("x"))).toThrow(LocalProtocolError);
    expect(() => conn.endResponse(true)).toThrow(LocalProtocolError);
  });

  it("pipelined requests behind an upgrade wait unparsed, and are handed over raw", () => {
    const conn = new ServerConnection();
    feed(conn, UPGRADE + GET("/next"));
    expect(pull(conn)).toEqual(["request", "end", "paused"]);
    conn.sendHead(SWITCH);
    expect(text(conn.trailingData.data)).toBe(GET("/next"));
  });

  it("trailingData says when the client had closed its side", () => {
    const conn = new ServerConnection();
    feed(conn, UPGRADE + "last words");
    conn.receiveEOF();
    pull(conn);
    conn.sendHead(SWITCH);
    expect(conn.trailingData).toEqual({ data: bytes("last words"), closed: true });
  });

  it("a 2xx to CONNECT opens a tunnel: no framing and no Connection: close, even without Content-Length", () => {
    const conn = new ServerConnection();
    feed(conn, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n\x16\x03\x01");
    expect(pull(conn)).toEqual(["request", "end", "paused"]);
    const head = conn.sendHead({
      version: "HTTP/1.1",
      status: 200,
      reason: "Connection established",
      fields: [],
      complete: true,
      keepAlive: true,
    });
    expect(text(head)).toBe("HTTP/1.1 200 Connection established\r\n\r\n");
    expect(conn.ourState).toBe("SWITCHED_PROTOCOL");
    expect(text(conn.trailingData.data)).toBe("\x16\x03\x01");
  });

  it("any other final status declines: HTTP goes on, and a CONNECT refused is framed as usual", () => {
    const conn = new ServerConnection();
    feed(conn, UPGRADE + GET("/next"));
    pull(conn);
    expect(respond(conn)).toBe(true);
    conn.startNextCycle();
    const next = conn.nextEvent();
    expect(next.type === "request" && next.target).toBe("/next");
    const tunnel = new ServerConnection();
    feed(tunnel, "CONNECT example.com:443 HTTP/1.1\r\n\r\n");
    pull(tunnel);
    const head = tunnel.sendHead({ version: "HTTP/1.1", status: 403, reason: "Forbidden", fields: [], complete: true, keepAlive: true });
    expect(text(head)).toBe("HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n");
    expect(tunnel.ourState).toBe("SEND_BODY");
  });

  it("a 101 without Upgrade, or to HTTP/1.0, is a LocalProtocolError and records nothing", () => {
    const conn = new ServerConnection();
    feed(conn, GET());
    pull(conn);
    expect(() => conn.sendHead(SWITCH)).toThrow(/answers only a request that carries Upgrade/);
    expect(conn.ourState).toBe("SEND_RESPONSE");
    const old = new ServerConnection();
    feed(old, "GET / HTTP/1.0\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
    pull(old);
    expect(() => old.sendHead(SWITCH)).toThrow(/HTTP\/1\.0/);
    expect(old.ourState).toBe("SEND_RESPONSE");
  });

  it("an interim 100 before the 101 does not switch; an unfinished 101 head does not either", () => {
    const conn = new ServerConnection();
    feed(conn, UPGRADE);
    pull(conn);
    conn.sendHead({ ...SWITCH, status: 100, reason: "Continue", fields: [] });
    expect(conn.ourState).toBe("SEND_RESPONSE");
    conn.sendHead({ ...SWITCH, complete: false });
    expect(conn.ourState).not.toBe("SWITCHED_PROTOCOL");
  });
});
