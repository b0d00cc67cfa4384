/**
 * The Autobahn TestSuite's fuzzing client, ported: a WebSocket client that sends the frames each
 * case prescribes against an echo server, records what comes back, and gives Autobahn's verdicts
 * (OK, NON-STRICT, INFORMATIONAL, FAILED, UNCLEAN, WRONG CODE, FAILED BY CLIENT, UNIMPLEMENTED).
 * Written from the published case definitions (crossbario/autobahn-testsuite,
 * `autobahntestsuite/case/*.py`: categories 1–7, 9.1–9.8, 10, 12, 13) and the rules of its
 * `Case.onConnectionLost`; the cases themselves are in tests/support/autobahn-cases.ts.
 *
 * Waits are Autobahn's times multiplied by {@link TIME_SCALE} (loopback answers in
 * milliseconds); categories 12 and 13 send {@link compressionCount} messages per case where
 * Autobahn sends 1000 (`AUTOBAHN_COUNT=1000` for the full run).
 */
import { randomBytes } from "node:crypto";
import * as net from "node:net";
import * as zlib from "node:zlib";
import { type ServerFrame, parseServerFrame } from "./websocket.js";

/** Autobahn's seconds are multiplied by this. */
export const TIME_SCALE = Number(process.env.AUTOBAHN_TIME_SCALE ?? 0.3);

/** Messages per case of categories 12 and 13 (Autobahn: 1000). */
export const compressionCount = (): number => Number(process.env.AUTOBAHN_COUNT ?? 25);

export type Verdict = "OK" | "NON-STRICT" | "INFORMATIONAL" | "FAILED" | "UNCLEAN" | "WRONG CODE" | "FAILED BY CLIENT" | "UNIMPLEMENTED";

/** An observed event, as Autobahn records them. */
export type Observed =
  ["message", string | Buffer, boolean] | ["ping", Buffer] | ["pong", Buffer] | ["timeout", string] | ["error", string];

export interface ExpectedClose {
  closedByMe: boolean;
  closeCode: number[];
  requireClean: boolean;
  closedByWrongEndpointIsFatal?: boolean;
}

/** One case: how it starts, and optionally how it judges messages (categories 9, 12, 13). */
export interface CaseSpec {
  id: string;
  description: string;
  /** Autobahn's `onOpen`. */
  open(c: Run): void;
  /** Autobahn's `onMessage`, when the case overrides it. */
  message?(c: Run, data: string | Buffer, binary: boolean): void;
  /** Autobahn's `onConnectionLost` additions: the 7.x rule, or an informational case. */
  after?: "close-code-fatal" | "informational";
  /** The `Sec-WebSocket-Extensions` offer (categories 12 and 13). */
  offer?: string;
}

interface SendFrameOptions {
  opcode: number;
  payload?: string | Buffer;
  fin?: boolean;
  rsv?: number;
  /** Repeat `payload` to this many bytes. */
  payloadLen?: number;
  /** Send the frame's octets in writes of this many bytes. */
  chopsize?: number;
  /** Wait until the frame has left before the next. */
  sync?: boolean;
}

const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/** The client's side of a case run (Autobahn's `self.p` and the case's own state). */
export class Run {
  readonly spec: CaseSpec;
  state = 0;
  received: Observed[] = [];
  expected: Partial<Record<"OK" | "NON-STRICT", Observed[]>> = {};
  expectedClose: ExpectedClose = { closedByMe: true, closeCode: [1000], requireClean: true };
  behavior: Verdict = "FAILED";
  result = "Actual events differ from any expected.";
  suppressClose = false;
  closedByMe = false;
  droppedByMe = false;
  wasClean = false;
  remoteCloseCode: number | null = null;
  /** Whatever a case keeps between its callbacks. */
  vars: Record<string, unknown> = {};
  /** permessage-deflate as agreed, or `null`. */
  deflate: { clientNoContextTakeover: boolean; serverNoContextTakeover: boolean; clientBits: number } | null = null;
  /** Messages are fragmented into frames of this many bytes (0: none). */
  autoFragmentSize = 0;

