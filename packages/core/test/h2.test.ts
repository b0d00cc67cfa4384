/**
 * The sans-IO HTTP/2 server connection (RFC 9113): the preface and SETTINGS exchange, requests
 * and responses, flow control both ways, trailers, the stream and connection errors with the
 * codes RFC 9113 requires, the limits against the known attacks, graceful GOAWAY; and, as a
 * property, that any split of the input gives the same events.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { H2Connection } from "../src/h2/connection.js";
import type { H2Event } from "../src/h2/events.js";
import { ERROR_CODE, FLAG, FRAME, PREFACE, SETTING, readUint31, readUint32, startsLikePreface } from "../src/h2/frames.js";
import { GET, POST, TestClient, raw, settings, u32 } from "./h2client.js";
import { bytes, concat } from "./helpers.js";

const { END_STREAM: ES, END_HEADERS: EH, PADDED, PRIORITY, ACK } = FLAG;

/** The request events' types and stream ids, in order. */
const summary = (events: H2Event[]) => events.map((e) => ("streamId" in e ? `${e.type}:${e.streamId}` : e.type));

describe("connection preface and SETTINGS (RFC 9113 §3.4, §6.5)", () => {
  it("the server's first frame is SETTINGS with its limits, then the connection window opens", () => {
    const client = new TestClient();
    client.read();
    const [first, second] = client.frames;
    expect(first.type).toBe(FRAME.SETTINGS);
    expect(first.flags).toBe(0);
    const values = new Map<number, number>();
    for (let at = 0; at < first.payload.length; at += 6)
      values.set((first.payload[at] << 8) | first.payload[at + 1], readUint32(first.payload, at + 2));
    expect(Object.fromEntries(values)).toEqual({
      [SETTING.HEADER_TABLE_SIZE]: 4096,
      [SETTING.ENABLE_PUSH]: 0,
      [SETTING.MAX_CONCURRENT_STREAMS]: 100,
      [SETTING.INITIAL_WINDOW_SIZE]: 65535,
      [SETTING.MAX_FRAME_SIZE]: 16384,
      [SETTING.MAX_HEADER_LIST_SIZE]: 65536,
    });
    expect(second.type).toBe(FRAME.WINDOW_UPDATE);
    expect(readUint31(second.payload, 0)).toBe((1 << 20) - 65535);
  });

  it("acknowledges the client's SETTINGS; the preface may arrive a byte at a time", () => {
    const client = new TestClient();
    const input = concat([PREFACE, settings([[SETTING.INITIAL_WINDOW_SIZE, 1000]])]);
    for (const byte of input) client.send(Uint8Array.of(byte));
    expect(client.sent(FRAME.SETTINGS).filter((f) => f.flags === ACK)).toHaveLength(1);
    expect(summary(client.events)).toEqual(["settings"]);
    expect(client.server.established).toBe(true);
  });

  it("a wrong preface, or a first frame that is not SETTINGS, is a PROTOCOL_ERROR", () => {
    const a = new TestClient();
    a.send(bytes("INVALID CONNECTION PREFACE\r\n\r\n"));
    expect(a.goaway()).toEqual([0, ERROR_CODE.PROTOCOL_ERROR]);
    const b = new TestClient();
    b.send(concat([PREFACE, raw(FRAME.PING, 0, 0, new Uint8Array(8))]));
    expect(b.goaway()).toEqual([0, ERROR_CODE.PROTOCOL_ERROR]);
  });

  it("tells a preface's start from HTTP/1", () => {
    expect(startsLikePreface(bytes("PRI * HT"))).toBe(true);
    expect(startsLikePreface(PREFACE)).toBe(true);
    expect(startsLikePreface(bytes("PRIX"))).toBe(false);
    expect(startsLikePreface(bytes("GET / HTTP/1.1\r\n"))).toBe(false);
  });
});

