/**
 * The server side of an HTTP/2 connection, sans-IO (RFC 9113, after python-hyper/h2): bytes in
 * through {@link H2Connection.receiveData}, {@link H2Event}s out; actions in (send headers, data,
 * trailers, reset, GOAWAY, give back received data), bytes out through
 * {@link H2Connection.dataToSend}. No I/O, no timers: the caller passes the clock.
 *
 * Unlike python-hyper/h2 it is bounded against the known attacks (RFC 9113 §10.5): header
 * blocks are capped in frames and bytes before they are complete, decoded sizes count table
 * references, and token buckets limit resets received, and frames and stream errors that make
 * the server work for nothing; a stream keeps its concurrency slot until its handler is done.
 * @module
 */

import { ByteQueue } from "../http/bytequeue.ts";
import type { H2Event } from "./events.ts";
import {
  ConnectionError,
  checkFrameHeader,
  DEFAULT_WINDOW,
  ERROR_CODE,
  FLAG,
  FRAME,
  FRAME_HEADER_SIZE,
  MAX_WINDOW,
  MIN_MAX_FRAME_SIZE,
  PREFACE,
  SETTING,
  goawayFrame,
  parseFrameHeader,
  pingFrame,
  readUint31,
  readUint32,
  rstStreamFrame,
  settingsFrame,
  windowUpdateFrame,
  type FrameHeader,
} from "./frames.ts";
import { CompressionError, HpackDecoder } from "./hpack.ts";
import { FieldBlockReader, unpad, type FieldBlock } from "./fieldblocks.ts";
import { checkRequest, checkTrailers, requestLineOf } from "./message.ts";
import { Sender } from "./sender.ts";
import { H2_DEFAULTS, readSettings, serverSettings, type H2ConnectionOptions } from "./settings.ts";
import { ClosedStreams, ReceiveWindow, STREAM_CLOSED, Stream, TokenBucket, type ClosedHow } from "./stream.ts";

export type { H2ConnectionOptions } from "./settings.ts";

/** Queued control frames beyond which a client that does not read is cut off. */
const MAX_QUEUED_CONTROL = 10_000;
/** The opaque data of the PING that times a graceful GOAWAY. */
const SHUTDOWN_PING = new TextEncoder().encode("goaway\0\0");

/** The server side of one HTTP/2 connection. */
export class H2Connection {
  readonly #options: Required<H2ConnectionOptions>;
  readonly #input = new ByteQueue();
  readonly #decoder: HpackDecoder;
  readonly #sender = new Sender();
  readonly #streams = new Map<number, Stream>();
  readonly #closed = new ClosedStreams();
  /** Streams whose handler runs (from the request event until `streamDone`): the concurrency slots. */
  readonly #busy = new Set<number>();
  readonly #resets: TokenBucket;
  readonly #glitches: TokenBucket;
  #events: H2Event[] = [];
  #now = 0;
  #prefaceReceived = false;
  #settingsReceived = false;
  #header: FrameHeader | null = null;
  /** DATA bytes to discard (a frame over our maximum size). */
  #skip = 0;
  readonly #blocks: FieldBlockReader;
  #highestStreamId = 0;

  /** Our settings the client has not acknowledged yet, oldest first. */
  readonly #unacknowledged: Map<number, number>[] = [];
  #localInitialWindow = DEFAULT_WINDOW;
  /** The connection's receive window: DEFAULT_WINDOW, then the configured size once announced. */
  readonly #inbound = new ReceiveWindow(DEFAULT_WINDOW);
  #peerInitialWindow = DEFAULT_WINDOW;
  /** GOAWAY: `null` before any; 2^31 − 1 while a graceful one waits for its PING; then the last stream. */
  #goawayLastId: number | null = null;
  #terminated = false;