  readonly #socket: net.Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #writes: Promise<void> = Promise.resolve();
  #timers: NodeJS.Timeout[] = [];
  #fragments: Buffer[] = [];
  #fragmentOpcode = 0;
  #fragmentCompressed = false;
  #compressor: zlib.DeflateRaw | null = null;
  #decompressor: zlib.InflateRaw | null = null;
  #ended!: () => void;
  readonly done: Promise<void>;

  constructor(spec: CaseSpec, socket: net.Socket, leftover: Buffer) {
    this.spec = spec;
    this.#socket = socket;
    this.done = new Promise((resolve) => (this.#ended = resolve));
    socket.on("data", (chunk: Buffer) => this.#data(chunk));
    socket.on("close", () => this.#lost());
    socket.on("error", () => {});
    if (leftover.length > 0) queueMicrotask(() => this.#data(leftover));
  }

  // -- Autobahn's protocol API --

  sendFrame(options: SendFrameOptions): void {
    const frame = buildFrame(options);
    const chop = options.chopsize ?? 0;
    this.#enqueue(async () => {
      if (chop > 0) {
        for (let at = 0; at < frame.length; at += chop) {
          this.#write(frame.subarray(at, at + chop));
          await pause();
        }
      } else this.#write(frame);
      if (options.sync === true) await pause();
    });
  }

  /** A message (compressed when permessage-deflate was agreed), fragmented if asked. */
  sendMessage(payload: string | Buffer, binary: boolean, fragmentSize = this.autoFragmentSize): void {
    const data = typeof payload === "string" ? Buffer.from(payload, binary ? "latin1" : "utf8") : payload;
    const opcode = binary ? 2 : 1;
    this.#enqueue(async () => {
      const compressed = this.deflate !== null;
      const body = compressed ? await this.#compress(data) : data;
      const size = fragmentSize > 0 ? fragmentSize : body.length || 1;
      let first = true;
      for (let at = 0; first || at < body.length; at += size) {
        const last = at + size >= body.length;
        this.#write(
          buildFrame({ opcode: first ? opcode : 0, payload: body.subarray(at, at + size), fin: last, rsv: first && compressed ? 4 : 0 }),
        );
        first = false;
      }
    });
  }

  /** One frame of `length` bytes whose payload is sent in three pieces, between waits (cases 6.4.3–4). */
  beginFrame(length: number): void {
    this.vars.mask = randomBytes(4);
    this.vars.masked = 0;
    const head = frameHead(1, true, 0, length);
    this.#enqueue(async () => this.#write(Buffer.concat([head, this.vars.mask as Buffer])));
  }

  /** A piece of the frame begun with {@link beginFrame}, masked at its offset. */
  sendFrameData(data: Buffer): void {
    const mask = this.vars.mask as Buffer;
    const offset = this.vars.masked as number;
    const body = Buffer.from(data);
    for (let i = 0; i < body.length; i++) body[i] ^= mask[(offset + i) & 3];
    this.vars.masked = offset + body.length;
    this.#enqueue(async () => this.#write(body));
  }

  /** Starts the closing handshake (Autobahn's `sendClose`). */
  sendClose(code: number | null = 1000, reason: Buffer | string = ""): void {
    if (this.state !== OPEN) return;
    this.sendCloseFrame(code, reason);
  }

  /** A close frame, whatever its contents (Autobahn's `sendCloseFrame`). */
  sendCloseFrame(code: number | null = null, reason: Buffer | string = ""): void {
    const text = typeof reason === "string" ? Buffer.from(reason) : reason;
    let payload: Buffer = Buffer.alloc(0);
    if (code !== null) {
      payload = Buffer.alloc(2 + text.length);
      payload.writeUInt16BE(code, 0);
      text.copy(payload, 2);
    } else if (text.length > 0) payload = text;
    if (this.state === OPEN) {
      this.closedByMe = true;
      this.state = CLOSING;
    }
    this.sendFrame({ opcode: 8, payload });
  }

