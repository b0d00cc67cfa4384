/**
 * The sans-IO WebSocket core (RFC 6455, RFC 7692's negotiation): frames, the rules a server
 * enforces on a client's frames, UTF-8 checked as it arrives, the close handshake, the opening
 * handshake's checks, permessage-deflate's parameters; and, as a property, that any split of the
 * input gives the same events.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CLOSE_CODE, NEED_DATA, WebSocketConnection, type WebSocketEvent, isValidCloseCode } from "../src/ws/connection.js";
import { acceptPerMessageDeflate, parseExtensionOffers } from "../src/ws/extensions.js";
import { ByteQueue } from "../src/http/bytequeue.js";
import { OPCODE, applyMask, encodeFrameHeader, readFrameHeader } from "../src/ws/frames.js";
import { acceptValue, checkHandshake, encodeBase64, type HandshakeRequest } from "../src/ws/handshake.js";
import { Utf8Validator, isValidUtf8 } from "../src/ws/utf8.js";
import { ProtocolError } from "../src/http/errors.js";
import { createHash } from "node:crypto";
import { concat, text } from "./helpers.js";

const enc = new TextEncoder();

/** A client frame: masked with `mask`, header bits as given. */
function frame(
  opcode: number,
  payload: Uint8Array | string,
  options: { fin?: boolean; rsv1?: boolean; rsv2?: boolean; masked?: boolean; mask?: number[]; length64?: boolean } = {},
): Uint8Array {
  const data = typeof payload === "string" ? enc.encode(payload) : payload;
  const fin = options.fin ?? true;
  const masked = options.masked ?? true;
  const mask = Uint8Array.from(options.mask ?? [0x37, 0xfa, 0x21, 0x3d]);
  const b0 = (fin ? 0x80 : 0) | (options.rsv1 ? 0x40 : 0) | (options.rsv2 ? 0x20 : 0) | opcode;
  let head: number[];
  if (options.length64)
    head = [
      b0,
      (masked ? 0x80 : 0) | 127,
      0,
      0,
      0,
      0,
      (data.length >>> 24) & 0xff,
      (data.length >>> 16) & 0xff,
      (data.length >>> 8) & 0xff,
      data.length & 0xff,
    ];
  else if (data.length < 126) head = [b0, (masked ? 0x80 : 0) | data.length];
  else if (data.length < 65536) head = [b0, (masked ? 0x80 : 0) | 126, data.length >> 8, data.length & 0xff];
  else
    head = [
      b0,
      (masked ? 0x80 : 0) | 127,
      0,
      0,
      0,
      0,
      (data.length >>> 24) & 0xff,
      (data.length >>> 16) & 0xff,
      (data.length >>> 8) & 0xff,
      data.length & 0xff,
    ];
  const body = data.slice();
  if (masked) applyMask(body, mask, 0);
  return concat([Uint8Array.from(head), masked ? mask : new Uint8Array(0), body]);
}

/** Pulls every event until NEED_DATA, in a comparable form. */
function events(conn: WebSocketConnection): unknown[] {
  const out: unknown[] = [];
  for (;;) {
    const event: WebSocketEvent = conn.nextEvent();
    if (event === NEED_DATA) return out;
    switch (event.type) {
      case "message":
        out.push({ type: "message", text: event.text, data: text(event.data), compressed: event.compressed });
        break;
      case "ping":
      case "pong":
        out.push({ type: event.type, data: text(event.data) });
        break;
      default:
        out.push(event);
    }
    if (event.type === "failed" || event.type === "close" || event.type === "ended") return out;
  }
}

function run(input: Uint8Array, options = {}): { events: unknown[]; sent: string } {
  const conn = new WebSocketConnection(options);
  conn.receiveData(input.slice());
  return { events: events(conn), sent: text(concat([...conn.dataToSend()])) };
}

/** The server's close frame with `code` (and `reason`), as the connection writes it. */
const closeFrame = (code: number, reason = "") =>
  text(Uint8Array.from([0x88, 2 + enc.encode(reason).length, code >> 8, code & 0xff, ...enc.encode(reason)]));