  constructor(options: H2ConnectionOptions = {}) {
    this.#options = { ...H2_DEFAULTS, ...options };
    this.#decoder = new HpackDecoder();
    this.#blocks = new FieldBlockReader(this.#options.maxContinuationFrames, this.#options.maxHeaderListSize + MIN_MAX_FRAME_SIZE);
    this.#resets = new TokenBucket(this.#options.resetBurst, this.#options.resetRate);
    this.#glitches = new TokenBucket(this.#options.glitchBurst, this.#options.glitchRate);
  }

  /** Queues the server connection preface: SETTINGS, and a WINDOW_UPDATE opening the connection window. */
  initiate(): void {
    const o = this.#options;
    const settings = serverSettings(o);
    this.#unacknowledged.push(settings);
    this.#sender.control.push(settingsFrame([...settings]));
    if (o.connectionWindowSize > DEFAULT_WINDOW) {
      this.#sender.control.push(windowUpdateFrame(0, o.connectionWindowSize - DEFAULT_WINDOW));
      this.#inbound.size = this.#inbound.available = o.connectionWindowSize;
    }
  }

  // -- State --

  /** True once the client's preface and first SETTINGS arrived (a deadline waits for this). */
  get established(): boolean {
    return this.#settingsReceived;
  }

  /** True once a connection error ended the connection (GOAWAY queued). */
  get terminated(): boolean {
    return this.#terminated;
  }