  killAfter(seconds: number): void {
    this.#later(seconds, () => {
      if (this.state !== CLOSED) {
        this.droppedByMe = true;
        this.#socket.destroy();
      }
    });
  }

  closeAfter(seconds: number): void {
    this.#later(seconds, () => this.sendClose(1000));
  }

  continueLater(seconds: number, fn: () => void): void {
    this.#later(seconds, fn);
  }

  get isOpen(): boolean {
    return this.state === OPEN;
  }

  // -- Receiving --

  #data(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      const frame = parseServerFrame(this.#buffer);
      if (frame === null) return;
      this.#buffer = this.#buffer.subarray(frame.size);
      if (this.state === CLOSED) return;
      this.#frame(frame);
    }
  }

  #frame(frame: ServerFrame): void {
    if (frame.masked) return this.#protocolError("the server masked a frame");
    const compressedFirst = (frame.rsv & 4) !== 0 && this.deflate !== null && frame.opcode !== 0 && frame.opcode < 8;
    if (frame.rsv !== 0 && !compressedFirst) return this.#protocolError(`RSV ${frame.rsv} from the server`);
    switch (frame.opcode) {
      case 0:
      case 1:
      case 2:
        if (frame.opcode !== 0) {
          this.#fragmentOpcode = frame.opcode;
          this.#fragmentCompressed = compressedFirst;
          this.#fragments = [];
        }
        this.#fragments.push(frame.payload);
        if (frame.fin) {
          const opcode = this.#fragmentOpcode;
          const compressed = this.#fragmentCompressed;
          const data = Buffer.concat(this.#fragments);
          this.#fragments = [];
          void this.#message(opcode, compressed, data);
        }
        return;
      case 8:
        return this.#closeFrame(frame.payload);
      case 9:
        this.#record(["ping", frame.payload]);
        if (this.state === OPEN) this.sendFrame({ opcode: 10, payload: frame.payload });
        return;
      case 10:
        return this.#record(["pong", frame.payload]);
      default:
        return this.#protocolError(`opcode ${frame.opcode} from the server`);
    }
  }

  #messages: Promise<void> = Promise.resolve();

  #message(opcode: number, compressed: boolean, data: Buffer): Promise<void> {
    this.#messages = this.#messages.then(async () => {
      const payload = compressed ? await this.#decompress(data) : data;
      const binary = opcode === 2;
      const value = binary ? payload : payload.toString("utf8");
      if (this.spec.message !== undefined) this.spec.message(this, value, binary);
      else this.#record(["message", value, binary]);
    });
    return this.#messages;
  }

  #closeFrame(payload: Buffer): void {
    this.remoteCloseCode = payload.length >= 2 ? payload.readUInt16BE(0) : null;
    if (this.state === OPEN) {
      // The server closes first: answer with its code, then it closes TCP.
      this.state = CLOSING;
      const answer = payload.length >= 2 ? payload.subarray(0, 2) : Buffer.alloc(0);
      this.sendFrame({ opcode: 8, payload: answer });
    }
    this.wasClean = true;
    // The server should now close the TCP connection; after a while the client does it
    // (Autobahn's serverConnectionDropTimeout, 1 s; 2 s here, not scaled: cases run side by side).
    this.#timers.push(
      setTimeout(() => {
        if (this.state !== CLOSED) {
          this.droppedByMe = true;
          this.#socket.destroy();
        }
      }, 2000),
    );
  }

  #protocolError(what: string): void {
    this.#record(["error", what]);
    this.droppedByMe = true;
    this.#socket.destroy();
  }

  #record(event: Observed): void {
    this.received.push(event);
    this.#finishWhenDone();
  }

  /** Autobahn's `finishWhenDone`: once what was received matches every expectation, close. */
  #finishWhenDone(): void {
    for (const expected of Object.values(this.expected)) if (!same(this.received, expected)) return;
    if (this.expectedClose.closedByMe && !this.suppressClose) this.sendClose(this.expectedClose.closeCode[0]);
  }

  /** The case records a timeout marker (6.4.x, 9.9). */
  mark(label: string): void {
    this.received.push(["timeout", label]);
  }

  // -- Compression (the client's side of permessage-deflate) --

  async #compress(data: Buffer): Promise<Buffer> {
    const d = this.deflate!;
    this.#compressor ??= zlib.createDeflateRaw({ windowBits: Math.max(9, d.clientBits) });
    const out = await flush(this.#compressor, data);
    if (d.clientNoContextTakeover) this.#compressor.reset();
    return out.length >= 4 && out.subarray(-4).equals(TAIL) ? out.subarray(0, -4) : out;
  }

  async #decompress(data: Buffer): Promise<Buffer> {
    this.#decompressor ??= zlib.createInflateRaw({ windowBits: 15 });
    const out = await flush(this.#decompressor, Buffer.concat([data, TAIL]));
    if (this.deflate!.serverNoContextTakeover) this.#decompressor.reset();
    return out;
  }

  // -- Plumbing --

  #enqueue(job: () => Promise<void>): void {
    this.#writes = this.#writes.then(job).catch(() => {});
  }

  #write(bytes: Buffer): void {
    if (!this.#socket.destroyed) this.#socket.write(bytes);
  }

  #later(seconds: number, fn: () => void): void {
    this.#timers.push(setTimeout(fn, seconds * 1000 * TIME_SCALE));
  }

  #lost(): void {
    this.state = CLOSED;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#compressor?.close();
    this.#decompressor?.close();
    this.#ended();
  }
}

