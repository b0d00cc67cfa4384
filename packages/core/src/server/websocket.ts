/**
 * The server's WebSocket as JavaScript code knows it: the WHATWG `WebSocket` interface
 * (`readyState`, `send`, `close`, `onmessage`, `addEventListener` …), as Deno's
 * `upgradeWebSocket` returns it, over the sans-IO {@link WebSocketConnection} and the byte stream
 * a protocol switch leaves (a channel in raw mode). One implementation for every runtime and for
 * both faces of the server (the Python handler's `upgradeWebSocket()` and the fetch handlers').
 * @module
 */

import { utf8Decode, utf8Encode } from "../http/chars.ts";
import type { Platform, Timer } from "../platform/types.ts";
import { CLOSE_CODE, NEED_DATA, WebSocketConnection, type MessageEvent as WSMessage } from "../ws/connection.ts";
import { ProtocolError } from "../http/errors.ts";
import { type AcceptedHandshake, type HandshakeOptions, checkHandshake, handshakeFields } from "../ws/handshake.ts";
import { isValidUtf8 } from "../ws/utf8.ts";
import type { Exchange } from "./exchange.ts";
import { MessageDeflate } from "./wsdeflate.ts";
import { CloseEventClass, WebSocketEventTarget } from "./wsevents.ts";

/** Settings of a server's WebSocket (the handshake's, and the connection's limits). */
export interface WebSocketOptions extends HandshakeOptions {
  /** The largest message accepted, in bytes (decompressed); larger ones close with 1009. Default 16 MiB, as Bun's. */
  maxPayload?: number;
  /**
   * Seconds without a byte from the client before it is pinged; when another `idleTimeout`
   * passes without one, the connection is dropped (close code 1006). Default 120, as Bun's; 0:
   * never.
   */
  idleTimeout?: number;
  /**
   * Bytes sent and not yet taken by the client ({@link ServerWebSocket.bufferedAmount}) beyond
   * which the connection is dropped rather than buffering more. Default 16 MiB, as Bun's
   * `backpressureLimit`.
   */
  backpressureLimit?: number;
}

/**
 * The byte stream a WebSocket runs over after the handshake: an exchange after its protocol
 * switch (`readRaw`, `writeBodyNow`, `flush`, `close`, `abort`, `onStop`).
 */
export type RawStream = Pick<Exchange, "readRaw" | "writeBodyNow" | "flush" | "bufferedAmount" | "close" | "abort" | "onStop">;

/**
 * Payloads up to this many bytes are copied behind their frame header into one array (one write);
 * larger ones that need no copy are written as header and payload.
 */
const JOIN_BYTES = 64 * 1024;

/** How long the closing handshake may take once our close frame is sent, in milliseconds. */
const CLOSE_TIMEOUT_MS = 10_000;

/**
 * A WebSocket on the server side of a connection (RFC 6455) with the WHATWG `WebSocket`
 * interface: `readyState`, `url`, `protocol`, `extensions`, `binaryType` (`"blob"` by default,
 * or `"arraybuffer"`), `bufferedAmount`, `send()`, `close()`, and the events `open`, `message`
 * (`MessageEvent`), `error` and `close` (`CloseEvent` with `code`, `reason`, `wasClean`) through
 * `addEventListener` or the `on…` attributes. Created by `upgradeWebSocket()`.
 *
 * Beyond the browser's: a ping is sent when the client has been silent for `idleTimeout` and
 * the connection dropped when it stays silent; a client that stops reading is dropped once more
 * than `backpressureLimit` bytes wait (or nothing was taken for the server's `sendTimeout`); an
 * exception thrown by a listener is logged and the connection goes on. When the server closes,
 * open sockets are closed with 1001 (going away).
 */