  /** Concurrency slots taken (RFC 9113 §5.1.2): open streams, and reset ones whose handler still runs. */
  get activeStreams(): number {
    let n = this.#busy.size;
    for (const id of this.#streams.keys()) if (!this.#busy.has(id)) n++;
    return n;
  }

  /** True when nothing is in flight: no open stream, no running handler, nothing to send. */
  get idle(): boolean {
    return this.#streams.size === 0 && this.#busy.size === 0 && !this.wantsToSend;
  }

  /** True once the final GOAWAY went out (or a connection error): close when {@link idle}. */
  get closing(): boolean {
    return this.#terminated || (this.#goawayLastId !== null && this.#goawayLastId !== MAX_WINDOW);
  }

  /** True when {@link dataToSend} has something: control frames, or response bytes within the windows. */
  get wantsToSend(): boolean {
    return this.#sender.wantsToSend;
  }

  /** Bytes queued on a stream and not yet sent (0 when it is gone). */
  bufferedAmount(streamId: number): number {
    return this.#streams.get(streamId)?.queued ?? 0;
  }

  /** True while the server can still send on the stream (it was not reset nor ended). */
  canSend(streamId: number): boolean {
    const stream = this.#streams.get(streamId);
    return stream !== undefined && stream.localOpen && !stream.endQueued;
  }

  // -- Receiving --

  /**
   * Takes bytes received from the client (handed over: kept, not copied, until consumed) and
   * returns what happened. `now` is the time in milliseconds (any monotonic origin) for the
   * rate limits.
   */
  receiveData(data: Uint8Array, now: number): H2Event[] {
    this.#events = [];
    if (this.#terminated) return this.#events;
    this.#now = now;
    this.#input.push(data);
    try {
      this.#process();
    } catch (error) {
      if (!(error instanceof ConnectionError)) throw error;
      this.#terminate(error.code, error.message);
    }
    return this.#events;
  }

  #process(): void {
    const input = this.#input;
    if (!this.#prefaceReceived) {
      const n = Math.min(input.length, PREFACE.length);
      for (let i = 0; i < n; i++) {
        if (input.peek(i) !== PREFACE[i]) throw new ConnectionError(ERROR_CODE.PROTOCOL_ERROR, "invalid connection preface");
      }
      if (input.length < PREFACE.length) return;
      input.take(PREFACE.length);
      this.#prefaceReceived = true;
    }
    while (!this.#terminated) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, input.length);
        input.take(n);
        this.#skip -= n;
        if (this.#skip > 0) return;
      }
      if (this.#header === null) {
        if (input.length < FRAME_HEADER_SIZE) return;
        const header = parseFrameHeader(input.take(FRAME_HEADER_SIZE), 0);
        if (!this.#acceptHeader(header)) continue;
        this.#header = header;
      }
      const header = this.#header;
      if (input.length < header.length) return;
      this.#header = null;
      this.#frame(header, header.length === 0 ? EMPTY : input.take(header.length));
      // A client that sends PINGs or SETTINGS and never reads the answers (CVE-2019-9512/9515).
      if (this.#sender.control.length > MAX_QUEUED_CONTROL) throw new ConnectionError(ERROR_CODE.ENHANCE_YOUR_CALM, "answers not read");
    }
  }

  /** Checks a frame's header before its payload is buffered; `false` when the payload is skipped. */
  #acceptHeader(header: FrameHeader): boolean {
    if (!this.#settingsReceived && (header.type !== FRAME.SETTINGS || (header.flags & FLAG.ACK) !== 0)) {
      throw new ConnectionError(ERROR_CODE.PROTOCOL_ERROR, "the first frame must be SETTINGS");
    }
    if (header.length <= MIN_MAX_FRAME_SIZE) return true;
    // RFC 9113 §4.2: only a frame that cannot change the connection's state is a stream error.
    if (header.type !== FRAME.DATA || header.streamId === 0 || this.#blocks.pending) {
      throw new ConnectionError(ERROR_CODE.FRAME_SIZE_ERROR, `a frame of ${header.length} bytes`);
    }
    this.#takeConnectionWindow(header.length);
    this.#creditConnection(header.length);
    this.#streamError(header.streamId, ERROR_CODE.FRAME_SIZE_ERROR);
    this.#skip = header.length;
    return false;
  }

  #frame(header: FrameHeader, payload: Uint8Array): void {
    if (this.#blocks.pending && header.type !== FRAME.CONTINUATION) {
      throw new ConnectionError(ERROR_CODE.PROTOCOL_ERROR, "a frame inside a header block");
    }
    if (!checkFrameHeader(header)) return this.#streamError(header.streamId, ERROR_CODE.FRAME_SIZE_ERROR);
    switch (header.type) {
      case FRAME.DATA:
        return this.#data(header, payload);
      case FRAME.HEADERS:
        return this.#headers(header, payload);
      case FRAME.PRIORITY:
        return this.#priority(header, payload);
      case FRAME.RST_STREAM:
        return this.#rstStream(header, payload);
      case FRAME.SETTINGS:
        return this.#settings(header, payload);
      case FRAME.PUSH_PROMISE:
        throw new ConnectionError(ERROR_CODE.PROTOCOL_ERROR, "PUSH_PROMISE from a client");
      case FRAME.PING:
        return this.#ping(header, payload);
      case FRAME.GOAWAY:
        return this.#goaway(payload);
      case FRAME.WINDOW_UPDATE:
        return this.#windowUpdate(header, payload);
      case FRAME.CONTINUATION:
        return this.#continuation(header, payload);
      default:
        this.#glitch(); // RFC 9113 §5.5: unknown frame types are ignored
    }
  }

  #data(header: FrameHeader, payload: Uint8Array): void {
    const id = header.streamId;
    const flowLength = header.length;
    const data = unpad(header, payload);
    const endStream = (header.flags & FLAG.END_STREAM) !== 0;
    this.#takeConnectionWindow(flowLength);
    const stream = this.#streams.get(id);
    if (stream?.state === "half-closed-local" && !this.#busy.has(id)) {
      // Answered, and no handler reads on: the client may stop sending (RFC 9113 §8.1).
      this.#creditConnection(flowLength);
      return this.resetStream(id, ERROR_CODE.NO_ERROR);
    }
    if (stream === undefined || stream.apply("recv-data") === STREAM_CLOSED) {
      this.#creditConnection(flowLength);
      if (stream === undefined && id > this.#highestStreamId)
        throw new ConnectionError(ERROR_CODE.PROTOCOL_ERROR, `DATA on idle stream ${id}`);
      if (stream === undefined && this.#closed.get(id) === "reset-sent") return this.#glitch();
      return this.#streamError(id, ERROR_CODE.STREAM_CLOSED);
    }
    if (!stream.inbound.take(flowLength)) {
      this.#creditConnection(flowLength);
      return this.#streamError(id, ERROR_CODE.FLOW_CONTROL_ERROR);
    }
    stream.received += data.length;
    const padding = flowLength - data.length;
    if (padding > 0) this.#credit(stream, padding);
    const limit = stream.contentLength;
    if (limit >= 0 && (stream.received > limit || (endStream && stream.received !== limit))) {
      this.#creditConnection(data.length);
      return this.#streamError(id, ERROR_CODE.PROTOCOL_ERROR);
    }
    if (data.length > 0) this.#events.push({ type: "data", streamId: id, data });
    else if (!endStream) this.#glitch();
    if (endStream) this.#remoteEnd(stream, EMPTY_FIELDS);
  }

  #headers(header: FrameHeader, payload: Uint8Array): void {
    const block = this.#blocks.headers(header, payload);
    if (block !== null) this.#fieldBlock(block);
  }

  #continuation(header: FrameHeader, payload: Uint8Array): void {
    const block = this.#blocks.continuation(header, payload);
    if (block !== null) this.#fieldBlock(block);
  }