describe("requests and responses", () => {
  it("a GET: request and end events; the response as HEADERS and DATA with END_STREAM", () => {
    const client = new TestClient().handshake();
    const events = client.send(client.headers(1, [...GET, "user-agent", "test", "cookie", "a=1", "cookie", "b=2"]));
    expect(summary(events)).toEqual(["request:1", "end:1"]);
    const request = events[0];
    if (request.type !== "request") throw new Error("no request");
    expect(request.head).toMatchObject({ method: "GET", scheme: "https", path: "/", authority: "example.com", contentLength: -1 });
    expect(request.head.fields).toEqual(["user-agent", "test", "cookie", "a=1; b=2"]);
    expect(client.server.sendHeaders(1, [":status", "200", "content-type", "text/plain"], false)).toBe(true);
    expect(client.server.sendData(1, bytes("hello"), true)).toBe(true);
    client.read();
    const [headers, data] = client.frames.filter((f) => f.streamId === 1);
    expect(headers.fields).toEqual([":status", "200", "content-type", "text/plain"]);
    expect(data.type).toBe(FRAME.DATA);
    expect(data.flags).toBe(ES);
    expect(new TextDecoder().decode(data.payload)).toBe("hello");
    // Closed both ways: nothing more can be sent, and the stream's slot frees when the handler ends.
    expect(client.server.canSend(1)).toBe(false);
    expect(client.server.activeStreams).toBe(1);
    client.server.streamDone(1);
    expect(client.server.idle).toBe(true);
  });

  it("a POST's content arrives as data events (padding removed), its trailers with the end", () => {
    const client = new TestClient().handshake();
    client.send(client.headers(1, [...POST, "content-length", "8"], EH));
    client.send(client.data(1, "test", 0));
    client.send(raw(FRAME.DATA, PADDED, 1, [3, ...bytes("more"), 0, 0, 0]));
    const events = client.send(client.headers(1, ["x-trailer", "ok"], EH | ES));
    const data = client.events.filter((e) => e.type === "data").map((e) => (e.type === "data" ? new TextDecoder().decode(e.data) : ""));
    expect(data).toEqual(["test", "more"]);
    expect(events).toEqual([{ type: "end", streamId: 1, trailers: ["x-trailer", "ok"] }]);
  });

  it("trailers out: after the queued content, with END_STREAM", () => {
    const client = new TestClient().handshake();
    client.send(client.headers(1, GET));
    client.server.sendHeaders(1, [":status", "200"], false);
    client.server.sendData(1, bytes("body"));
    client.server.sendHeaders(1, ["x-checksum", "abc"], true);
    client.read();
    expect(client.frames.filter((f) => f.streamId === 1).map((f) => [f.type, f.flags, f.fields])).toEqual([
      [FRAME.HEADERS, EH, [":status", "200"]],
      [FRAME.DATA, 0, undefined],
      [FRAME.HEADERS, EH | ES, ["x-checksum", "abc"]],
    ]);
  });

  it("a response complete before the request's content ends: the client's next DATA, once no handler reads, is answered by RST_STREAM NO_ERROR (§8.1)", () => {
    const client = new TestClient().handshake();
    client.send(client.headers(1, POST, EH));
    client.server.sendHeaders(1, [":status", "413"], true);
    client.read();
    expect(client.resets(1)).toEqual([]);
    // While the handler runs, it may still read the request's content.
    expect(summary(client.send(client.data(1, "more", 0)))).toEqual(["data:1"]);
    client.server.streamDone(1);
    expect(summary(client.send(client.data(1, "late", 0)))).toEqual([]);
    expect(client.resets(1)).toEqual([ERROR_CODE.NO_ERROR]);
    // DATA still in flight is ignored, its window given back.
    expect(summary(client.send(client.data(1, "later")))).toEqual([]);
    expect(client.resets(1)).toEqual([ERROR_CODE.NO_ERROR]);
  });

  it("large field blocks go out as HEADERS and CONTINUATION frames", () => {
    const client = new TestClient().handshake();
    client.send(client.headers(1, GET));
    client.server.sendHeaders(1, [":status", "200", "x-big", "y".repeat(40_000)], true);
    client.read();
    expect(client.frames.at(-1)?.fields).toEqual([":status", "200", "x-big", "y".repeat(40_000)]);
  });
});

