/**
 * Reading HTTP/2 frame payloads that carry more than their content: padding (RFC 9113 §6.1,
 * §6.2), HEADERS' priority fields (§6.2), and a field block split over HEADERS and CONTINUATION
 * frames (§6.10), capped in frames and bytes before it is complete (the CONTINUATION flood,
 * CVE-2024-27316 class).
 * @module
 */

import { ConnectionError, ERROR_CODE, FLAG, readUint31, type FrameHeader } from "./frames.ts";
import { concatBytes } from "../http/chars.ts";

/**
 * A frame's payload without its padding.
 * @throws {ConnectionError} PROTOCOL_ERROR when the padding is as long as the payload or longer;
 *   FRAME_SIZE_ERROR when the pad length itself is missing.
 */
export function unpad(header: FrameHeader, payload: Uint8Array): Uint8Array {
  if ((header.flags & FLAG.PADDED) === 0) return payload;
  if (payload.length < 1) throw new ConnectionError(ERROR_CODE.FRAME_SIZE_ERROR, "a padded frame without its pad length");
  const pad = payload[0];
  if (pad >= payload.length) throw new ConnectionError(ERROR_CODE.PROTOCOL_ERROR, "padding as long as the payload");
  return payload.subarray(1, payload.length - pad);
}

/** A complete field block and what its HEADERS frame said. */
export interface FieldBlock {
  readonly streamId: number;
  readonly endStream: boolean;
  /** The HEADERS frame made the stream depend on itself (RFC 9113 §5.3.1: a stream error). */
  readonly selfDependent: boolean;
  readonly bytes: Uint8Array;
}

/** Assembles field blocks from HEADERS and CONTINUATION frames. */
export class FieldBlockReader {
  #pending: { head: Omit<FieldBlock, "bytes">; fragments: Uint8Array[]; size: number } | null = null;

  /**
   * @param maxContinuations the most CONTINUATION frames after one HEADERS.
   * @param maxBytes the most bytes of one block.
   */
  constructor(
    readonly maxContinuations: number,
    readonly maxBytes: number,
  ) {}

  /** True while a block waits for CONTINUATION frames (no other frame may come, §6.10). */
  get pending(): boolean {
    return this.#pending !== null;
  }

  /** A HEADERS frame: the complete block, or `null` while CONTINUATION frames must follow. */
  headers(header: FrameHeader, payload: Uint8Array): FieldBlock | null {
    let fragment = unpad(header, payload);
    let selfDependent = false;
    if ((header.flags & FLAG.PRIORITY) !== 0) {
      if (fragment.length < 5) throw new ConnectionError(ERROR_CODE.FRAME_SIZE_ERROR, "HEADERS too short for its priority");
      selfDependent = readUint31(fragment, 0) === header.streamId;
      fragment = fragment.subarray(5);
    }
    const head = { streamId: header.streamId, endStream: (header.flags & FLAG.END_STREAM) !== 0, selfDependent };
    if ((header.flags & FLAG.END_HEADERS) !== 0) return { ...head, bytes: fragment };
    this.#pending = { head, fragments: [fragment], size: fragment.length };
    return null;
  }

  /**
   * A CONTINUATION frame: the complete block, or `null` while more must follow.
   * @throws {ConnectionError} PROTOCOL_ERROR without a block on its stream; ENHANCE_YOUR_CALM
   *   past the caps.
   */
  continuation(header: FrameHeader, payload: Uint8Array): FieldBlock | null {
    const pending = this.#pending;
    if (pending === null || header.streamId !== pending.head.streamId) {
      throw new ConnectionError(ERROR_CODE.PROTOCOL_ERROR, "CONTINUATION without a header block on its stream");
    }
    pending.fragments.push(payload);
    pending.size += payload.length;
    if (pending.fragments.length > this.maxContinuations + 1 || pending.size > this.maxBytes) {
      throw new ConnectionError(ERROR_CODE.ENHANCE_YOUR_CALM, "a header block of too many frames or bytes");
    }
    if ((header.flags & FLAG.END_HEADERS) === 0) return null;
    this.#pending = null;
    return { ...pending.head, bytes: concatBytes(pending.fragments, pending.size) };
  }
}