describe("frames (RFC 6455 §5.2)", () => {
  it("headers with 7-, 16- and 64-bit lengths, as the shortest encoding", () => {
    expect([...encodeFrameHeader(OPCODE.TEXT, 125, false)]).toEqual([0x81, 125]);
    expect([...encodeFrameHeader(OPCODE.BINARY, 126, true)]).toEqual([0xc2, 126, 0, 126]);
    expect([...encodeFrameHeader(OPCODE.BINARY, 65535, false)]).toEqual([0x82, 126, 0xff, 0xff]);
    expect([...encodeFrameHeader(OPCODE.BINARY, 65536, false)]).toEqual([0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0]);
    expect([...encodeFrameHeader(OPCODE.BINARY, 2 ** 40 + 5, false)]).toEqual([0x82, 127, 0, 0, 1, 0, 0, 0, 0, 5]);
  });

  it("reads a header split anywhere; refuses a 64-bit length with the top bit set", () => {
    const bytes = frame(OPCODE.BINARY, new Uint8Array(70000));
    for (let cut = 0; cut < 14; cut++) {
      const queue = new ByteQueue();
      queue.push(bytes.subarray(0, cut));
      const first = readFrameHeader(queue);
      if (cut < 14) expect(first).toBeNull();
      queue.push(bytes.subarray(cut));
      const header = readFrameHeader(queue);
      expect(header).toMatchObject({ fin: true, opcode: 2, masked: true, length: 70000 });
    }
    const queue = new ByteQueue();
    queue.push(Uint8Array.of(0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4));
    expect(readFrameHeader(queue)).toMatch(/most significant bit/);
  });

  it("masking is its own inverse at any offset", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.nat(7), (data, mask, offset) => {
        const copy = data.slice();
        applyMask(copy, mask, offset);
        for (let i = 0; i < data.length; i++) expect(copy[i]).toBe(data[i] ^ mask[(offset + i) & 3]);
        applyMask(copy, mask, offset);
        expect(copy).toEqual(data);
      }),
    );
  });
});

describe("UTF-8, checked as it arrives (RFC 3629, RFC 6455 §8.1)", () => {
  const strict = new TextDecoder("utf-8", { fatal: true });
  const valid = (b: Uint8Array) => {
    try {
      strict.decode(b);
      return true;
    } catch {
      return false;
    }
  };

  it("agrees with a strict decoder on random bytes, whole and in pieces", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.array(fc.nat(40), { maxLength: 4 }), (bytes, cuts) => {
        expect(isValidUtf8(bytes)).toBe(valid(bytes));
        const validator = new Utf8Validator();
        let ok = true;
        let at = 0;
        for (const cut of [...cuts.map((c) => Math.min(c, bytes.length)).sort((a, b) => a - b), bytes.length]) {
          ok = validator.push(bytes, at, Math.max(at, cut)) && ok;
          at = Math.max(at, cut);
        }
        expect(ok && validator.complete).toBe(valid(bytes));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (s) => {
        expect(isValidUtf8(enc.encode(s))).toBe(true);
      }),
    );
  });

  it("fails at the first byte that cannot start or continue a character, not at the end", () => {
    for (const bad of [[0xc0], [0xf5], [0xe0, 0x80], [0xed, 0xa0], [0xf4, 0x90], [0xf0, 0x80], [0xce, 0x41]]) {
      const validator = new Utf8Validator();
      expect(validator.push(Uint8Array.from(bad)), String(bad)).toBe(false);
    }
    const validator = new Utf8Validator();
    expect(validator.push(Uint8Array.of(0xf0, 0x9f))).toBe(true);
    expect(validator.complete).toBe(false);
    expect(validator.push(Uint8Array.of(0x98, 0x80))).toBe(true);
    expect(validator.complete).toBe(true);
  });
});