describe("flow control (RFC 9113 §5.2, §6.9)", () => {
  it("content goes out within the client's windows, in frames of at most 16,384 bytes", () => {
    const client = new TestClient().handshake();
    client.send(client.headers(1, GET));
    client.server.sendHeaders(1, [":status", "200"], false);
    client.server.sendData(1, new Uint8Array(100_000), true);
    client.read();
    const sizes = () => client.sent(FRAME.DATA).map((f) => f.payload.length);
    expect(Math.max(...sizes())).toBe(16_384);
    expect(sizes().reduce((a, b) => a + b)).toBe(65_535);
    expect(client.server.bufferedAmount(1)).toBe(100_000 - 65_535);
    // The stream's window opens, but the connection's is spent too.
    client.send(raw(FRAME.WINDOW_UPDATE, 0, 1, u32(50_000)));
    expect(sizes().reduce((a, b) => a + b)).toBe(65_535);
    client.send(raw(FRAME.WINDOW_UPDATE, 0, 0, u32(50_000)));
    expect(sizes().reduce((a, b) => a + b)).toBe(100_000);
    expect(client.sent(FRAME.DATA).at(-1)?.flags).toBe(ES);
  });

  it("a SETTINGS_INITIAL_WINDOW_SIZE change can make a window negative (§6.9.2)", () => {
    const client = new TestClient().handshake([[SETTING.INITIAL_WINDOW_SIZE, 3]]);
    client.send(client.headers(1, GET));
    client.server.sendHeaders(1, [":status", "200"], false);
    client.server.sendData(1, bytes("hello"), true);
    client.read();
    expect(client.sent(FRAME.DATA).map((f) => f.payload.length)).toEqual([3]);
    client.send(settings([[SETTING.INITIAL_WINDOW_SIZE, 2]])); // window now -1
    client.send(raw(FRAME.WINDOW_UPDATE, 0, 1, u32(2)));
    expect(client.sent(FRAME.DATA).map((f) => f.payload.length)).toEqual([3, 1]);
  });

  it("received content is given back: WINDOW_UPDATE once half a window was consumed", () => {
    const client = new TestClient().handshake();
    client.send(client.headers(1, POST, EH));
    client.send(client.data(1, new Uint8Array(16_000), 0), client.data(1, new Uint8Array(16_000), 0));
    client.server.acknowledgeReceivedData(1, 32_000);
    client.read();
    expect(client.sent(FRAME.WINDOW_UPDATE)).toHaveLength(1); // only the connection's, at the start
    client.send(client.data(1, new Uint8Array(1000), 0));
    client.server.acknowledgeReceivedData(1, 1000);
    client.read();
    expect(client.sent(FRAME.WINDOW_UPDATE).map((f) => [f.streamId, readUint31(f.payload, 0)])).toEqual([
      [0, (1 << 20) - 65535],
      [1, 33_000],
    ]);
  });

  it("DATA beyond a stream's window is a FLOW_CONTROL_ERROR for the stream; beyond the connection's, for the connection", () => {
    const client = new TestClient().handshake();
    client.send(client.headers(1, POST, EH), client.headers(3, POST, EH));
    for (let i = 0; i < 4; i++) client.send(client.data(1, new Uint8Array(16_000), 0));
    client.send(client.data(1, new Uint8Array(1600), 0));
    expect(client.resets(1)).toEqual([ERROR_CODE.FLOW_CONTROL_ERROR]);
    expect(client.goaway()).toBeNull();
    // The connection window is spent (the reset stream's bytes were given back, but not yet sent a WINDOW_UPDATE for).
    const big = new TestClient({ connectionWindowSize: 65_535, initialWindowSize: 100_000 }).handshake();
    big.send(big.headers(1, POST, EH));
    for (let i = 0; i < 5; i++) big.send(big.data(1, new Uint8Array(16_000), 0));
    expect(big.goaway()).toEqual([1, ERROR_CODE.FLOW_CONTROL_ERROR]);
  });

  it("window overflows: FLOW_CONTROL_ERROR on the stream (RST_STREAM) and on the connection (GOAWAY)", () => {
    const client = new TestClient().handshake();
    client.send(client.headers(1, POST, EH));
    client.send(raw(FRAME.WINDOW_UPDATE, 0, 1, u32(0x7fffffff)));
    expect(client.resets(1)).toEqual([ERROR_CODE.FLOW_CONTROL_ERROR]);
    client.send(raw(FRAME.WINDOW_UPDATE, 0, 0, u32(0x7fffffff)));
    expect(client.goaway()).toEqual([1, ERROR_CODE.FLOW_CONTROL_ERROR]);
  });
});

/**
 * Client misbehaviour and the answer RFC 9113 requires: `["stream", code]` = RST_STREAM on stream
 * 1 with the connection kept; `["connection", code]` = GOAWAY.
 */