export class ServerWebSocket extends WebSocketEventTarget {
  /** The connection is not open yet. */
  static readonly CONNECTING = 0;
  /** The connection is open: messages can be sent and received. */
  static readonly OPEN = 1;
  /** The closing handshake is under way. */
  static readonly CLOSING = 2;
  /** The connection is closed. */
  static readonly CLOSED = 3;
  /** {@link ServerWebSocket.CONNECTING}. */
  readonly CONNECTING = 0;
  /** {@link ServerWebSocket.OPEN}. */
  readonly OPEN = 1;
  /** {@link ServerWebSocket.CLOSING}. */
  readonly CLOSING = 2;
  /** {@link ServerWebSocket.CLOSED}. */
  readonly CLOSED = 3;

  /** The URL of the request that opened it (`ws://host/path`). */
  readonly url: string;
  /** The subprotocol chosen in the handshake, `""` for none. */
  readonly protocol: string;
  /** The extensions agreed (`Sec-WebSocket-Extensions` of the answer), `""` for none. */
  readonly extensions: string;
  /** How binary messages are delivered: `"blob"` (default) or `"arraybuffer"`. */
  binaryType: "blob" | "arraybuffer" = "blob";
  /** Resolves once the socket is {@link CLOSED} and its `close` event dispatched. */
  readonly closed: Promise<void>;

  #readyState = 0;
  readonly #platform: Platform;
  readonly #conn: WebSocketConnection;
  readonly #deflate: MessageDeflate | null;
  readonly #maxPayload: number;
  readonly #idleMs: number;
  readonly #backpressureLimit: number;
  #stream: RawStream | null = null;
  #settle!: () => void;
  /** Bytes of messages accepted by `send` and not yet framed (Blobs read, compression). */
  #pending = 0;
  /** Bytes `send` discarded because the socket was closing (WHATWG: they still count). */
  #discarded = 0;
  /** Sends waiting for a Blob or the compressor, in order. */
  #jobs: Promise<void> = Promise.resolve();
  #jobCount = 0;
  #watchingDrain = false;
  #timer: Timer | null = null;
  #lastReceived = 0;
  #pinged = false;