  /** A complete field block: decoded first (the dynamic table must stay in step), then judged. */
  #fieldBlock(block: FieldBlock): void {
    let decoded;
    try {
      decoded = this.#decoder.decode(block.bytes, this.#options.maxHeaderListSize, this.#options.maxHeaderFields);
    } catch (error) {
      if (error instanceof CompressionError) throw new ConnectionError(ERROR_CODE.COMPRESSION_ERROR, error.message);
      throw error;
    }
    const id = block.streamId;
    const stream = this.#streams.get(id);
    if (stream !== undefined) {
      // Trailers (RFC 9113 §8.1): they end the stream.
      if (stream.apply("recv-headers") === STREAM_CLOSED) return this.#streamError(id, ERROR_CODE.STREAM_CLOSED);
      if (block.selfDependent || !block.endStream || decoded.oversized || checkTrailers(decoded.fields) !== null) {
        return this.#streamError(id, ERROR_CODE.PROTOCOL_ERROR);
      }
      if (stream.contentLength >= 0 && stream.received !== stream.contentLength) return this.#streamError(id, ERROR_CODE.PROTOCOL_ERROR);
      return this.#remoteEnd(stream, decoded.fields);
    }
    if (id <= this.#highestStreamId) {
      const how = this.#closed.get(id);
      if (how === "reset-sent") return;
      if (how === "reset-received") return this.#streamError(id, ERROR_CODE.STREAM_CLOSED);
      if (how === "ended") throw new ConnectionError(ERROR_CODE.STREAM_CLOSED, `HEADERS on closed stream ${id}`);
      throw new ConnectionError(ERROR_CODE.PROTOCOL_ERROR, `HEADERS on stream ${id}, not above ${this.#highestStreamId}`);
    }
    if (id % 2 === 0) throw new ConnectionError(ERROR_CODE.PROTOCOL_ERROR, `a client stream with even identifier ${id}`);
    this.#highestStreamId = id;
    if (this.#goawayLastId !== null && id > this.#goawayLastId) return; // RFC 9113 §6.8: ignored
    if (block.selfDependent) return this.#streamError(id, ERROR_CODE.PROTOCOL_ERROR);
    if (this.activeStreams >= this.#options.maxConcurrentStreams) return this.#streamError(id, ERROR_CODE.REFUSED_STREAM);
    const head = decoded.oversized ? null : checkRequest(decoded.fields);
    if (typeof head === "string" || (head !== null && block.endStream && head.contentLength > 0)) {
      return this.#streamError(id, ERROR_CODE.PROTOCOL_ERROR);
    }
    const created = new Stream(id, this.#localInitialWindow, this.#peerInitialWindow);
    created.apply("recv-headers");
    created.contentLength = head?.contentLength ?? -1;
    this.#streams.set(id, created);
    this.#busy.add(id);
    this.#events.push(
      head === null
        ? { type: "request-too-large", streamId: id, endStream: block.endStream, ...requestLineOf(decoded.fields) }
        : { type: "request", streamId: id, head, endStream: block.endStream },
    );
    if (block.endStream) this.#remoteEnd(created, EMPTY_FIELDS);
  }

  #remoteEnd(stream: Stream, trailers: readonly string[]): void {
    stream.apply("recv-end");
    this.#events.push({ type: "end", streamId: stream.id, trailers });
    if (stream.state === "closed") this.#forget(stream, "ended");
  }

