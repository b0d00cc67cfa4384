/**
 * Writing a fetch handler's `Response` over an exchange: its status and fields (repeated
 * `Set-Cookie` kept, connection-specific fields dropped, `Date` added), and its body framed as
 * HTTP/1.1 wants it — `Content-Length` when the whole body is at hand at once (its reads settle
 * within a few microtask turns), the handler's own `Content-Length` enforced on a stream, else
 * the chunked coding (close-delimited for an HTTP/1.0 client); nothing for `HEAD`, 1xx, 204 and
 * 304. A stream is read as the client takes the bytes (backpressure) and cancelled when the
 * client goes away.
 * @module
 */

import { concatBytes, latin1Encode } from "../http/chars.ts";
import { LAST_CHUNK, encodeChunk } from "../http/chunked.ts";
import type { RequestEvent } from "../http/events.ts";
import type { Platform } from "../platform/types.ts";
import { formatHTTPDate } from "../python/dates.ts";
import { STATUS_TEXT } from "../python/status.ts";
import type { Exchange } from "../server/exchange.ts";
import type { ReadableSource } from "../server/sources.ts";
import { BytesIO } from "../server/sources.ts";
import type { RequestState } from "./request.ts";

/** The ECMAScript host's microtask queue (HTML's `queueMicrotask`, in every runtime). */
const queueMicrotask = (globalThis as unknown as { queueMicrotask: (fn: () => void) => void }).queueMicrotask;

/** Fields that belong to one connection, never forwarded from a handler's `Response` (RFC 9110 §7.6.1). */
const CONNECTION_FIELDS = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer"]);

/** Bytes per read when copying a body source (as `SimpleHTTPRequestHandler.copyfile`). */
const COPY_CHUNK = 256 * 1024;

/** A response head decided without a `Response` object: serveDir's answers, errors. */
export interface DirectReply {
  status: number;
  reason?: string;
  /** Field lines, flat `[name, value, …]`. */
  fields: string[];
  /** The body, `null` for none. */
  body: ReadableSource | null;
}

/** What a read of a body stream gives (whatever the runtime's type library calls it). */
type ReadResult = Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>["read"]>>;

/** A response as the exchange will frame it. */
interface Framing {
  /** A body of unknown length, sent chunked. */
  chunked: boolean;
  /** The connection may carry another request after it. */
  keepAlive: boolean;
}

/** What writing a response needs to know of the request. */
export interface Answering {
  readonly exchange: Exchange;
  readonly head: RequestEvent;
  /** The client keeps the connection open (its version and `Connection`). */
  readonly keepAlive: boolean;
  readonly platform: Platform;
  /** Told when the response went out whole (the request's signal and `info.completed`). */
  readonly state?: RequestState;
}

/** The response went out whole: records it, then ends it (`finishResponse`). */
function finish(ctx: Answering, keepAlive: boolean): boolean | Promise<boolean> {
  const state = ctx.state;
  if (state !== undefined && !state.completed) {
    state.completed = true;
    state.onEnd?.();
  }
  return ctx.exchange.finishResponse(keepAlive, DRAIN_LIMIT);
}

function isHTTP11(head: RequestEvent): boolean {
  return head.major > 1 || (head.major === 1 && head.minor >= 1);
}

let dateSecond = -1;
let dateText = "";

/** `Date` in IMF-fixdate, computed once a second. */
function httpDate(platform: Platform): string {
  const second = Math.floor(platform.now() / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = formatHTTPDate(second);
  }
  return dateText;
}

/** The `Response`'s fields, flat, for the wire; also the handler's `Content-Length`, if any. */
function responseFields(response: Response, platform: Platform): { fields: string[]; length: string | null } {
  const fields: string[] = [];
  let length: string | null = null;
  let date = false;
  response.headers.forEach((value, name) => {
    if (CONNECTION_FIELDS.has(name) || name === "set-cookie") return;
    if (name === "content-length") {
      length = value;
      return;
    }
    if (name === "date") date = true;
    fields.push(name, value);
  });
  for (const cookie of response.headers.getSetCookie()) fields.push("set-cookie", cookie);
  if (!date) fields.push("date", httpDate(platform));
  return { fields, length };
}

/**
 * Microtask turns a read of a body held in memory takes to settle, at most: a `Response` made of
 * a string, bytes, a Blob or JSON settles within 4 in Node, Bun and Deno. A read that takes
 * longer waits for something outside (I/O, a timer): the body is a stream.
 */
const SOON = 16;