  /**
   * Made by `upgradeWebSocket()`; the socket is `CONNECTING` until {@link accept} gives it its
   * stream.
   * @param reportError logs an exception thrown by a listener.
   */
  constructor(
    url: string,
    handshake: AcceptedHandshake,
    options: WebSocketOptions,
    platform: Platform,
    reportError: (error: unknown) => void,
  ) {
    super(reportError);
    this.url = url;
    this.protocol = handshake.protocol;
    this.extensions = handshake.extensions;
    this.#platform = platform;
    this.#maxPayload = options.maxPayload ?? 16 * 1024 * 1024;
    this.#idleMs = (options.idleTimeout ?? 120) * 1000;
    this.#backpressureLimit = options.backpressureLimit ?? 16 * 1024 * 1024;
    this.#conn = new WebSocketConnection({ maxPayload: this.#maxPayload, compression: handshake.deflate !== null });
    const tuning = typeof options.perMessageDeflate === "object" ? options.perMessageDeflate : {};
    this.#deflate =
      handshake.deflate === null
        ? null
        : new MessageDeflate(platform, handshake.deflate, {
            threshold: tuning.threshold ?? 1024,
            level: tuning.level ?? 1,
            memLevel: tuning.memLevel ?? 8,
          });
    this.closed = new Promise((resolve) => (this.#settle = resolve));
  }

  /** `CONNECTING` (0), `OPEN` (1), `CLOSING` (2) or `CLOSED` (3). */
  get readyState(): number {
    return this.#readyState;
  }

  /**
   * Bytes passed to {@link send} and not yet handed to the network (WHATWG): waiting for the
   * compressor or a Blob, or queued for the socket.
   */
  get bufferedAmount(): number {
    return this.#pending + this.#discarded + (this.#stream?.bufferedAmount ?? 0);
  }

  /**
   * Starts the connection on `stream`, the 101 answer written: the socket is `OPEN`, the `open`
   * event follows at the end of the current event-loop turn (after the caller has added its
   * listeners), and then the messages.
   */
  accept(stream: RawStream): void {
    this.#stream = stream;
    this.#readyState = this.OPEN;
    stream.onStop(() => this.#goAway());
    this.#lastReceived = this.#platform.now();
    const defer = this.#platform.defer ?? ((fn: () => void) => this.#platform.setTimer(0, fn));
    defer(() => {
      if (this.#readyState === this.OPEN || this.#readyState === this.CLOSING) this.dispatchEvent(new Event("open"));
      if (this.#idleMs > 0) this.#armIdle();
      void this.#readLoop();
    });
  }

  // -- Receiving --

  async #readLoop(): Promise<void> {
    const stream = this.#stream!;
    const conn = this.#conn;
    try {
      for (;;) {
        const chunk = await stream.readRaw();
        if (chunk === null) conn.receiveEOF();
        else {
          conn.receiveData(chunk);
          this.#lastReceived = this.#platform.now();
          this.#pinged = false;
        }
        for (;;) {
          const event = conn.nextEvent();
          if (event === NEED_DATA) break;
          switch (event.type) {
            case "message": {
              const delivered = this.#deliver(event);
              if (delivered !== undefined) await delivered;
              break;
            }
            case "ping":
            case "pong":
              break;
            case "close":
              this.#flushFrames();
              return this.#finish(event.code, event.reason, true);
            case "failed":
              this.#flushFrames();
              return this.#finish(event.code, event.reason, false, true);
            case "ended":
              return this.#finish(CLOSE_CODE.ABNORMAL, "", false);
          }
          if (this.#readyState === this.CLOSED) return;
        }
        this.#flushFrames();
      }
    } catch {
      // The stream failed (the handler's timeout, a reset): nothing more can be said to the peer.
      this.#drop();
    }
  }

  /** Delivers a message (decompressing it first, when it came compressed). */
  #deliver(message: WSMessage): Promise<void> | undefined {
    if (!message.compressed) return void this.#dispatchMessage(message.text, message.data);
    return this.#deflate!.decompress(message.data, this.#maxPayload).then(
      (data) => {
        if (message.text && !isValidUtf8(data)) return this.#failLocally(CLOSE_CODE.INVALID_PAYLOAD, "invalid UTF-8 in a text message");
        this.#dispatchMessage(message.text, data);
      },
      (error: Error & { code?: string }) =>
        error.code === "ERR_OUTPUT_LIMIT"
          ? this.#failLocally(CLOSE_CODE.MESSAGE_TOO_BIG, `message larger than ${this.#maxPayload} bytes`)
          : this.#failLocally(CLOSE_CODE.PROTOCOL_ERROR, "corrupt compressed data"),
    );
  }

  #dispatchMessage(text: boolean, data: Uint8Array): void {
    // WHATWG: messages arriving once close() was called are not delivered.
    if (this.#readyState !== this.OPEN) return;
    let payload: string | ArrayBuffer | Blob;
    if (text) payload = utf8Decode(data);
    else if (this.binaryType === "arraybuffer") payload = toArrayBuffer(data);
    else payload = new Blob([toArrayBuffer(data)]);
    this.dispatchEvent(new MessageEvent("message", { data: payload, origin: originOf(this.url) }));
  }

  #failLocally(code: number, reason: string): void {
    this.#conn.fail(code, reason);
    this.#flushFrames();
    this.#finish(code, reason, false, true);
  }

  // -- Sending --

  /**
   * Sends a message: a string as text, an `ArrayBuffer`, typed array, `DataView` or `Blob` as
   * binary, in the order of the calls. Compressed when permessage-deflate was agreed and the
   * message is at least the threshold. Once the socket is closing, data is discarded (and still
   * counted in {@link bufferedAmount}), as WHATWG says.
   * @throws {DOMException} `InvalidStateError` while `CONNECTING`.
   */
  send(data: string | ArrayBufferLike | ArrayBufferView | Blob): void {
    if (this.#readyState === this.CONNECTING) throw new DOMException("the WebSocket is not open yet", "InvalidStateError");
    if (data instanceof Blob) {
      if (this.#readyState !== this.OPEN) return void (this.#discarded += data.size);
      this.#pending += data.size;
      const size = data.size;
      return this.#enqueue(async () => {
        const bytes = new Uint8Array(await data.arrayBuffer());
        this.#pending -= size;
        await this.#frame(bytes, false);
      });
    }
    const text = typeof data === "string";
    // The caller's own bytes: copied into the frame (WHATWG: the caller may reuse its buffer).
    const bytes = text
      ? utf8Encode(data)
      : ArrayBuffer.isView(data)
        ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
        : new Uint8Array(data as ArrayBuffer);
    if (this.#readyState !== this.OPEN) return void (this.#discarded += bytes.length);
    if (this.bufferedAmount + bytes.length > this.#backpressureLimit) return this.#overflow();
    if (this.#jobCount === 0 && (this.#deflate === null || !this.#deflate.compresses(bytes.length))) {
      // One array for the frame: the copy a caller's buffer needs anyway, and one write.
      this.#conn.send(bytes, text, false, !text || bytes.length <= JOIN_BYTES);
      return this.#flushFrames();
    }
    const own = text ? bytes : bytes.slice();
    this.#pending += own.length;
    this.#enqueue(async () => {
      this.#pending -= own.length;
      await this.#frame(own, text);
    });
  }

  /** Frames a message (compressing it when worth it) and writes it, if the socket is still open. */
  async #frame(bytes: Uint8Array, text: boolean): Promise<void> {
    if (this.#readyState !== this.OPEN || this.#conn.closeSent) return;
    if (this.#deflate !== null && this.#deflate.compresses(bytes.length)) {
      const compressed = await this.#deflate.compress(bytes);
      if (this.#readyState !== this.OPEN || this.#conn.closeSent) return;
      this.#conn.send(compressed, text, true, compressed.length <= JOIN_BYTES);
    } else this.#conn.send(bytes, text, false, bytes.length <= JOIN_BYTES);
    this.#flushFrames();
  }

  /** Runs `job` after the sends before it; a failure drops the connection. */
  #enqueue(job: () => Promise<void>): void {
    this.#jobCount++;
    this.#jobs = this.#jobs.then(job).then(
      () => void this.#jobCount--,
      () => {
        this.#jobCount--;
        this.#drop();
      },
    );
  }

  /** Writes the frames the connection queued; watches the drain when the socket is full. */
  #flushFrames(): void {
    const stream = this.#stream;
    if (stream === null) return;
    let full = false;
    for (const frame of this.#conn.dataToSend()) full = !stream.writeBodyNow(frame) || full;
    if (full && !this.#watchingDrain) {
      this.#watchingDrain = true;
      stream.flush().then(
        () => (this.#watchingDrain = false),
        () => this.#drop(),
      );
    }
  }

  /** More than `backpressureLimit` bytes wait: the client does not read; drop it. */
  #overflow(): void {
    this.reportError(new Error(`WebSocket dropped: more than ${this.#backpressureLimit} bytes waiting for the client to read them`));
    this.#drop();
  }

  /**
   * Starts the closing handshake (WHATWG `close()`): a close frame with `code` and `reason`, or
   * none, after the messages sent before; the connection ends when the client answers, or after
   * 10 seconds.
   * @throws {DOMException} `InvalidAccessError` for a code other than 1000 or 3000–4999;
   *   `SyntaxError` for a reason longer than 123 bytes of UTF-8.
   */
  close(code?: number, reason?: string): void {
    if (code !== undefined && code !== 1000 && !(code >= 3000 && code <= 4999)) {
      throw new DOMException(`close code must be 1000 or 3000-4999, not ${code}`, "InvalidAccessError");
    }
    if (reason !== undefined && utf8Encode(reason).length > 123)
      throw new DOMException("close reason longer than 123 bytes", "SyntaxError");
    this.#startClosing(code ?? null, reason ?? "");
  }

  #startClosing(code: number | null, reason: string): void {
    if (this.#readyState === this.CLOSING || this.#readyState === this.CLOSED) return;
    const before = this.#readyState;
    this.#readyState = this.CLOSING;
    if (before === this.CONNECTING) return;
    this.#enqueue(async () => {
      if (this.#conn.closeSent || this.#readyState === this.CLOSED) return;
      this.#conn.close(code, reason);
      this.#flushFrames();
      this.#timer?.cancel();
      this.#timer = this.#platform.setTimer(CLOSE_TIMEOUT_MS, () => this.#drop());
    });
  }