const TAIL = Buffer.from([0, 0, 0xff, 0xff]);

function flush(stream: zlib.DeflateRaw | zlib.InflateRaw, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer) => chunks.push(chunk);
    stream.on("data", onData);
    stream.once("error", reject);
    stream.write(data);
    stream.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      stream.off("data", onData);
      stream.off("error", reject);
      resolve(Buffer.concat(chunks));
    });
  });
}

function pause(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function frameHead(opcode: number, fin: boolean, rsv: number, length: number): Buffer {
  const b0 = (fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0f);
  if (length < 126) return Buffer.from([b0, 0x80 | length]);
  if (length < 65536) return Buffer.from([b0, 0x80 | 126, length >> 8, length & 0xff]);
  const head = Buffer.alloc(10);
  head[0] = b0;
  head[1] = 0x80 | 127;
  head.writeBigUInt64BE(BigInt(length), 2);
  return head;
}

/** A masked client frame. */
function buildFrame(options: SendFrameOptions): Buffer {
  let payload = typeof options.payload === "string" ? Buffer.from(options.payload, "latin1") : (options.payload ?? Buffer.alloc(0));
  if (options.payloadLen !== undefined) {
    const full = Buffer.alloc(options.payloadLen);
    for (let at = 0; at < full.length; at += payload.length) payload.copy(full, at);
    payload = full;
  }
  const mask = randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] ^= mask[i & 3];
  return Buffer.concat([frameHead(options.opcode, options.fin ?? true, options.rsv ?? 0, body.length), mask, body]);
}

function same(a: Observed[], b: Observed[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x.length !== y.length) return false;
    for (let j = 0; j < x.length; j++) {
      const u = x[j];
      const v = y[j];
      if (Buffer.isBuffer(u) || Buffer.isBuffer(v)) {
        const bu = Buffer.isBuffer(u) ? u : Buffer.from(String(u), "latin1");
        const bv = Buffer.isBuffer(v) ? v : Buffer.from(String(v), "latin1");
        if (!bu.equals(bv)) return false;
      } else if (u !== v) return false;
    }
  }
  return true;
}

/** The outcome of one case. */
export interface CaseResult {
  id: string;
  description: string;
  behavior: Verdict;
  behaviorClose: Verdict;
  /** The worse of the two, as the report shows it. */
  verdict: Verdict;
  result: string;
  resultClose: string;
}

/**
 * Opens a connection to the server, runs the case, and judges it. With `offer`, a case that
 * makes no offer of its own offers permessage-deflate too, and then sends its messages (not its
 * hand-made frames) compressed.
 */
