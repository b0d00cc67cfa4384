/**
 * The server side of a WebSocket connection after its opening handshake, as a sans-IO state
 * machine after python-hyper/wsproto: feed it the bytes received and pull events; tell it what to
 * send and write the bytes it queues. No I/O, no timers, no promises.
 *
 * ## Theory of operation
 *
 * Received bytes go into a {@link ByteQueue}. {@link WebSocketConnection.nextEvent} reads a frame
 * header from it, checks it (RFC 6455 §5.2–§5.5), then takes the payload as it arrives,
 * unmasking it in place: a data frame's bytes join the message being assembled (text checked as
 * UTF-8 piece by piece, so invalid text fails at the first bad byte), a control frame is handled
 * whole. A complete message, a ping, a pong or the peer's close is an event; a ping is answered
 * with a pong, and the peer's close with a close (§5.5.1), queued for {@link dataToSend}.
 *
 * The connection is `OPEN`, then `CLOSING` once we sent a close and wait for the peer's, then
 * `CLOSED` once both closes were exchanged, the peer broke the protocol (we queue a close with
 * 1002, 1007 or 1009, §7.4.1, and report a `failed` event), or the TCP stream ended. Every state
 * change happens in `#fail`, `#closeReceived`, `close` and `receiveEOF`.
 *
 * A message compressed under permessage-deflate (RSV1 on its first frame, RFC 7692 §6) is handed
 * out as it came, with `compressed` set: decompressing it (and checking its UTF-8) is the
 * caller's, whose codec may be asynchronous; {@link WebSocketConnection.fail} reports the outcome.
 * @module
 */

import { LocalProtocolError } from "../http/errors.ts";
import { concatBytes, utf8Decode, utf8Encode } from "../http/chars.ts";
import { ByteQueue } from "../http/bytequeue.ts";
import { MAX_CONTROL_PAYLOAD, OPCODE, type FrameHeader, applyMask, encodeFrameHeader, readFrameHeader } from "./frames.ts";
import { Utf8Validator, isValidUtf8 } from "./utf8.ts";

/** Close codes of RFC 6455 §7.4.1 used here. */
export const CLOSE_CODE = Object.freeze({
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  /** Reported, never sent: the close frame carried no code. */
  NO_STATUS: 1005,
  /** Reported, never sent: the connection ended without a close frame. */
  ABNORMAL: 1006,
  INVALID_PAYLOAD: 1007,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
});

/**
 * True for a code an endpoint may send in a close frame (RFC 6455 §7.4): 1000–1003, 1007–1014
 * (the IANA registry), and 3000–4999 (registered and private use).
 */
export function isValidCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

/** A whole message from the peer (its fragments joined). */
export interface MessageEvent {
  readonly type: "message";
  /** A text message (opcode 1; its bytes are UTF-8) rather than binary (opcode 2). */
  readonly text: boolean;
  /** The payload; still compressed when {@link compressed}. */
  readonly data: Uint8Array;
  /** Compressed with permessage-deflate: the caller decompresses it (and checks its UTF-8). */
  readonly compressed: boolean;
}

/** A ping from the peer; the pong is queued already. */
export interface PingEvent {
  readonly type: "ping";
  readonly data: Uint8Array;
}

/** A pong from the peer (an answer to our ping, or unsolicited). */
export interface PongEvent {
  readonly type: "pong";
  readonly data: Uint8Array;
}

/** The peer's close frame; ours answering it is queued unless we had sent one. */
export interface CloseEvent {
  readonly type: "close";
  /** Its status code, 1005 when it carried none. */
  readonly code: number;
  readonly reason: string;
}

/** The peer broke the protocol: a close frame with {@link code} is queued, and nothing more is read. */
export interface FailedEvent {
  readonly type: "failed";
  /** 1002 (protocol error), 1007 (invalid UTF-8) or 1009 (message too big). */
  readonly code: number;
  /** What was wrong, for the log (also the close frame's reason). */
  readonly reason: string;
}

/** The TCP stream ended without the close handshake completing. */
export interface EndedEvent {
  readonly type: "ended";
}

/** More bytes are needed. */
export const NEED_DATA = Object.freeze({ type: "need-data" as const });

/** What {@link WebSocketConnection.nextEvent} returns. */
export type WebSocketEvent = MessageEvent | PingEvent | PongEvent | CloseEvent | FailedEvent | EndedEvent | typeof NEED_DATA;

/** State of a {@link WebSocketConnection}. */
export type WebSocketState = "OPEN" | "CLOSING" | "CLOSED";

/** Settings of a {@link WebSocketConnection}. */
export interface WebSocketConnectionOptions {
  /** The largest message accepted, in bytes, compressed or not (default 16 MiB); larger fails with 1009. */
  maxPayload?: number;
  /** permessage-deflate was negotiated: RSV1 may mark a message compressed (RFC 7692 §6). */
  compression?: boolean;
}

