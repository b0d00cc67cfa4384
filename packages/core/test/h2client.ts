/**
 * A hand-made HTTP/2 client for the sans-IO connection's tests: builds frames byte by byte (so
 * that it can build wrong ones) and reads the server's frames back, field blocks decoded.
 */
import { H2Connection, type H2ConnectionOptions } from "../src/h2/connection.js";
import type { H2Event } from "../src/h2/events.js";
import { FLAG, FRAME, PREFACE, parseFrameHeader, readUint31, readUint32, writeFrameHeader } from "../src/h2/frames.js";
import { HpackDecoder, HpackEncoder } from "../src/h2/hpack.js";
import { concat } from "./helpers.js";

/** A frame the server sent; `fields` for HEADERS/CONTINUATION blocks once complete. */
export interface SentFrame {
  type: number;
  flags: number;
  streamId: number;
  payload: Uint8Array;
  fields?: string[];
  /** RST_STREAM and GOAWAY: the error code. */
  code?: number;
}

export const GET = [":method", "GET", ":scheme", "https", ":path", "/", ":authority", "example.com"];
export const POST = [":method", "POST", ":scheme", "https", ":path", "/", ":authority", "example.com"];

/** A raw frame. */
export function raw(type: number, flags: number, streamId: number, payload: Uint8Array | number[] = []): Uint8Array {
  const body = payload instanceof Uint8Array ? payload : Uint8Array.from(payload);
  const out = new Uint8Array(9 + body.length);
  writeFrameHeader(out, 0, body.length, type, flags, streamId);
  out.set(body, 9);
  return out;
}

export function u32(value: number): number[] {
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
}

export function settings(entries: [number, number][] = []): Uint8Array {
  return raw(
    FRAME.SETTINGS,
    0,
    0,
    entries.flatMap(([id, v]) => [id >> 8, id & 0xff, ...u32(v)]),
  );
}

/** The client: its HPACK encoder, the server connection it talks to, what came back. */
export class TestClient {
  readonly server: H2Connection;
  readonly encoder = new HpackEncoder();
  readonly decoder = new HpackDecoder();
  events: H2Event[] = [];
  frames: SentFrame[] = [];
  now = 0;
  #pending = new Uint8Array(0);
  #block: SentFrame | null = null;
  #blockBytes: Uint8Array[] = [];

  constructor(options: H2ConnectionOptions = {}) {
    this.server = new H2Connection(options);
    this.server.initiate();
  }

  /** Preface and SETTINGS, then the server's SETTINGS acknowledged. */
  handshake(entries: [number, number][] = []): this {
    this.send(concat([PREFACE, settings(entries)]));
    this.send(raw(FRAME.SETTINGS, FLAG.ACK, 0));
    return this;
  }

  block(fields: string[]): Uint8Array {
    return this.encoder.encode(fields);
  }

  headers(streamId: number, fields: string[], flags: number = FLAG.END_HEADERS | FLAG.END_STREAM): Uint8Array {
    return raw(FRAME.HEADERS, flags, streamId, this.block(fields));
  }

  data(streamId: number, body: string | Uint8Array, flags: number = FLAG.END_STREAM): Uint8Array {
    return raw(FRAME.DATA, flags, streamId, typeof body === "string" ? new TextEncoder().encode(body) : body);
  }

  /** Feeds bytes to the server and reads what it sends; returns the events. */
  send(...chunks: Uint8Array[]): H2Event[] {
    const events: H2Event[] = [];
    for (const chunk of chunks) events.push(...this.server.receiveData(chunk, this.now));
    this.events.push(...events);
    this.read();
    return events;
  }

  /** Reads the server's output into {@link frames}. */
  read(): SentFrame[] {
    const out = this.server.dataToSend(1 << 30);
    const got: SentFrame[] = [];
    if (out === null) return got;
    let buffer = concat([this.#pending, out]);
    while (buffer.length >= 9) {
      const header = parseFrameHeader(buffer, 0);
      if (buffer.length < 9 + header.length) break;
      const frame: SentFrame = {
        type: header.type,
        flags: header.flags,
        streamId: header.streamId,
        payload: buffer.slice(9, 9 + header.length),
      };
      buffer = buffer.subarray(9 + header.length);
      if (frame.type === FRAME.RST_STREAM) frame.code = readUint32(frame.payload, 0);
      if (frame.type === FRAME.GOAWAY) frame.code = readUint32(frame.payload, 4);
      if (frame.type === FRAME.HEADERS) {
        this.#block = frame;
        this.#blockBytes = [frame.payload];
      } else if (frame.type === FRAME.CONTINUATION) this.#blockBytes.push(frame.payload);
      if ((frame.type === FRAME.HEADERS || frame.type === FRAME.CONTINUATION) && frame.flags & FLAG.END_HEADERS) {
        this.#block!.fields = this.decoder.decode(concat(this.#blockBytes), 1 << 20, 1000).fields;
      }
      if (frame.type !== FRAME.CONTINUATION) got.push(frame);
    }
    this.#pending = buffer.slice();
    this.frames.push(...got);
    return got;
  }

  /** The frames of one type sent so far. */
  sent(type: number): SentFrame[] {
    return this.frames.filter((f) => f.type === type);
  }

  /** The GOAWAY sent, if any: `[lastStreamId, code]`. */
  goaway(): [number, number] | null {
    const frame = this.sent(FRAME.GOAWAY).at(-1);
    return frame === undefined ? null : [readUint31(frame.payload, 0), frame.code!];
  }

  /** The RST_STREAM codes sent for a stream. */
  resets(streamId: number): number[] {
    return this.sent(FRAME.RST_STREAM)
      .filter((f) => f.streamId === streamId)
      .map((f) => f.code!);
  }
}