const ERRORS: [string, (c: TestClient) => Uint8Array[], "stream" | "connection", number][] = [
  ["DATA on stream 0 (§6.1)", () => [raw(FRAME.DATA, 0, 0, bytes("test"))], "connection", ERROR_CODE.PROTOCOL_ERROR],
  ["DATA on an idle stream (§5.1)", (c) => [c.data(1, "x")], "connection", ERROR_CODE.PROTOCOL_ERROR],
  ["DATA after END_STREAM (§5.1)", (c) => [c.headers(1, POST), c.data(1, "x")], "stream", ERROR_CODE.STREAM_CLOSED],
  ["HEADERS twice with END_STREAM (§5.1)", (c) => [c.headers(1, GET), c.headers(1, GET)], "stream", ERROR_CODE.STREAM_CLOSED],
  ["HEADERS on stream 0 (§6.2)", (c) => [c.headers(0, GET)], "connection", ERROR_CODE.PROTOCOL_ERROR],
  ["an even stream identifier (§5.1.1)", (c) => [c.headers(2, GET)], "connection", ERROR_CODE.PROTOCOL_ERROR],
  ["a stream identifier going down (§5.1.1)", (c) => [c.headers(5, GET), c.headers(3, GET)], "connection", ERROR_CODE.PROTOCOL_ERROR],
  [
    "padding as long as the payload (§6.1)",
    (c) => [c.headers(1, [...POST, "content-length", "4"], EH), raw(FRAME.DATA, PADDED | ES, 1, [6, ...bytes("Test")])],
    "connection",
    ERROR_CODE.PROTOCOL_ERROR,
  ],
  [
    "a stream depending on itself (§5.3.1)",
    (c) => [raw(FRAME.HEADERS, EH | ES | PRIORITY, 1, [...u32(1), 255, ...c.block(GET)])],
    "stream",
    ERROR_CODE.PROTOCOL_ERROR,
  ],
  ["PRIORITY on stream 0 (§6.3)", () => [raw(FRAME.PRIORITY, 0, 0, [0, 0, 0, 0, 255])], "connection", ERROR_CODE.PROTOCOL_ERROR],
  [
    "PRIORITY of 4 bytes (§6.3)",
    (c) => [c.headers(1, POST, EH), raw(FRAME.PRIORITY, 0, 1, [0x80, 0, 0, 1])],
    "stream",
    ERROR_CODE.FRAME_SIZE_ERROR,
  ],
  ["RST_STREAM on stream 0 (§6.4)", () => [raw(FRAME.RST_STREAM, 0, 0, u32(8))], "connection", ERROR_CODE.PROTOCOL_ERROR],
  ["RST_STREAM on an idle stream (§6.4)", () => [raw(FRAME.RST_STREAM, 0, 1, u32(8))], "connection", ERROR_CODE.PROTOCOL_ERROR],
  [
    "RST_STREAM of 3 bytes (§6.4)",
    (c) => [c.headers(1, POST, EH), raw(FRAME.RST_STREAM, 0, 1, [0, 0, 0])],
    "connection",
    ERROR_CODE.FRAME_SIZE_ERROR,
  ],
  ["SETTINGS ACK with a payload (§6.5)", () => [raw(FRAME.SETTINGS, ACK, 0, [0])], "connection", ERROR_CODE.FRAME_SIZE_ERROR],
  ["SETTINGS on a stream (§6.5)", () => [raw(FRAME.SETTINGS, 0, 1, [0, 3, ...u32(100)])], "connection", ERROR_CODE.PROTOCOL_ERROR],
  ["SETTINGS of 3 bytes (§6.5)", () => [raw(FRAME.SETTINGS, 0, 0, [0, 3, 0])], "connection", ERROR_CODE.FRAME_SIZE_ERROR],
  ["ENABLE_PUSH 2 (§6.5.2)", () => [settings([[SETTING.ENABLE_PUSH, 2]])], "connection", ERROR_CODE.PROTOCOL_ERROR],
  [
    "INITIAL_WINDOW_SIZE 2^31 (§6.5.2)",
    () => [settings([[SETTING.INITIAL_WINDOW_SIZE, 2 ** 31]])],
    "connection",
    ERROR_CODE.FLOW_CONTROL_ERROR,
  ],
  ["MAX_FRAME_SIZE 16,383 (§6.5.2)", () => [settings([[SETTING.MAX_FRAME_SIZE, 16383]])], "connection", ERROR_CODE.PROTOCOL_ERROR],
  ["MAX_FRAME_SIZE 2^24 (§6.5.2)", () => [settings([[SETTING.MAX_FRAME_SIZE, 2 ** 24]])], "connection", ERROR_CODE.PROTOCOL_ERROR],
  ["PING on a stream (§6.7)", () => [raw(FRAME.PING, 0, 1, new Uint8Array(8))], "connection", ERROR_CODE.PROTOCOL_ERROR],
  ["PING of 6 bytes (§6.7)", () => [raw(FRAME.PING, 0, 0, new Uint8Array(6))], "connection", ERROR_CODE.FRAME_SIZE_ERROR],
  ["GOAWAY on a stream (§6.8)", () => [raw(FRAME.GOAWAY, 0, 1, new Uint8Array(8))], "connection", ERROR_CODE.PROTOCOL_ERROR],
  ["WINDOW_UPDATE of 0 on the connection (§6.9)", () => [raw(FRAME.WINDOW_UPDATE, 0, 0, u32(0))], "connection", ERROR_CODE.PROTOCOL_ERROR],
  [
    "WINDOW_UPDATE of 0 on a stream (§6.9)",
    (c) => [c.headers(1, POST, EH), raw(FRAME.WINDOW_UPDATE, 0, 1, u32(0))],
    "stream",
    ERROR_CODE.PROTOCOL_ERROR,
  ],
  ["WINDOW_UPDATE of 3 bytes (§6.9)", () => [raw(FRAME.WINDOW_UPDATE, 0, 0, [0, 0, 1])], "connection", ERROR_CODE.FRAME_SIZE_ERROR],
  ["WINDOW_UPDATE on an idle stream (§5.1)", () => [raw(FRAME.WINDOW_UPDATE, 0, 1, u32(100))], "connection", ERROR_CODE.PROTOCOL_ERROR],
  ["CONTINUATION without HEADERS (§6.10)", (c) => [raw(FRAME.CONTINUATION, EH, 1, c.block(GET))], "connection", ERROR_CODE.PROTOCOL_ERROR],
  [
    "a frame between HEADERS and CONTINUATION (§6.10)",
    (c) => [c.headers(1, GET, ES), raw(FRAME.PING, 0, 0, new Uint8Array(8))],
    "connection",
    ERROR_CODE.PROTOCOL_ERROR,
  ],
  [
    "CONTINUATION on another stream (§6.10)",
    (c) => [c.headers(1, GET, ES), raw(FRAME.CONTINUATION, EH, 3, [])],
    "connection",
    ERROR_CODE.PROTOCOL_ERROR,
  ],
  [
    "PUSH_PROMISE from a client (§8.4)",
    (c) => [raw(FRAME.PUSH_PROMISE, EH, 1, [0, 0, 0, 3, ...c.block(GET)])],
    "connection",
    ERROR_CODE.PROTOCOL_ERROR,
  ],
  [
    "a DATA frame over 16,384 bytes (§4.2)",
    (c) => [c.headers(1, POST, EH), c.data(1, new Uint8Array(16_385))],
    "stream",
    ERROR_CODE.FRAME_SIZE_ERROR,
  ],
  [
    "a HEADERS frame over 16,384 bytes (§4.2)",
    (c) => [c.headers(1, [...GET, "x", "y".repeat(20_000)])],
    "connection",
    ERROR_CODE.FRAME_SIZE_ERROR,
  ],
  [
    "an index 0 in a field block (RFC 7541 §6.1)",
    () => [raw(FRAME.HEADERS, EH | ES, 1, [0x82, 0x80])],
    "connection",
    ERROR_CODE.COMPRESSION_ERROR,
  ],
  ["an uppercase field name (§8.2)", (c) => [c.headers(1, [...GET, "X-Test", "ok"])], "stream", ERROR_CODE.PROTOCOL_ERROR],
  ["an unknown pseudo-header field (§8.3)", (c) => [c.headers(1, [...GET, ":test", "ok"])], "stream", ERROR_CODE.PROTOCOL_ERROR],
  [":status in a request (§8.3.1)", (c) => [c.headers(1, [...GET, ":status", "200"])], "stream", ERROR_CODE.PROTOCOL_ERROR],
  [
    "a pseudo-header field after a regular one (§8.3)",
    (c) => [c.headers(1, ["x-test", "ok", ...GET])],
    "stream",
    ERROR_CODE.PROTOCOL_ERROR,
  ],
  ["connection: keep-alive (§8.2.2)", (c) => [c.headers(1, [...GET, "connection", "keep-alive"])], "stream", ERROR_CODE.PROTOCOL_ERROR],
  ["te other than trailers (§8.2.2)", (c) => [c.headers(1, [...GET, "te", "trailers, deflate"])], "stream", ERROR_CODE.PROTOCOL_ERROR],
  [
    "an empty :path (§8.3.1)",
    (c) => [c.headers(1, [":method", "GET", ":scheme", "http", ":path", ""])],
    "stream",
    ERROR_CODE.PROTOCOL_ERROR,
  ],
  ["no :method (§8.3.1)", (c) => [c.headers(1, [":scheme", "http", ":path", "/"])], "stream", ERROR_CODE.PROTOCOL_ERROR],
  ["two :path fields (§8.3.1)", (c) => [c.headers(1, [...GET, ":path", "/"])], "stream", ERROR_CODE.PROTOCOL_ERROR],
  [
    "CONNECT with :path (§8.5)",
    (c) => [c.headers(1, [":method", "CONNECT", ":authority", "a:443", ":path", "/"])],
    "stream",
    ERROR_CODE.PROTOCOL_ERROR,
  ],
  [":authority and host differ (§8.3.1)", (c) => [c.headers(1, [...GET, "host", "other.example"])], "stream", ERROR_CODE.PROTOCOL_ERROR],
  [
    "content-length against the DATA (§8.1.1)",
    (c) => [c.headers(1, [...POST, "content-length", "1"], EH), c.data(1, "test")],
    "stream",
    ERROR_CODE.PROTOCOL_ERROR,
  ],
  [
    "trailers without END_STREAM (§8.1)",
    (c) => [c.headers(1, POST, EH), c.data(1, "test", 0), c.headers(1, ["x-test", "ok"], EH)],
    "stream",
    ERROR_CODE.PROTOCOL_ERROR,
  ],
  [
    "a pseudo-header field in trailers (§8.1)",
    (c) => [c.headers(1, POST, EH), c.data(1, "test", 0), c.headers(1, [":method", "POST"])],
    "stream",
    ERROR_CODE.PROTOCOL_ERROR,
  ],
];