const ENDED: EndedEvent = Object.freeze({ type: "ended" });

/** The server role of one WebSocket connection (RFC 6455 §5–§7). */
export class WebSocketConnection {
  readonly #input = new ByteQueue();
  readonly #out: Uint8Array[] = [];
  readonly #maxPayload: number;
  readonly #compression: boolean;
  #state: WebSocketState = "OPEN";
  #eof = false;
  #closeSent = false;

  /** The frame being read, and how many of its payload bytes are still to come. */
  #frame: FrameHeader | null = null;
  #remaining = 0;
  /** The message being assembled: its opcode (0: none), compression, parts and size. */
  #opcode = 0;
  #compressed = false;
  #parts: Uint8Array[] = [];
  #size = 0;
  /**
   * A binary message in one frame is unmasked into an array of its own, allocated at its header:
   * the caller can hand its buffer over (an `ArrayBuffer` for `MessageEvent.data`) without a copy.
   */
  #whole: Uint8Array | null = null;
  readonly #utf8 = new Utf8Validator();

  constructor(options: WebSocketConnectionOptions = {}) {
    this.#maxPayload = options.maxPayload ?? 16 * 1024 * 1024;
    this.#compression = options.compression ?? false;
  }

  /** `OPEN`, `CLOSING` (our close sent, the peer's awaited) or `CLOSED`. */
  get state(): WebSocketState {
    return this.#state;
  }

  /** True once a close frame of ours is queued. */
  get closeSent(): boolean {
    return this.#closeSent;
  }

