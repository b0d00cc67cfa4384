/**
 * A raw WebSocket client for the tests: the opening handshake over a {@link RawSession}, masked
 * client frames built byte by byte, and the server's frames read back (RFC 6455 §5.2).
 */
import { createHash, randomBytes } from "node:crypto";
import { RawSession } from "./clients.js";

export const OP = { CONT: 0, TEXT: 1, BINARY: 2, CLOSE: 8, PING: 9, PONG: 10 } as const;

/** `Sec-WebSocket-Accept` for `key` (RFC 6455 §4.2.2), computed here independently of the server. */
export function acceptFor(key: string): string {
  return createHash("sha1")
    .update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
    .digest("base64");
}

/** Length of the response head in `buf` (through its empty line), or `null`. */
export function headLength(buf: Buffer): number | null {
  const end = buf.indexOf("\r\n\r\n");
  return end < 0 ? null : end + 4;
}

/**
 * Opens a connection, sends a handshake for `path` (with `fields` added) and reads the answer's
 * head. The session is left after the head: what follows is frames.
 */
export async function handshake(
  port: number,
  path: string,
  fields: Record<string, string> = {},
): Promise<{ session: RawSession; head: string; key: string }> {
  const key = randomBytes(16).toString("base64");
  const session = await RawSession.open(port);
  const all: Record<string, string> = {
    Host: `127.0.0.1:${port}`,
    Upgrade: "websocket",
    Connection: "Upgrade",
    "Sec-WebSocket-Key": key,
    "Sec-WebSocket-Version": "13",
    ...fields,
  };
  const lines = Object.entries(all)
    .filter(([, v]) => v !== "")
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("");
  session.send(`GET ${path} HTTP/1.1\r\n${lines}\r\n`);
  const head = (await session.take(headLength)).toString("latin1");
  return { session, head, key };
}

/** A client frame, masked (unless `masked` is false). */
export function clientFrame(
  opcode: number,
  payload: Buffer | string = Buffer.alloc(0),
  options: { fin?: boolean; rsv?: number; masked?: boolean } = {},
): Buffer {
  const data = typeof payload === "string" ? Buffer.from(payload) : payload;
  const masked = options.masked ?? true;
  const b0 = ((options.fin ?? true) ? 0x80 : 0) | ((options.rsv ?? 0) << 4) | opcode;
  let head: Buffer;
  if (data.length < 126) head = Buffer.from([b0, (masked ? 0x80 : 0) | data.length]);
  else if (data.length < 65536) head = Buffer.from([b0, (masked ? 0x80 : 0) | 126, data.length >> 8, data.length & 0xff]);
  else {
    head = Buffer.alloc(10);
    head[0] = b0;
    head[1] = (masked ? 0x80 : 0) | 127;
    head.writeBigUInt64BE(BigInt(data.length), 2);
  }
  if (!masked) return Buffer.concat([head, data]);
  const mask = randomBytes(4);
  const body = Buffer.from(data);
  for (let i = 0; i < body.length; i++) body[i] ^= mask[i & 3];
  return Buffer.concat([head, mask, body]);
}

/** A close frame's payload: the code, then the reason. */
export function closePayload(code: number, reason = ""): Buffer {
  const out = Buffer.alloc(2 + Buffer.byteLength(reason));
  out.writeUInt16BE(code, 0);
  out.write(reason, 2);
  return out;
}

/** A frame from the server. */
export interface ServerFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  payload: Buffer;
  /** For a close frame: its code (1005 when none) and reason. */
  code?: number;
  reason?: string;
}

/** The frame at the start of `buf` (server frames are not masked; a mask is skipped), or `null` until whole. */
export function parseServerFrame(buf: Buffer): (ServerFrame & { size: number }) | null {
  if (buf.length < 2) return null;
  let length = buf[1] & 0x7f;
  let at = 2;
  if (length === 126) {
    if (buf.length < 4) return null;
    length = buf.readUInt16BE(2);
    at = 4;
  } else if (length === 127) {
    if (buf.length < 10) return null;
    length = Number(buf.readBigUInt64BE(2));
    at = 10;
  }
  const masked = (buf[1] & 0x80) !== 0;
  if (masked) at += 4;
  if (buf.length < at + length) return null;
  return {
    fin: (buf[0] & 0x80) !== 0,
    rsv: (buf[0] >> 4) & 7,
    opcode: buf[0] & 0x0f,
    masked,
    payload: buf.subarray(at, at + length),
    size: at + length,
  };
}

/** Reads the next whole frame the server sent. */
export async function readFrame(session: RawSession, timeoutMs = 5000): Promise<ServerFrame> {
  const raw = await session.take((buf) => parseServerFrame(buf)?.size ?? null, timeoutMs);
  const { size: _, ...frame } = parseServerFrame(raw)!;
  if (frame.opcode === OP.CLOSE) {
    frame.code = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
    frame.reason = frame.payload.subarray(2).toString("utf8");
  }
  return frame;
}