export async function runCase(spec: CaseSpec, port: number, path: string, offer?: string): Promise<CaseResult> {
  if (offer !== undefined && spec.offer === undefined) spec = { ...spec, offer };
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect({ port, host: "127.0.0.1", noDelay: true }, () => resolve(s));
    s.once("error", reject);
  });
  const key = randomBytes(16).toString("base64");
  const offered = spec.offer === undefined ? "" : `Sec-WebSocket-Extensions: ${spec.offer}\r\n`;
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${offered}\r\n`,
  );
  const { head, rest } = await readHead(socket);
  if (!/^HTTP\/1\.1 101 /.test(head)) {
    socket.destroy();
    return judge(spec, null, "the opening handshake was refused: " + head.split("\r\n")[0]);
  }
  const run = new Run(spec, socket, rest);
  run.state = OPEN;
  const agreed = /\r\nSec-WebSocket-Extensions: ([^\r]*)/i.exec(head)?.[1];
  if (spec.offer !== undefined) {
    if (agreed === undefined) {
      run.behavior = "UNIMPLEMENTED";
      run.sendClose(1000);
    } else {
      run.deflate = {
        clientNoContextTakeover: /client_no_context_takeover/.test(agreed),
        serverNoContextTakeover: /server_no_context_takeover/.test(agreed),
        clientBits: Number(/client_max_window_bits=(\d+)/.exec(agreed)?.[1] ?? 15),
      };
    }
  }
  if (run.behavior !== "UNIMPLEMENTED") spec.open(run);
  await run.done;
  return judge(spec, run);
}

function readHead(socket: net.Socket): Promise<{ head: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      socket.off("data", onData);
      socket.pause();
      resolve({ head: buf.subarray(0, end + 4).toString("latin1"), rest: buf.subarray(end + 4) });
      setImmediate(() => socket.resume());
    };
    socket.on("data", onData);
    socket.once("close", () => reject(new Error("closed during the handshake")));
  });
}

/** Autobahn's `Case.onConnectionLost`, with the additions cases make to it. */
function judge(spec: CaseSpec, run: Run | null, failure?: string): CaseResult {
  const base = { id: spec.id, description: spec.description };
  if (run === null) {
    return {
      ...base,
      behavior: "FAILED",
      behaviorClose: "FAILED",
      verdict: "FAILED",
      result: failure ?? "",
      resultClose: "The WebSocket opening handshake was never completed!",
    };
  }
  let behavior = run.behavior;
  let result = run.result;
  for (const [name, expected] of Object.entries(run.expected)) {
    if (same(run.received, expected)) {
      behavior = name as Verdict;
      result = "Actual events match at least one expected.";
      break;
    }
  }
  const close = run.expectedClose;
  let behaviorClose: Verdict;
  let resultClose: string;
  if (close.closedByMe !== run.closedByMe) {
    behaviorClose = "FAILED";
    resultClose = "The connection was failed by the wrong endpoint";
  } else if (close.requireClean && !run.wasClean) {
    behaviorClose = "UNCLEAN";
    resultClose = "The spec requires the connection to be failed cleanly here";
  } else if (run.remoteCloseCode !== null && !close.closeCode.includes(run.remoteCloseCode)) {
    behaviorClose = "WRONG CODE";
    resultClose = `The close code should have been ${close.closeCode.join(",")} or empty`;
  } else if (run.droppedByMe) {
    behaviorClose = "FAILED BY CLIENT";
    resultClose = "It is preferred that the server close the TCP connection";
  } else {
    behaviorClose = "OK";
    resultClose = "Connection was properly closed";
  }
  if (close.closedByWrongEndpointIsFatal && close.closedByMe !== run.closedByMe) behavior = "FAILED";
  if (spec.after === "close-code-fatal" && behaviorClose === "WRONG CODE") {
    behavior = "FAILED";
    result = resultClose;
  }
  if (spec.after === "informational") {
    behavior = "INFORMATIONAL";
    behaviorClose = "INFORMATIONAL";
  }
  if (run.behavior === "UNIMPLEMENTED") behavior = behaviorClose = "UNIMPLEMENTED";
  const fine = (v: Verdict) => v === "OK" || v === "NON-STRICT" || v === "INFORMATIONAL";
  const verdict = !fine(behavior) ? behavior : !fine(behaviorClose) ? behaviorClose : behavior;
  return { ...base, behavior, behaviorClose, verdict, result, resultClose };
}