/** The next chunk of `reader` if it settles within {@link SOON} microtask turns, else `undefined` (still pending in `pending`). */
function readSoon(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  pending: { read: Promise<ReadResult> | null },
): Promise<ReadResult | undefined> {
  const read = reader.read();
  return new Promise((resolve, reject) => {
    let settled = false;
    read.then(
      (result) => {
        if (settled) return;
        settled = true;
        resolve(result);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
    let turns = 0;
    const tick = (): void => {
      if (settled) return;
      if (++turns < SOON) return void queueMicrotask(tick);
      settled = true;
      pending.read = read;
      resolve(undefined);
    };
    queueMicrotask(tick);
  });
}

/**
 * Writes `response` as the answer to `ctx.head`. Resolves with whether the connection can carry
 * another request; rejects only when the head cannot be sent (an invalid status or field).
 */
export async function writeResponse(ctx: Answering, response: Response): Promise<boolean> {
  const { exchange, head, platform } = ctx;
  const status = response.status;
  const reason = response.statusText || STATUS_TEXT.get(status)?.[0] || "";
  const { fields, length } = responseFields(response, platform);
  const body = response.body;
  const isHead = head.method === "HEAD";
  const sendHead = (keepAlive = ctx.keepAlive) =>
    exchange.sendHead({ version: "HTTP/1.1", status, reason, fields, complete: true, keepAlive });
  if ((status >= 100 && status < 200) || status === 204 || status === 304) {
    void body?.cancel().catch(() => {});
    sendHead();
    return finish(ctx, ctx.keepAlive);
  }
  if (body === null) {
    fields.push("content-length", length ?? "0");
    sendHead();
    return finish(ctx, ctx.keepAlive);
  }
  const reader = body.getReader();
  // The body at hand: read what settles at once (within a few microtask turns).
  const chunks: Uint8Array[] = [];
  const pending: { read: Promise<ReadResult> | null } = { read: null };
  let done = false;
  for (let i = 0; i < 4 && !done; i++) {
    const result = await readSoon(reader, pending);
    if (result === undefined) break;
    if (result.done) done = true;
    else chunks.push(toBytes(result.value));
  }
  if (done) {
    const bytes = chunks.length === 1 ? chunks[0] : concatBytes(chunks);
    fields.push("content-length", isHead && length !== null ? length : String(bytes.length));
    sendHead();
    if (!isHead && bytes.length > 0) exchange.writeBodyNow(bytes);
    return finish(ctx, ctx.keepAlive);
  }
  if (isHead) {
    // A stream answering HEAD is never pumped: what GET would stream is not known.
    void reader.cancel().catch(() => {});
    if (length !== null) fields.push("content-length", length);
    sendHead();
    return finish(ctx, ctx.keepAlive);
  }
  // A stream: the handler's Content-Length, else chunked (HTTP/1.1) or delimited by closing.
  // HTTP/2 ends a body with its stream: chunked only for HTTP/1.1.
  const chunked = length === null && head.major === 1 && head.minor >= 1;
  const framing: Framing = { chunked, keepAlive: ctx.keepAlive && (length !== null || isHTTP11(head)) };
  if (length !== null) fields.push("content-length", length);
  else if (framing.chunked) fields.push("transfer-encoding", "chunked");
  sendHead(framing.keepAlive);
  const limit = length === null ? Infinity : Number(length);
  return streamBody(ctx, reader, chunks, pending.read, framing, limit);
}

/** Bytes of a body chunk (a stream of anything else is the handler's mistake). */
function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (typeof value === "string") return latin1Encode(value);
  throw new TypeError("a response body stream must give Uint8Array chunks");
}

/**
 * Sends a stream's chunks as the client takes them: `first` (read already), the read in flight,
 * then the rest. With a `Content-Length`, no more than `limit` bytes; a stream that ends short
 * of it closes the connection. Cancels the stream when the client goes away.
 */
async function streamBody(
  ctx: Answering,
  reader: ReadableStreamDefaultReader<Uint8Array>,
  first: Uint8Array[],
  inFlight: Promise<ReadResult> | null,
  framing: Framing,
  limit: number,
): Promise<boolean> {
  const exchange = ctx.exchange;
  let sent = 0;
  const write = async (chunk: Uint8Array): Promise<void> => {
    if (chunk.length === 0) return;
    let bytes = chunk;
    if (sent + bytes.length > limit) bytes = bytes.subarray(0, limit - sent);
    sent += bytes.length;
    if (!framing.chunked) return exchange.writeBody(bytes);
    const [prefix, data, crlf] = encodeChunk(bytes);
    exchange.writeBodyNow(prefix);
    exchange.writeBodyNow(data);
    await exchange.writeBody(crlf);
  };
  try {
    for (const chunk of first) await write(chunk);
    let next = inFlight ?? reader.read();
    for (;;) {
      const result = await next;
      if (result.done) break;
      await write(toBytes(result.value));
      if (sent >= limit) break;
      next = reader.read();
    }
    if (sent >= limit) await reader.cancel().catch(() => {});
    if (framing.chunked) await exchange.writeBody(LAST_CHUNK);
  } catch (error) {
    // The client went away (or did not read in time), or the stream failed: end the connection.
    await reader.cancel(error).catch(() => {});
    exchange.abort();
    return false;
  }
  if (limit !== Infinity && sent < limit) {
    exchange.close();
    return false;
  }
  return finish(ctx, framing.keepAlive);
}

/** Bytes of an unread request body drained after a response so that the connection can be reused. */
export const DRAIN_LIMIT = 256 * 1024;

/**
 * Writes a reply decided without a `Response` (serveDir's answers on our own server: its head,
 * then its body source copied as the client takes it).
 */
export async function writeDirect(ctx: Answering, reply: DirectReply): Promise<boolean> {
  const { exchange } = ctx;
  const keepAlive = ctx.keepAlive;
  const fields = [...reply.fields, "date", httpDate(ctx.platform)];
  exchange.sendHead({
    version: "HTTP/1.1",
    status: reply.status,
    reason: reply.reason ?? STATUS_TEXT.get(reply.status)?.[0] ?? "",
    fields,
    complete: true,
    keepAlive,
  });
  const source = reply.body;
  if (source !== null) {
    try {
      for (;;) {
        const chunk = source instanceof BytesIO ? source.readNow(COPY_CHUNK) : await source.read(COPY_CHUNK);
        if (chunk.length === 0) break;
        await exchange.writeBody(chunk);
      }
    } catch {
      exchange.abort();
      return false;
    } finally {
      await source.close();
    }
  }
  return finish(ctx, keepAlive);
}