describe("errors (RFC 9113 §5.4): the code the RFC requires", () => {
  for (const [what, frames, kind, code] of ERRORS) {
    it(`${what}: ${kind} error ${code}`, () => {
      const client = new TestClient().handshake();
      client.send(concat(frames(client)));
      if (kind === "stream") {
        expect(client.resets(1)).toEqual([code]);
        expect(client.goaway()).toBeNull();
        // The connection serves on.
        const events = client.send(client.headers(7, GET));
        expect(summary(events)).toEqual(["request:7", "end:7"]);
      } else {
        expect(client.goaway()?.[1]).toBe(code);
        expect(client.server.terminated).toBe(true);
        expect(client.send(client.headers(9, GET))).toEqual([]);
      }
    });
  }

  it("frames on closed streams: ignored after our RST_STREAM; HEADERS after both ends is a connection STREAM_CLOSED", () => {
    const client = new TestClient().handshake();
    client.send(client.headers(1, POST, EH));
    client.server.resetStream(1, ERROR_CODE.CANCEL);
    client.send(client.data(1, "late", ES), raw(FRAME.WINDOW_UPDATE, 0, 1, u32(10)));
    expect(client.resets(1)).toEqual([ERROR_CODE.CANCEL]);
    client.send(client.headers(3, GET));
    client.server.sendHeaders(3, [":status", "204"], true);
    client.send(client.headers(3, GET));
    expect(client.goaway()).toEqual([3, ERROR_CODE.STREAM_CLOSED]);
  });

  it("after the client's RST_STREAM, a frame on the stream is a STREAM_CLOSED stream error (§5.1)", () => {
    const client = new TestClient().handshake();
    client.send(client.headers(1, POST, EH), raw(FRAME.RST_STREAM, 0, 1, u32(ERROR_CODE.CANCEL)));
    expect(summary(client.events).slice(-2)).toEqual(["request:1", "reset:1"]);
    client.send(client.data(1, "x"));
    expect(client.resets(1)).toEqual([ERROR_CODE.STREAM_CLOSED]);
  });

  it("unknown frame types and settings are ignored (§4.1, §6.5.2)", () => {
    const client = new TestClient().handshake();
    client.send(raw(0x16, 0x16, 0, new Uint8Array(8)), settings([[0xff, 1]]), raw(FRAME.PING, 0x16, 0, bytes("h2spec\0\0")));
    const pings = client.sent(FRAME.PING);
    expect(pings.map((f) => [f.flags, new TextDecoder().decode(f.payload)])).toEqual([[ACK, "h2spec\0\0"]]);
  });
});

