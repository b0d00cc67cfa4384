/**
 * WebSocket frames (RFC 6455 §5.2): the frame header read out of the received bytes (a
 * {@link ByteQueue}), the mask applied in place, and the header of a frame to send.
 * @module
 */

import type { ByteQueue } from "../http/bytequeue.ts";

/** Frame opcodes (RFC 6455 §5.2, §11.8). */
export const OPCODE = Object.freeze({ CONTINUATION: 0x0, TEXT: 0x1, BINARY: 0x2, CLOSE: 0x8, PING: 0x9, PONG: 0xa });

/** The largest payload of a control frame (RFC 6455 §5.5). */
export const MAX_CONTROL_PAYLOAD = 125;

/** A frame header as received. */
export interface FrameHeader {
  readonly fin: boolean;
  /** RSV1: on the first frame of a message, "compressed" under permessage-deflate (RFC 7692 §6). */
  readonly rsv1: boolean;
  /** RSV2 and RSV3, either set (no extension defines them here). */
  readonly rsv23: boolean;
  readonly opcode: number;
  readonly masked: boolean;
  /** Payload length in bytes (up to 2^53 − 1; a 64-bit length with its top bit set is refused). */
  readonly length: number;
  /** The masking key, 4 bytes (zeros when not masked). */
  readonly mask: Uint8Array;
}

/**
 * Reads a frame header from the front of `queue` and consumes it: `null` while it has not all
 * arrived; a string naming what is wrong with it when it can never be valid (a 64-bit length with
 * the top bit set, or one beyond 2^53 − 1).
 */
export function readFrameHeader(queue: ByteQueue): FrameHeader | string | null {
  if (queue.length < 2) return null;
  const b0 = queue.peek(0);
  const b1 = queue.peek(1);
  const masked = (b1 & 0x80) !== 0;
  const short = b1 & 0x7f;
  const extended = short === 126 ? 2 : short === 127 ? 8 : 0;
  const size = 2 + extended + (masked ? 4 : 0);
  if (queue.length < size) return null;
  let length = short;
  if (extended === 2) length = (queue.peek(2) << 8) | queue.peek(3);
  else if (extended === 8) {
    const high = queue.peek(2) * 2 ** 24 + ((queue.peek(3) << 16) | (queue.peek(4) << 8) | queue.peek(5));
    if (high >= 2 ** 31) return "a 64-bit payload length must have its most significant bit clear (RFC 6455 §5.2)";
    if (high >= 2 ** 21) return "payload length beyond 2^53 - 1";
    length = high * 2 ** 32 + (queue.peek(6) * 2 ** 24 + ((queue.peek(7) << 16) | (queue.peek(8) << 8) | queue.peek(9)));
  }
  const head = queue.take(size);
  const mask = masked ? head.slice(size - 4, size) : ZERO_MASK;
  return {
    fin: (b0 & 0x80) !== 0,
    rsv1: (b0 & 0x40) !== 0,
    rsv23: (b0 & 0x30) !== 0,
    opcode: b0 & 0x0f,
    masked,
    length,
    mask,
  };
}

const ZERO_MASK = new Uint8Array(4);

/** The platform stores a `Uint32Array`'s words least significant byte first (every runtime's CPUs do). */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * Unmasks `data` in place (RFC 6455 §5.3): byte `i` is XORed with `mask[(offset + i) % 4]`, where
 * `offset` is how many payload bytes came before `data` in the frame. Four bytes at a time where
 * the array is aligned.
 */
export function applyMask(data: Uint8Array, mask: Uint8Array, offset: number): void {
  const n = data.length;
  let i = 0;
  if (n >= 32 && LITTLE_ENDIAN) {
    const lead = (4 - (data.byteOffset & 3)) & 3;
    for (; i < lead; i++) data[i] ^= mask[(offset + i) & 3];
    const k = offset + i;
    const word = (mask[k & 3] | (mask[(k + 1) & 3] << 8) | (mask[(k + 2) & 3] << 16) | (mask[(k + 3) & 3] << 24)) >>> 0;
    const words = (n - i) >>> 2;
    const view = new Uint32Array(data.buffer, data.byteOffset + i, words);
    for (let w = 0; w < words; w++) view[w] ^= word;
    i += words * 4;
  }
  for (; i < n; i++) data[i] ^= mask[(offset + i) & 3];
}

/**
 * The header of an unmasked frame (a server's, RFC 6455 §5.1) with `fin` set, RSV1 when
 * `compressed`, and the shortest length encoding (§5.2).
 */
export function encodeFrameHeader(opcode: number, length: number, compressed: boolean): Uint8Array {
  const b0 = 0x80 | (compressed ? 0x40 : 0) | opcode;
  if (length < 126) return Uint8Array.of(b0, length);
  if (length < 0x10000) return Uint8Array.of(b0, 126, length >>> 8, length & 0xff);
  const high = Math.floor(length / 2 ** 32);
  const low = length >>> 0;
  return Uint8Array.of(b0, 127, 0, 0, (high >>> 8) & 0xff, high & 0xff, low >>> 24, (low >>> 16) & 0xff, (low >>> 8) & 0xff, low & 0xff);
}