describe("the server's rules for client frames (RFC 6455 §5, §7.4.1)", () => {
  it("a masked text message in one frame, and fragmented with a ping between the fragments", () => {
    expect(run(frame(OPCODE.TEXT, "Hello")).events).toEqual([{ type: "message", text: true, data: "Hello", compressed: false }]);
    const input = concat([frame(OPCODE.TEXT, "Hel", { fin: false }), frame(OPCODE.PING, "p"), frame(OPCODE.CONTINUATION, "lo")]);
    const { events: got, sent } = run(input);
    expect(got).toEqual([
      { type: "ping", data: "p" },
      { type: "message", text: true, data: "Hello", compressed: false },
    ]);
    expect(sent).toBe("\x8a\x01p");
  });

  const failures: [string, Uint8Array, number][] = [
    ["an unmasked frame", frame(OPCODE.TEXT, "x", { masked: false }), 1002],
    ["RSV1 without an extension", frame(OPCODE.TEXT, "x", { rsv1: true }), 1002],
    ["RSV2", frame(OPCODE.BINARY, "x", { rsv2: true }), 1002],
    ["a reserved data opcode", frame(3, "x"), 1002],
    ["a reserved control opcode", frame(11, "x"), 1002],
    ["a fragmented ping", frame(OPCODE.PING, "x", { fin: false }), 1002],
    ["a ping of 126 bytes", frame(OPCODE.PING, new Uint8Array(126)), 1002],
    ["a continuation with nothing to continue", frame(OPCODE.CONTINUATION, "x"), 1002],
    ["a new message inside a fragmented one", concat([frame(OPCODE.TEXT, "a", { fin: false }), frame(OPCODE.TEXT, "b")]), 1002],
    ["invalid UTF-8 in a text frame", frame(OPCODE.TEXT, Uint8Array.of(0xce, 0xba, 0xff)), 1007],
    ["a text message cut inside a character", frame(OPCODE.TEXT, Uint8Array.of(0xce)), 1007],
    ["a close frame of 1 byte", frame(OPCODE.CLOSE, Uint8Array.of(3)), 1002],
    ["a close code that may not be sent (1005)", frame(OPCODE.CLOSE, Uint8Array.of(0x03, 0xed)), 1002],
    ["a close code above 4999", frame(OPCODE.CLOSE, Uint8Array.of(0x13, 0x88)), 1002],
    ["a close reason that is not UTF-8", frame(OPCODE.CLOSE, Uint8Array.of(0x03, 0xe8, 0xff)), 1007],
  ];
  for (const [name, input, code] of failures) {
    it(`${name} fails the connection with ${code} and a close frame carrying it`, () => {
      const { events: got, sent } = run(input);
      expect(got).toEqual([expect.objectContaining({ type: "failed", code })]);
      expect(sent[0]).toBe("\x88");
      expect(sent.slice(2, 4)).toBe(closeFrame(code).slice(2, 4));
    });
  }

  it("invalid UTF-8 fails as soon as the bad byte arrives, before the frame ends", () => {
    const conn = new WebSocketConnection();
    const bytes = frame(OPCODE.TEXT, Uint8Array.of(0x41, 0x42, 0xff, 0x43, 0x44, 0x45));
    conn.receiveData(bytes.slice(0, 2 + 4 + 3));
    expect(conn.nextEvent()).toMatchObject({ type: "failed", code: 1007 });
  });

  it("a message over maxPayload fails with 1009 at the frame header, compressed or not", () => {
    const conn = new WebSocketConnection({ maxPayload: 100 });
    conn.receiveData(frame(OPCODE.BINARY, new Uint8Array(101)).slice(0, 8));
    expect(conn.nextEvent()).toMatchObject({ type: "failed", code: 1009 });
    const fragments = concat([frame(OPCODE.BINARY, new Uint8Array(60), { fin: false }), frame(OPCODE.CONTINUATION, new Uint8Array(60))]);
    expect(run(fragments, { maxPayload: 100 }).events).toEqual([expect.objectContaining({ type: "failed", code: 1009 })]);
  });

  it("with permessage-deflate, RSV1 marks the first frame compressed; on a continuation or control frame it fails", () => {
    const input = concat([frame(OPCODE.TEXT, "ab", { fin: false, rsv1: true }), frame(OPCODE.CONTINUATION, "cd")]);
    expect(run(input, { compression: true }).events).toEqual([{ type: "message", text: true, data: "abcd", compressed: true }]);
    const bad = concat([frame(OPCODE.TEXT, "ab", { fin: false }), frame(OPCODE.CONTINUATION, "cd", { rsv1: true })]);
    expect(run(bad, { compression: true }).events).toEqual([expect.objectContaining({ type: "failed", code: 1002 })]);
    expect(run(frame(OPCODE.PING, "", { rsv1: true }), { compression: true }).events).toEqual([expect.objectContaining({ code: 1002 })]);
  });

  it("valid close codes are 1000–1003, 1007–1014, 3000–4999 (RFC 6455 §7.4)", () => {
    const valid = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999];
    const invalid = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535];
    for (const code of valid) expect(isValidCloseCode(code), String(code)).toBe(true);
    for (const code of invalid) expect(isValidCloseCode(code), String(code)).toBe(false);
  });
});