describe("limits against the known attacks (RFC 9113 §10.5)", () => {
  it("MAX_CONCURRENT_STREAMS: a stream over it is refused; a slot frees only when its handler is done", () => {
    const client = new TestClient({ maxConcurrentStreams: 2 }).handshake();
    client.send(client.headers(1, GET), client.headers(3, POST, EH), client.headers(5, GET));
    expect(client.resets(5)).toEqual([ERROR_CODE.REFUSED_STREAM]);
    // The client resets stream 3: its handler still runs, so the slot stays taken.
    client.send(raw(FRAME.RST_STREAM, 0, 3, u32(ERROR_CODE.CANCEL)), client.headers(7, GET));
    expect(client.resets(7)).toEqual([ERROR_CODE.REFUSED_STREAM]);
    client.server.streamDone(3);
    expect(summary(client.send(client.headers(9, GET)))).toEqual(["request:9", "end:9"]);
  });

  it("rapid reset (CVE-2023-44487): resets beyond the bucket end the connection with ENHANCE_YOUR_CALM", () => {
    const client = new TestClient({ resetBurst: 50, resetRate: 10 }).handshake();
    for (let id = 1; id < 200; id += 2) {
      client.send(client.headers(id, GET, EH), raw(FRAME.RST_STREAM, 0, id, u32(ERROR_CODE.CANCEL)));
      client.server.streamDone(id);
      if (client.server.terminated) break;
    }
    expect(client.goaway()?.[1]).toBe(ERROR_CODE.ENHANCE_YOUR_CALM);
    // Refilled at 10 per second: the same pace of resets, slower, goes on.
    const slow = new TestClient({ resetBurst: 50, resetRate: 10 }).handshake();
    for (let id = 1; id < 400; id += 2) {
      slow.now += 200;
      slow.send(slow.headers(id, GET, EH), raw(FRAME.RST_STREAM, 0, id, u32(ERROR_CODE.CANCEL)));
      slow.server.streamDone(id);
    }
    expect(slow.goaway()).toBeNull();
  });

  it("MadeYouReset (CVE-2025-8671): stream errors the client provokes count, then ENHANCE_YOUR_CALM", () => {
    const client = new TestClient({ glitchBurst: 100, glitchRate: 1 }).handshake();
    for (let id = 1; id < 400 && !client.server.terminated; id += 2) {
      client.send(client.headers(id, POST, EH), raw(FRAME.WINDOW_UPDATE, 0, id, u32(0)));
      client.server.streamDone(id);
    }
    expect(client.goaway()?.[1]).toBe(ERROR_CODE.ENHANCE_YOUR_CALM);
  });

  it("PING, SETTINGS, PRIORITY and empty DATA floods end with ENHANCE_YOUR_CALM", () => {
    const floods: [string, (c: TestClient) => Uint8Array][] = [
      ["PING", () => raw(FRAME.PING, 0, 0, new Uint8Array(8))],
      ["SETTINGS", () => settings([])],
      ["PRIORITY", () => raw(FRAME.PRIORITY, 0, 3, [0, 0, 0, 0, 16])],
      ["empty DATA", () => raw(FRAME.DATA, 0, 1, [])],
    ];
    for (const [, flood] of floods) {
      const client = new TestClient({ glitchBurst: 1000, glitchRate: 10 }).handshake();
      client.send(client.headers(1, POST, EH));
      client.send(concat(Array.from({ length: 1100 }, () => flood(client))));
      expect(client.goaway()?.[1]).toBe(ERROR_CODE.ENHANCE_YOUR_CALM);
    }
  });

  it("CONTINUATION flood (CVE-2024-27316 class): capped in frames and bytes before the block ends", () => {
    const frames = new TestClient().handshake();
    frames.send(frames.headers(1, GET, ES), ...Array.from({ length: 20 }, () => raw(FRAME.CONTINUATION, 0, 1, [])));
    expect(frames.goaway()?.[1]).toBe(ERROR_CODE.ENHANCE_YOUR_CALM);
    const bytesFlood = new TestClient().handshake();
    bytesFlood.send(
      bytesFlood.headers(1, GET, ES),
      ...Array.from({ length: 6 }, () => raw(FRAME.CONTINUATION, 0, 1, new Uint8Array(16_384))),
    );
    expect(bytesFlood.goaway()?.[1]).toBe(ERROR_CODE.ENHANCE_YOUR_CALM);
  });

  it("HPACK bomb: a block decoding past MAX_HEADER_LIST_SIZE is a request-too-large, the connection lives", () => {
    const client = new TestClient().handshake();
    // One 4 KB entry in the table (literal with incremental indexing, RFC 7541 §6.2.1), then a
    // block of 20 references to it (80 KB decoded).
    const get = [0x82, 0x87, 0x84, 0x01, 11, ...bytes("example.com")];
    const entry = [0x40, 5, ...bytes("x-big"), 0x7f, 0x80 | 33, 30, ...bytes("y".repeat(4000))];
    expect(summary(client.send(raw(FRAME.HEADERS, EH | ES, 1, [...get, ...entry])))).toEqual(["request:1", "end:1"]);
    const block = Uint8Array.from([...get, ...new Uint8Array(20).fill(0xbe)]);
    const events = client.send(raw(FRAME.HEADERS, EH | ES, 3, block));
    expect(summary(events)).toEqual(["request-too-large:3", "end:3"]);
    expect(events[0]).toMatchObject({ method: "GET", target: "/" });
    expect(client.goaway()).toBeNull();
    // More than 100 fields too.
    const many = client.send(client.headers(5, [...GET, ...Array.from({ length: 101 }, (_, i) => [`x-${i}`, "v"]).flat()]));
    expect(summary(many)).toEqual(["request-too-large:5", "end:5"]);
  });

  it("a client that never reads its PING answers is cut off (bounded queued output)", () => {
    const client = new TestClient({ glitchBurst: 1e9 }).handshake();
    const ping = raw(FRAME.PING, 0, 0, new Uint8Array(8));
    for (let i = 0; i < 11 && !client.server.terminated; i++)
      client.server.receiveData(concat(Array.from({ length: 1000 }, () => ping)), 0);
    expect(client.server.terminated).toBe(true);
  });
});