  /** The server is shutting down: close with 1001. */
  #goAway(): void {
    this.#startClosing(CLOSE_CODE.GOING_AWAY, "server shutting down");
  }

  // -- Idle connections --

  #armIdle(): void {
    const due = this.#lastReceived + this.#idleMs;
    this.#timer = this.#platform.setTimer(Math.max(0, due - this.#platform.now()), () => {
      this.#timer = null;
      if (this.#readyState !== this.OPEN) return;
      if (this.#platform.now() - this.#lastReceived >= this.#idleMs) {
        if (this.#pinged) return this.#drop();
        this.#pinged = true;
        this.#lastReceived = this.#platform.now();
        this.#conn.ping();
        this.#flushFrames();
      }
      this.#armIdle();
    });
  }

  // -- The end --

  /** Drops the connection without a closing handshake (code 1006). */
  #drop(): void {
    if (this.#readyState === this.CLOSED) return;
    this.#stream?.abort();
    this.#finish(CLOSE_CODE.ABNORMAL, "", false, true);
  }

  /** Closes the stream (the server closes TCP first, RFC 6455 §7.1.1) and reports the close. */
  #finish(code: number, reason: string, wasClean: boolean, error = false): void {
    if (this.#readyState === this.CLOSED) return;
    this.#readyState = this.CLOSED;
    this.#timer?.cancel();
    this.#timer = null;
    this.#stream?.close();
    this.#deflate?.close();
    if (error) this.dispatchEvent(new Event("error"));
    this.dispatchEvent(new CloseEventClass("close", { code, reason, wasClean }));
    this.#settle();
  }
}