describe("the close handshake (RFC 6455 §5.5.1, §7)", () => {
  it("the peer's close is echoed with its code, and nothing after it is read", () => {
    const conn = new WebSocketConnection();
    conn.receiveData(concat([frame(OPCODE.CLOSE, Uint8Array.of(0x0f, 0xa0, 0x68, 0x69)), frame(OPCODE.TEXT, "late")]));
    expect(events(conn)).toEqual([{ type: "close", code: 4000, reason: "hi" }]);
    expect(text(concat([...conn.dataToSend()]))).toBe(closeFrame(4000));
    expect(conn.state).toBe("CLOSED");
    expect(conn.nextEvent()).toBe(NEED_DATA);
  });

  it("an empty close is answered with an empty close, and reported as 1005", () => {
    const { events: got, sent } = run(frame(OPCODE.CLOSE, ""));
    expect(got).toEqual([{ type: "close", code: CLOSE_CODE.NO_STATUS, reason: "" }]);
    expect(sent).toBe("\x88\x00");
  });

  it("our close first: CLOSING until the peer answers; no echo, no pong, and sending refused", () => {
    const conn = new WebSocketConnection();
    conn.close(1000, "bye");
    expect(conn.state).toBe("CLOSING");
    expect(text(concat([...conn.dataToSend()]))).toBe(closeFrame(1000, "bye"));
    expect(() => conn.send(enc.encode("x"), true)).toThrow(/closing/);
    conn.receiveData(concat([frame(OPCODE.PING, "p"), frame(OPCODE.CLOSE, Uint8Array.of(0x03, 0xe8))]));
    expect(events(conn)).toEqual([
      { type: "ping", data: "p" },
      { type: "close", code: 1000, reason: "" },
    ]);
    expect(conn.dataToSend()).toEqual([]);
    expect(conn.state).toBe("CLOSED");
  });

  it("EOF without a close is reported as ended; a close code that may not be sent is refused", () => {
    const conn = new WebSocketConnection();
    conn.receiveData(frame(OPCODE.TEXT, "x").slice(0, 3));
    conn.receiveEOF();
    expect(conn.nextEvent()).toEqual({ type: "ended" });
    expect(() => new WebSocketConnection().close(1005)).toThrow(/may not be sent/);
    expect(() => new WebSocketConnection().close(1000, "x".repeat(124))).toThrow(/123 bytes/);
  });
});