describe("graceful shutdown (RFC 9113 §6.8)", () => {
  it("GOAWAY 2^31-1 and a PING; on the PING's answer, GOAWAY with the last stream; later streams ignored", () => {
    const client = new TestClient().handshake();
    client.send(client.headers(1, GET));
    client.server.goAway();
    client.read();
    expect(client.goaway()).toEqual([0x7fffffff, ERROR_CODE.NO_ERROR]);
    const ping = client.sent(FRAME.PING).at(-1)!;
    client.send(client.headers(3, GET));
    client.send(raw(FRAME.PING, ACK, 0, ping.payload));
    expect(client.goaway()).toEqual([3, ERROR_CODE.NO_ERROR]);
    expect(client.server.closing).toBe(true);
    expect(client.send(client.headers(5, GET))).toEqual([]);
    client.server.sendHeaders(1, [":status", "200"], true);
    client.server.sendHeaders(3, [":status", "200"], true);
    client.server.streamDone(1);
    client.server.streamDone(3);
    client.read();
    expect(client.server.idle).toBe(true);
  });
});

describe("any split of the input gives the same events", () => {
  it("a connection's worth of frames, cut anywhere", () => {
    const make = () => {
      const c = new TestClient();
      const frames = [PREFACE, settings([[SETTING.INITIAL_WINDOW_SIZE, 100_000]]), c.headers(1, [...GET, "x-a", "1"])];
      frames.push(c.headers(3, [...POST, "content-length", "10"], EH), raw(FRAME.DATA, PADDED, 3, [2, ...bytes("01234"), 0, 0]));
      const block5 = c.block([...GET, "x-b", "2"]);
      frames.push(raw(FRAME.HEADERS, 0, 5, block5.subarray(0, 3)), raw(FRAME.CONTINUATION, EH, 5, block5.subarray(3)));
      frames.push(c.data(3, "56789"), raw(FRAME.PING, 0, 0, bytes("abcdefgh")), raw(FRAME.RST_STREAM, 0, 5, u32(8)));
      return concat(frames);
    };
    // Each block is encoded once per connection, so the input is made once and split many ways.
    const input = make();
    const norm = (events: H2Event[]) => JSON.stringify(events, (_, v: unknown) => (v instanceof Uint8Array ? Array.from(v) : v));
    const run = (cuts: number[]) => {
      const server = new H2Connection();
      server.initiate();
      const events: H2Event[] = [];
      let last = 0;
      for (const cut of [...cuts, input.length]) {
        for (const e of server.receiveData(input.slice(last, cut), 0)) events.push(e.type === "data" ? { ...e, data: e.data.slice() } : e);
        last = cut;
      }
      return norm(events);
    };
    const whole = run([]);
    expect((JSON.parse(whole) as H2Event[]).map((e) => e.type)).toEqual([
      "settings",
      "request",
      "end",
      "request",
      "data",
      "request",
      "data",
      "end",
      "ping",
      "reset",
    ]);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: input.length - 1 }), { maxLength: 40 }), (cuts) => {
        expect(run(cuts.sort((a, b) => a - b))).toBe(whole);
      }),
      { numRuns: 300 },
    );
  });
});