  #priority(header: FrameHeader, payload: Uint8Array): void {
    if (readUint31(payload, 0) === header.streamId) return this.#streamError(header.streamId, ERROR_CODE.PROTOCOL_ERROR);
    this.#glitch(); // parsed and ignored (RFC 9113 §5.3.2)
  }

  #rstStream(header: FrameHeader, payload: Uint8Array): void {
    const id = header.streamId;
    if (id > this.#highestStreamId) throw new ConnectionError(ERROR_CODE.PROTOCOL_ERROR, `RST_STREAM on idle stream ${id}`);
    // Rapid reset (CVE-2023-44487).
    if (!this.#resets.take(this.#now)) throw new ConnectionError(ERROR_CODE.ENHANCE_YOUR_CALM, "too many streams reset");
    const stream = this.#streams.get(id);
    if (stream === undefined) return;
    stream.apply("recv-reset");
    this.#forget(stream, "reset-received");
    this.#events.push({ type: "reset", streamId: id, code: readUint32(payload, 0), byPeer: true });
  }

  #settings(header: FrameHeader, payload: Uint8Array): void {
    if ((header.flags & FLAG.ACK) !== 0) {
      const settings = this.#unacknowledged.shift();
      if (settings === undefined) throw new ConnectionError(ERROR_CODE.PROTOCOL_ERROR, "SETTINGS acknowledgement for nothing");
      const window = settings.get(SETTING.INITIAL_WINDOW_SIZE);
      if (window !== undefined) {
        const delta = window - this.#localInitialWindow;
        this.#localInitialWindow = window;
        for (const stream of this.#streams.values()) {
          stream.inbound.size = window;
          stream.inbound.available += delta;
        }
      }
      this.#events.push({ type: "settings-acknowledged" });
      return;
    }
    const changed = readSettings(payload);
    if (this.#settingsReceived) this.#glitch();
    for (const [id, value] of changed) {
      if (id === SETTING.HEADER_TABLE_SIZE) this.#sender.encoder.setMaxTableSize(value);
      else if (id === SETTING.MAX_FRAME_SIZE) this.#sender.maxFrameSize = value;
      else if (id === SETTING.INITIAL_WINDOW_SIZE) {
        const delta = value - this.#peerInitialWindow;
        this.#peerInitialWindow = value;
        for (const stream of this.#streams.values()) {
          stream.sendWindow += delta;
          if (stream.sendWindow > MAX_WINDOW) throw new ConnectionError(ERROR_CODE.FLOW_CONTROL_ERROR, "a stream window above 2^31 - 1");
        }
      }
    }
    this.#settingsReceived = true;
    this.#sender.control.push(settingsFrame([], true));
    this.#events.push({ type: "settings", changed });
  }

  #ping(header: FrameHeader, payload: Uint8Array): void {
    const data = payload.slice();
    const ack = (header.flags & FLAG.ACK) !== 0;
    if (!ack) {
      this.#glitch();
      this.#sender.control.push(pingFrame(data, true));
    } else if (this.#goawayLastId === MAX_WINDOW && data.every((b, i) => b === SHUTDOWN_PING[i])) {
      this.goAway(); // the client has seen the first GOAWAY: now name the last stream
    }
    this.#events.push({ type: "ping", data, ack });
  }

  #goaway(payload: Uint8Array): void {
    const debug = new TextDecoder().decode(payload.subarray(8, 8 + 256));
    this.#events.push({ type: "goaway", lastStreamId: readUint31(payload, 0), code: readUint32(payload, 4), debug });
  }

  #windowUpdate(header: FrameHeader, payload: Uint8Array): void {
    const id = header.streamId;
    const increment = readUint31(payload, 0);
    if (id === 0) {
      if (increment === 0) throw new ConnectionError(ERROR_CODE.PROTOCOL_ERROR, "WINDOW_UPDATE of 0 on the connection");
      if (this.#sender.window + increment > MAX_WINDOW) {
        throw new ConnectionError(ERROR_CODE.FLOW_CONTROL_ERROR, "connection window above 2^31 - 1");
      }
      this.#sender.window += increment;
    } else {
      if (id > this.#highestStreamId) throw new ConnectionError(ERROR_CODE.PROTOCOL_ERROR, `WINDOW_UPDATE on idle stream ${id}`);
      const stream = this.#streams.get(id);
      if (stream === undefined) return; // closed: it may have crossed our END_STREAM
      if (increment === 0) return this.#streamError(id, ERROR_CODE.PROTOCOL_ERROR);
      if (stream.sendWindow + increment > MAX_WINDOW) return this.#streamError(id, ERROR_CODE.FLOW_CONTROL_ERROR);
      stream.sendWindow += increment;
    }
    this.#events.push({ type: "window-update", streamId: id, increment });
  }

  // -- Flow control of received data (RFC 9113 §6.9) --

  #takeConnectionWindow(length: number): void {
    if (!this.#inbound.take(length)) throw new ConnectionError(ERROR_CODE.FLOW_CONTROL_ERROR, "DATA beyond the connection window");
  }

  #creditConnection(n: number): void {
    const increment = this.#inbound.giveBack(n);
    if (increment > 0) this.#sender.control.push(windowUpdateFrame(0, increment));
  }

  #credit(stream: Stream, n: number): void {
    this.#creditConnection(n);
    const increment = stream.remoteOpen ? stream.inbound.giveBack(n) : 0;
    if (increment > 0) this.#sender.control.push(windowUpdateFrame(stream.id, increment));
  }

  /**
   * Gives back `n` bytes of a stream's request content the server consumed: the client may send
   * as many more (WINDOW_UPDATE once half a window has been given back).
   */
  acknowledgeReceivedData(streamId: number, n: number): void {
    if (this.#terminated || n <= 0) return;
    const stream = this.#streams.get(streamId);
    if (stream === undefined) this.#creditConnection(n);
    else this.#credit(stream, n);
  }

  // -- Sending --

  /**
   * Sends a field block on a stream: a response head (`:status` first), an interim one, or
   * trailers when the response content was queued before (`endStream` then required). Returns
   * `false` when the stream can no longer be sent on (reset or ended).
   */
  sendHeaders(streamId: number, fields: readonly string[], endStream: boolean): boolean {
    const stream = this.#streams.get(streamId);
    if (stream === undefined || !stream.localOpen || stream.endQueued) return false;
    if (stream.queued > 0 || stream.queue.length > 0) {
      if (!endStream) throw new Error("HTTP/2: a field block after response content must be trailers (endStream)");
      stream.trailers = [...fields];
      stream.endQueued = true;
      this.#sender.markSendable(stream);
      return true;
    }
    stream.apply("send-headers");
    this.#sender.headers(streamId, fields, endStream);
    if (endStream) this.#localEnd(stream);
    return true;
  }

  /**
   * Queues response content on a stream (`data` is handed over), sent as the windows allow;
   * with `endStream`, END_STREAM follows it. Returns `false` when the stream is gone.
   */
  sendData(streamId: number, data: Uint8Array, endStream = false): boolean {
    const stream = this.#streams.get(streamId);
    if (stream === undefined || !stream.localOpen || stream.endQueued) return false;
    if (data.length > 0) {
      stream.queue.push(data);
      stream.queued += data.length;
    }
    if (endStream) stream.endQueued = true;
    this.#sender.markSendable(stream);
    return true;
  }

  /** Resets a stream (RST_STREAM with `code`, RFC 9113 §6.4), dropping what is queued on it. */
  resetStream(streamId: number, code: number = ERROR_CODE.CANCEL): void {
    const stream = this.#streams.get(streamId);
    if (stream === undefined || this.#terminated) return;
    stream.apply("send-reset");
    this.#sender.control.push(rstStreamFrame(streamId, code));
    this.#forget(stream, "reset-sent");
  }

  /** The handler of a stream is done: its concurrency slot is free (RFC 9113 §5.1.2). */
  streamDone(streamId: number): void {
    this.#busy.delete(streamId);
  }

  /**
   * Begins a graceful shutdown (RFC 9113 §6.8): GOAWAY with 2^31 − 1 and a PING; once the PING
   * is answered (or when called again), a second GOAWAY names the last stream that will be served.
   */
  goAway(): void {
    if (this.#terminated || (this.#goawayLastId !== null && this.#goawayLastId !== MAX_WINDOW)) return;
    if (this.#goawayLastId === MAX_WINDOW) {
      this.#goawayLastId = this.#highestStreamId;
      this.#sender.control.push(goawayFrame(this.#highestStreamId, ERROR_CODE.NO_ERROR));
      return;
    }
    this.#goawayLastId = MAX_WINDOW;
    this.#sender.control.push(goawayFrame(MAX_WINDOW, ERROR_CODE.NO_ERROR));
    this.#sender.control.push(pingFrame(SHUTDOWN_PING, false));
  }

  /** Ends the connection at once with GOAWAY `code` (a connection error, or the server stopping). */
  terminate(code: number = ERROR_CODE.NO_ERROR, reason = ""): void {
    if (this.#terminated) return;
    this.#terminate(code, reason);
    this.#events = [];
  }

  /**
   * The bytes to send now, about `maxBytes` at most (control frames always go, then response
   * content round-robin over the streams within the flow-control windows), or `null`.
   */
  dataToSend(maxBytes = 65_536): Uint8Array | null {
    return this.#sender.take(maxBytes, this.#onLocalEnd);
  }

  readonly #onLocalEnd = (stream: Stream): void => this.#localEnd(stream);

  #localEnd(stream: Stream): void {
    stream.endQueued = true;
    stream.apply("send-end");
    if (stream.state === "closed") this.#forget(stream, "ended");
  }

  // -- Errors and bookkeeping --

  /** A stream error (RFC 9113 §5.4.2): RST_STREAM, the stream closed; counted as a glitch. */
  #streamError(streamId: number, code: number): void {
    this.#sender.control.push(rstStreamFrame(streamId, code));
    const stream = this.#streams.get(streamId);
    if (stream !== undefined) {
      stream.apply("send-reset");
      this.#forget(stream, "reset-sent");
      this.#events.push({ type: "reset", streamId, code, byPeer: false });
    } else this.#closed.remember(streamId, "reset-sent");
    this.#glitch();
  }

  /** Counts a frame or fault that made the server work for nothing (MadeYouReset, floods). */
  #glitch(): void {
    if (!this.#glitches.take(this.#now)) throw new ConnectionError(ERROR_CODE.ENHANCE_YOUR_CALM, "too many frames for nothing");
  }

  #forget(stream: Stream, how: ClosedHow): void {
    stream.dropQueue();
    this.#streams.delete(stream.id);
    this.#sender.remove(stream);
    this.#closed.remember(stream.id, how);
  }

  #terminate(code: number, reason: string): void {
    this.#terminated = true;
    this.#sender.control.push(goawayFrame(this.#highestStreamId, code, reason));
    for (const stream of this.#streams.values()) stream.dropQueue();
    this.#streams.clear();
    this.#sender.clear();
    this.#events.push({ type: "terminated", code, reason });
  }
}

const EMPTY = new Uint8Array(0);
const EMPTY_FIELDS: readonly string[] = Object.freeze([]);