describe("any split of the input gives the same events (the sans-IO invariant)", () => {
  const message = fc.oneof(
    fc.string({ maxLength: 300, unit: "grapheme" }).map((s) => ({ op: OPCODE.TEXT, data: enc.encode(s) })),
    fc.uint8Array({ maxLength: 300 }).map((b) => ({ op: OPCODE.BINARY, data: b })),
    fc.uint8Array({ maxLength: 125 }).map((b) => ({ op: OPCODE.PING, data: b })),
    fc.uint8Array({ maxLength: 3 }).map((b) => ({ op: 0xff, data: b })),
  );
  /** A stream of frames: messages (fragmented at random), pings, and at times a broken byte. */
  const stream = fc.tuple(
    fc.array(fc.tuple(message, fc.nat(4), fc.uint8Array({ minLength: 4, maxLength: 4 })), { maxLength: 8 }),
    fc.boolean(),
  );

  it("whole, byte by byte, and at random cuts", () => {
    fc.assert(
      fc.property(stream, fc.array(fc.nat(4000), { maxLength: 10 }), ([items, close], cuts) => {
        const parts: Uint8Array[] = [];
        for (const [{ op, data }, pieces, mask] of items) {
          if (op === 0xff) {
            parts.push(data);
            continue;
          }
          if (op === OPCODE.PING || pieces === 0) {
            parts.push(frame(op, data, { mask: [...mask] }));
            continue;
          }
          const size = Math.ceil(data.length / pieces) || 1;
          for (let at = 0, first = true; first || at < data.length; at += size, first = false) {
            const last = at + size >= data.length;
            parts.push(frame(first ? op : OPCODE.CONTINUATION, data.subarray(at, at + size), { fin: last, mask: [...mask] }));
          }
        }
        if (close) parts.push(frame(OPCODE.CLOSE, Uint8Array.of(0x03, 0xe8)));
        const input = concat(parts);
        const whole = run(input);
        const feed = (pieces: Uint8Array[]) => {
          const conn = new WebSocketConnection();
          const got: unknown[] = [];
          for (const piece of pieces) {
            conn.receiveData(piece.slice());
            got.push(...events(conn));
          }
          return { events: got, sent: text(concat([...conn.dataToSend()])) };
        };
        expect(feed(Array.from(input, (b) => Uint8Array.of(b)))).toEqual(whole);
        const points = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b);
        const pieces: Uint8Array[] = [];
        let at = 0;
        for (const p of [...points, input.length]) {
          pieces.push(input.subarray(at, p));
          at = p;
        }
        expect(feed(pieces)).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });
});

describe("the opening handshake (RFC 6455 §4.2)", () => {
  const request = (fields: Record<string, string>, method = "GET", version: [number, number] = [1, 1]): HandshakeRequest => ({
    method,
    version,
    getAll: (name) => Object.entries(fields).flatMap(([k, v]) => (k.toLowerCase() === name ? [v] : [])),
  });
  const good = {
    Host: "h",
    Upgrade: "websocket",
    Connection: "keep-alive, Upgrade",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
  };

  it("Sec-WebSocket-Accept is the RFC's example", () => {
    expect(acceptValue("dGhlIHNhbXBsZSBub25jZQ==", (d) => createHash("sha1").update(d).digest())).toBe("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    expect(encodeBase64(Uint8Array.of(1, 2, 3, 4))).toBe(Buffer.from([1, 2, 3, 4]).toString("base64"));
  });

  it("accepts a valid handshake; picks the first of our subprotocols the client offered", () => {
    const accepted = checkHandshake(request({ ...good, "Sec-WebSocket-Protocol": "chat, superchat" }), { protocol: ["superchat", "chat"] });
    expect(accepted).toMatchObject({ key: good["Sec-WebSocket-Key"], protocol: "superchat", deflate: null, extensions: "" });
    expect(checkHandshake(request(good), { protocol: "chat" })).toMatchObject({ protocol: "" });
  });

  const refusals: [string, HandshakeRequest, number][] = [
    ["a POST", request(good, "POST"), 400],
    ["HTTP/1.0", request(good, "GET", [1, 0]), 400],
    ["no Host", request({ ...good, Host: undefined as never }), 400],
    ["Upgrade without websocket", request({ ...good, Upgrade: "h2c" }), 400],
    ["Connection without upgrade", request({ ...good, Connection: "keep-alive" }), 400],
    ["version 8", request({ ...good, "Sec-WebSocket-Version": "8" }), 426],
    ["a key of 15 bytes", request({ ...good, "Sec-WebSocket-Key": "AAAAAAAAAAAAAAAAAAAA" }), 400],
    ["no key", request({ ...good, "Sec-WebSocket-Key": undefined as never }), 400],
  ];
  for (const [name, req, status] of refusals) {
    it(`${name} is refused with ${status}`, () => {
      const refused = checkHandshake({ ...req, getAll: (n) => req.getAll(n).filter((v) => v !== undefined) });
      expect(refused).toBeInstanceOf(ProtocolError);
      expect((refused as ProtocolError).status).toBe(status);
      if (status === 426) expect((refused as ProtocolError).fields).toEqual([["Sec-WebSocket-Version", "13"]]);
    });
  }
});

describe("permessage-deflate's negotiation (RFC 7692 §5, §7.1)", () => {
  const accept = (offer: string, options = {}) => acceptPerMessageDeflate(parseExtensionOffers([offer]), options);

  it("a plain offer is accepted as it is; client_max_window_bits without a value is not answered", () => {
    expect(accept("permessage-deflate")?.response).toBe("permessage-deflate");
    expect(accept("permessage-deflate; client_max_window_bits")).toMatchObject({ response: "permessage-deflate", clientMaxWindowBits: 15 });
  });

  it("context takeover and window bits asked by the client are honoured", () => {
    const params = accept(
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12",
    );
    expect(params).toEqual({
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      serverMaxWindowBits: 10,
      clientMaxWindowBits: 12,
      response:
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12",
    });
  });

  it("the server's own limits are added where the RFC lets it", () => {
    expect(
      accept("permessage-deflate; client_max_window_bits", {
        serverMaxWindowBits: 11,
        clientMaxWindowBits: 9,
        serverNoContextTakeover: true,
      })?.response,
    ).toBe("permessage-deflate; server_no_context_takeover; server_max_window_bits=11; client_max_window_bits=9");
    expect(accept("permessage-deflate", { clientMaxWindowBits: 9 })?.response).toBe("permessage-deflate");
  });

  it("an offer with an unknown, repeated or invalid parameter is declined, and the next one taken", () => {
    expect(accept("permessage-deflate; x=1")).toBeNull();
    expect(accept("permessage-deflate; server_max_window_bits=16")).toBeNull();
    expect(accept("permessage-deflate; server_max_window_bits")).toBeNull();
    expect(accept("permessage-deflate; server_no_context_takeover; server_no_context_takeover")).toBeNull();
    expect(accept("permessage-deflate; server_max_window_bits=8")).toBeNull();
    expect(
      accept("x-webkit-deflate-frame, permessage-deflate; server_max_window_bits=8, permessage-deflate; server_max_window_bits=9")
        ?.response,
    ).toBe("permessage-deflate; server_max_window_bits=9");
    expect(accept('permessage-deflate; client_max_window_bits="10"')?.clientMaxWindowBits).toBe(10);
  });
});