  /** Adds received bytes (kept, not copied: unmasked in place). Ignored once `CLOSED`. */
  receiveData(data: Uint8Array): void {
    if (this.#state !== "CLOSED") this.#input.push(data);
  }

  /** Records that the TCP stream ended. */
  receiveEOF(): void {
    this.#eof = true;
  }

  /** The bytes queued to send (frames, in order), taken. */
  dataToSend(): readonly Uint8Array[] {
    return this.#out.length === 0 ? NOTHING : this.#out.splice(0);
  }

  /** The next event, or {@link NEED_DATA}. */
  nextEvent(): WebSocketEvent {
    for (;;) {
      if (this.#state === "CLOSED") return this.#eof ? ENDED : NEED_DATA;
      let frame = this.#frame;
      if (frame === null) {
        const header = readFrameHeader(this.#input);
        if (header === null) return this.#eof ? this.#ended() : NEED_DATA;
        if (typeof header === "string") return this.#fail(CLOSE_CODE.PROTOCOL_ERROR, header);
        const problem = this.#check(header);
        if (problem !== null) return problem;
        frame = this.#frame = header;
        this.#remaining = header.length;
      }
      if (frame.opcode >= OPCODE.CLOSE) {
        const event = this.#readControl(frame);
        return event ?? (this.#eof ? this.#ended() : NEED_DATA);
      }
      const event = this.#readData(frame);
      if (event === null) return this.#eof ? this.#ended() : NEED_DATA;
      if (event !== undefined) return event;
    }
  }

  /** Checks a frame header against the rules of RFC 6455 §5 and the message in progress. */
  #check(header: FrameHeader): FailedEvent | null {
    const { opcode } = header;
    if (!header.masked) return this.#fail(CLOSE_CODE.PROTOCOL_ERROR, "a client frame must be masked (RFC 6455 §5.1)");
    if (header.rsv23)
      return this.#fail(CLOSE_CODE.PROTOCOL_ERROR, "RSV2 and RSV3 must be 0 without an extension defining them (RFC 6455 §5.2)");
    if (opcode >= OPCODE.CLOSE) {
      if (opcode > OPCODE.PONG) return this.#fail(CLOSE_CODE.PROTOCOL_ERROR, `reserved control opcode ${opcode} (RFC 6455 §5.2)`);
      if (!header.fin) return this.#fail(CLOSE_CODE.PROTOCOL_ERROR, "a control frame must not be fragmented (RFC 6455 §5.5)");
      if (header.length > MAX_CONTROL_PAYLOAD) {
        return this.#fail(CLOSE_CODE.PROTOCOL_ERROR, "a control frame's payload must be at most 125 bytes (RFC 6455 §5.5)");
      }
      if (header.rsv1) return this.#fail(CLOSE_CODE.PROTOCOL_ERROR, "RSV1 must be 0 on a control frame (RFC 7692 §6.1)");
      return null;
    }
    if (opcode > OPCODE.BINARY) return this.#fail(CLOSE_CODE.PROTOCOL_ERROR, `reserved data opcode ${opcode} (RFC 6455 §5.2)`);
    if (opcode === OPCODE.CONTINUATION) {
      if (this.#opcode === 0)
        return this.#fail(CLOSE_CODE.PROTOCOL_ERROR, "a continuation frame without a message to continue (RFC 6455 §5.4)");
      if (header.rsv1) return this.#fail(CLOSE_CODE.PROTOCOL_ERROR, "RSV1 must be 0 on a continuation frame (RFC 7692 §6.1)");
    } else {
      if (this.#opcode !== 0) return this.#fail(CLOSE_CODE.PROTOCOL_ERROR, "a new message before the previous one ended (RFC 6455 §5.4)");
      if (header.rsv1 && !this.#compression) {
        return this.#fail(CLOSE_CODE.PROTOCOL_ERROR, "RSV1 must be 0 without a negotiated extension (RFC 6455 §5.2)");
      }
      this.#opcode = opcode;
      this.#compressed = header.rsv1;
      this.#parts = [];
      this.#size = 0;
      this.#utf8.reset();
    }
    if (this.#size + header.length > this.#maxPayload) {
      return this.#fail(CLOSE_CODE.MESSAGE_TOO_BIG, `message larger than ${this.#maxPayload} bytes`);
    }
    this.#whole = header.fin && opcode === OPCODE.BINARY && header.length > 0 ? new Uint8Array(header.length) : null;
    return null;
  }

  /**
   * Takes what has arrived of a data frame's payload. Returns the message once its last frame is
   * whole, `undefined` when the frame is whole but the message goes on, `null` for more bytes.
   */
  #readData(frame: FrameHeader): MessageEvent | FailedEvent | null | undefined {
    const text = this.#opcode === OPCODE.TEXT && !this.#compressed;
    const whole = this.#whole;
    while (this.#remaining > 0) {
      if (this.#input.length === 0) return null;
      const at = frame.length - this.#remaining;
      let piece = this.#input.takeView(this.#remaining);
      if (whole !== null) {
        whole.set(piece, at);
        piece = whole.subarray(at, at + piece.length);
      }
      applyMask(piece, frame.mask, at);
      this.#remaining -= piece.length;
      this.#size += piece.length;
      if (whole === null) this.#parts.push(piece);
      if (text && !this.#utf8.push(piece)) return this.#fail(CLOSE_CODE.INVALID_PAYLOAD, "invalid UTF-8 in a text message");
    }
    this.#frame = null;
    if (whole !== null) this.#parts.push(whole);
    this.#whole = null;
    if (!frame.fin) return undefined;
    if (text && !this.#utf8.complete) return this.#fail(CLOSE_CODE.INVALID_PAYLOAD, "a text message ends inside a UTF-8 sequence");
    const parts = this.#parts;
    const event: MessageEvent = {
      type: "message",
      text: this.#opcode === OPCODE.TEXT,
      data: parts.length === 1 ? parts[0] : concatBytes(parts, this.#size),
      compressed: this.#compressed,
    };
    this.#opcode = 0;
    this.#parts = [];
    this.#size = 0;
    return event;
  }

  /**
   * Takes a control frame once its payload is whole and handles it: its event, or `null` for
   * more bytes.
   */
  #readControl(frame: FrameHeader): PingEvent | PongEvent | CloseEvent | FailedEvent | null {
    if (this.#input.length < this.#remaining) return null;
    const data = this.#remaining === 0 ? NO_BYTES : this.#input.take(this.#remaining);
    applyMask(data, frame.mask, 0);
    this.#frame = null;
    this.#remaining = 0;
    switch (frame.opcode) {
      case OPCODE.PING:
        if (!this.#closeSent) this.#queue(OPCODE.PONG, data);
        return { type: "ping", data };
      case OPCODE.PONG:
        return { type: "pong", data };
      default:
        return this.#closeReceived(data);
    }
  }

  #closeReceived(payload: Uint8Array): CloseEvent | FailedEvent {
    let code: number = CLOSE_CODE.NO_STATUS;
    let reason = "";
    if (payload.length === 1) return this.#fail(CLOSE_CODE.PROTOCOL_ERROR, "a close frame's payload must not be 1 byte (RFC 6455 §5.5.1)");
    if (payload.length >= 2) {
      code = (payload[0] << 8) | payload[1];
      if (!isValidCloseCode(code)) return this.#fail(CLOSE_CODE.PROTOCOL_ERROR, `invalid close code ${code} (RFC 6455 §7.4)`);
      const text = payload.subarray(2);
      if (!isValidUtf8(text)) return this.#fail(CLOSE_CODE.INVALID_PAYLOAD, "a close reason must be UTF-8 (RFC 6455 §5.5.1)");
      reason = utf8Decode(text);
    }
    // Echo the code (§5.5.1), unless our close went first.
    if (!this.#closeSent) this.#queueClose(code === CLOSE_CODE.NO_STATUS ? null : code, "");
    this.#state = "CLOSED";
    this.#input.clear();
    return { type: "close", code, reason };
  }

  #ended(): EndedEvent {
    this.#state = "CLOSED";
    this.#input.clear();
    return ENDED;
  }

  #fail(code: number, reason: string): FailedEvent {
    if (!this.#closeSent) this.#queueClose(code, truncateReason(reason));
    this.#state = "CLOSED";
    this.#input.clear();
    this.#frame = null;
    return { type: "failed", code, reason };
  }

  /**
   * Ends the connection because of what the caller found in a message (invalid UTF-8 after
   * decompressing it: 1007; too big decompressed: 1009; corrupt compressed data: 1002): queues
   * a close frame with `code` unless one was sent, and reads nothing more.
   */
  fail(code: number, reason: string): FailedEvent {
    return this.#fail(code, reason);
  }

  // -- Sending --

  #queue(opcode: number, payload: Uint8Array, compressed = false, copy = false): void {
    const head = encodeFrameHeader(opcode, payload.length, compressed);
    if (copy) {
      const frame = new Uint8Array(head.length + payload.length);
      frame.set(head);
      frame.set(payload, head.length);
      this.#out.push(frame);
      return;
    }
    this.#out.push(head);
    if (payload.length > 0) this.#out.push(payload);
  }

  #checkOpen(what: string): void {
    if (this.#closeSent || this.#state === "CLOSED") throw new LocalProtocolError(`cannot send ${what}: the connection is closing`);
  }

  /**
   * Queues a message in one frame: text (its bytes UTF-8) or binary; `compressed` sets RSV1 for a
   * payload compressed with the negotiated permessage-deflate. With `copy`, the payload is copied
   * into the frame (one array: the caller may reuse its own), else the frame's header and the
   * payload itself are queued.
   * @throws {LocalProtocolError} once a close was sent or the connection is closed.
   */
  send(payload: Uint8Array, text: boolean, compressed = false, copy = false): void {
    this.#checkOpen("a message");
    if (compressed && !this.#compression) throw new LocalProtocolError("permessage-deflate was not negotiated");
    this.#queue(text ? OPCODE.TEXT : OPCODE.BINARY, payload, compressed, copy);
  }

  /**
   * Queues a ping (or, unsolicited, a pong: a heartbeat that needs no answer, RFC 6455 §5.5.3).
   * @throws {LocalProtocolError} for a payload over 125 bytes, or once a close was sent.
   */
  ping(payload: Uint8Array = NO_BYTES, pong = false): void {
    this.#checkOpen(pong ? "a pong" : "a ping");
    if (payload.length > MAX_CONTROL_PAYLOAD) throw new LocalProtocolError("a control frame's payload must be at most 125 bytes");
    this.#queue(pong ? OPCODE.PONG : OPCODE.PING, payload);
  }

  /**
   * Queues our close frame: with `code` (and `reason`, at most 123 bytes of UTF-8) or, with
   * `code` `null`, an empty one. The connection is `CLOSING` until the peer's close arrives.
   * @throws {LocalProtocolError} for a code that may not be sent, a reason too long, or once a
   *   close was sent.
   */
  close(code: number | null = CLOSE_CODE.NORMAL, reason = ""): void {
    this.#checkOpen("a close");
    if (code !== null && !isValidCloseCode(code)) throw new LocalProtocolError(`close code ${code} may not be sent (RFC 6455 §7.4)`);
    if (utf8Encode(reason).length > MAX_CONTROL_PAYLOAD - 2)
      throw new LocalProtocolError("a close reason must be at most 123 bytes of UTF-8");
    this.#queueClose(code, reason);
    this.#state = "CLOSING";
  }

  #queueClose(code: number | null, reason: string): void {
    this.#closeSent = true;
    if (code === null) return this.#queue(OPCODE.CLOSE, NO_BYTES);
    const text = utf8Encode(reason);
    const payload = new Uint8Array(2 + text.length);
    payload[0] = code >>> 8;
    payload[1] = code & 0xff;
    payload.set(text, 2);
    this.#queue(OPCODE.CLOSE, payload);
  }
}

const NO_BYTES = new Uint8Array(0);
const NOTHING: readonly Uint8Array[] = Object.freeze([]);

/** `reason` cut to at most 123 bytes of UTF-8, on a character boundary (RFC 6455 §5.5). */
function truncateReason(reason: string): string {
  let out = reason;
  while (utf8Encode(out).length > MAX_CONTROL_PAYLOAD - 2) out = out.slice(0, -1);
  return out;
}