/** The bytes of `data` as an `ArrayBuffer` of their own (a copy unless `data` spans its whole buffer). */
function toArrayBuffer(data: Uint8Array): ArrayBuffer {
  if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer) return data.buffer;
  // Not `data.slice()`: a Node Buffer's `slice` is a view of the same memory.
  return new Uint8Array(data).buffer;
}

/** The origin of a `ws://` URL as `MessageEvent.origin` has it. */
function originOf(url: string): string {
  const match = /^(wss?:\/\/[^/?#]*)/.exec(url);
  return match === null ? "" : match[1];
}

/** The request a WebSocket handshake is read from. */
export interface WebSocketRequest {
  readonly method: string;
  readonly major: number;
  readonly minor: number;
  /** The request-target. */
  readonly target: string;
  /** The field lines, flat `[name, value, …]`. */
  readonly fields: readonly string[];
}

/**
 * Checks the handshake in `request` and makes the socket that will answer it: the socket
 * (`CONNECTING` until `accept`) and the fields of the `101` answer (after `Server` and `Date`).
 * @throws {ProtocolError} `400` or `426` (with `Sec-WebSocket-Version: 13`) for a request that is
 *   not a valid handshake (see `checkHandshake`); the answer to send is the error's.
 */
export function openWebSocket(
  request: WebSocketRequest,
  options: WebSocketOptions,
  platform: Platform,
  reportError: (error: unknown) => void,
): { socket: ServerWebSocket; fields: string[] } {
  const { fields } = request;
  const handshake = checkHandshake(
    {
      method: request.method,
      version: [request.major, request.minor],
      getAll: (name) => {
        const values: string[] = [];
        for (let i = 0; i < fields.length; i += 2) if (fields[i].toLowerCase() === name) values.push(fields[i + 1]);
        return values;
      },
    },
    options,
  );
  if (handshake instanceof ProtocolError) throw handshake;
  let host = "";
  for (let i = 0; i < fields.length && host === ""; i += 2) if (fields[i].toLowerCase() === "host") host = fields[i + 1].trim();
  const path = request.target.startsWith("/") ? request.target : "/";
  const socket = new ServerWebSocket(`ws://${host}${path}`, handshake, options, platform, reportError);
  return { socket, fields: handshakeFields(handshake, (data) => platform.sha1(data)) };
}
