/**
 * The channel against a fake socket and a fake clock: reading requests and bodies, write
 * batching and backpressure, every time limit, and closing. What the black-box suite shows over
 * real sockets, here step by step and without waiting for real time.
 */
import { describe, expect, test } from "vitest";
import { ProtocolError } from "../src/http/errors.js";
import type { RequestEvent } from "../src/http/events.js";
import type { ResponseHead } from "../src/http/response.js";
import { COALESCE_BYTES } from "../src/server/batching.js";
import { Channel, type ChannelOptions } from "../src/server/channel.js";
import { ConnectionClosedError, SendTimeoutError, SocketTimeoutError } from "../src/server/errors.js";
import { FakeClock, FakeSocket, peek, settle } from "./fakes.js";
import { bytes, text } from "./helpers.js";

function open(options: ChannelOptions = {}) {
  const socket = new FakeSocket();
  const clock = new FakeClock();
  const channel = new Channel(socket, clock.platform, options);
  return { socket, clock, channel };
}

function head(fields: string[], status = 200): ResponseHead {
  return { version: "HTTP/1.1", status, reason: "OK", fields, complete: true, keepAlive: true };
}

async function request(channel: Channel): Promise<RequestEvent> {
  const event = await channel.nextRequest();
  if (event === null || event instanceof ProtocolError) throw new Error(`expected a request, got ${String(event)}`);
  return event;
}

/** Reads the current request's body to its end; returns it as text. */
async function body(channel: Channel): Promise<string> {
  let out = "";
  for (;;) {
    const event = await channel.nextBodyEvent();
    if (event.type === "data") out += text(event.data);
    else if (event.type === "end") return out;
    else throw new Error(`body ended with ${event.type}`);
  }
}

describe("reading", () => {
  test("a head arriving in pieces resolves once, when complete", async () => {
    const { socket, channel } = open();
    const next = channel.nextRequest();
    socket.receive("GET /a HTT");
    expect(await peek(next)).toBe("pending");
    socket.receive("P/1.1\r\nHost: x\r\n");
    expect(await peek(next)).toBe("pending");
    socket.receive("\r\n");
    const event = await next;
    expect(event).toMatchObject({ method: "GET", target: "/a", fields: ["Host", "x"] });
    expect(channel.requestCount).toBe(1);
  });

  test("pipelined requests come one per cycle; the second waits for the first response", async () => {
    const { socket, channel } = open();
    socket.receive("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n");
    expect((await request(channel)).target).toBe("/1");
    channel.sendHead(head(["Content-Length", "0"]));
    expect(await channel.finishResponse(true, 65536)).toBe(true);
    expect((await request(channel)).target).toBe("/2");
  });

  test("a Content-Length body and a chunked body are read to their end", async () => {
    const { socket, channel } = open();
    socket.receive("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhel");
    await request(channel);
    expect(channel.readingBody).toBe(true);
    const read = body(channel);
    socket.receive("lo");
    expect(await read).toBe("hello");
    expect(channel.readingBody).toBe(false);
    channel.sendHead(head(["Content-Length", "0"]));
    expect(await channel.finishResponse(true, 0)).toBe(true);

    socket.receive("POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
    await request(channel);
    const chunked = body(channel);
    socket.receive("2\r\nde\r\n0\r\n\r\n");
    expect(await chunked).toBe("abcde");
  });

  test("a malformed head resolves with the ProtocolError, not a throw", async () => {
    const { socket, channel } = open();
    const next = channel.nextRequest();
    socket.receive("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n");
    const event = await next;
    expect(event).toBeInstanceOf(ProtocolError);
    expect((event as ProtocolError).status).toBe(400);
  });

  test("EOF before a request resolves null; a reset too", async () => {
    const a = open();
    const next = a.channel.nextRequest();
    a.socket.receiveEOF();
    expect(await next).toBeNull();
    const b = open();
    const other = b.channel.nextRequest();
    b.socket.reset();
    expect(await other).toBeNull();
    expect(b.channel.closed).toBe(true);
  });

  test("a body cut short by EOF ends with an error event", async () => {
    const { socket, channel } = open();
    socket.receive("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
    await request(channel);
    expect(await channel.nextBodyEvent()).toMatchObject({ type: "data" });
    const next = channel.nextBodyEvent();
    socket.receiveEOF();
    expect((await next).type).toBe("error");
  });

  test("reading pauses above readHighWaterMark with no reader, and resumes when one waits", async () => {
    const { socket, channel } = open({ readHighWaterMark: 100 });
    socket.receive("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n");
    await request(channel);
    expect(socket.paused).toBe(false);
    socket.receive("x".repeat(101));
    expect(socket.paused).toBe(true);
    let seen = 0;
    while (seen < 101) {
      const event = await channel.nextBodyEvent();
      if (event.type !== "data") throw new Error(event.type);
      seen += event.data.length;
    }
    const more = channel.nextBodyEvent();
    expect(socket.paused).toBe(false);
    socket.receive("y");
    expect(await more).toMatchObject({ type: "data" });
  });
});

describe("writing", () => {
  test("a head and a small body leave in one socket write, after the synchronous code", async () => {
    const { socket, channel } = open();
    socket.receive("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    await request(channel);
    channel.sendHead(head(["Content-Length", "5"]));
    expect(channel.writeBodyNow(bytes("hello"))).toBe(true);
    expect(socket.writes).toHaveLength(0);
    await settle();
    expect(socket.writes).toHaveLength(1);
    expect(socket.writes[0].more).toBeUndefined();
    expect(socket.sent).toBe("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
  });

  test("a head and a large body leave as one vectored write: head as chunk, body as more", async () => {
    const { socket, channel } = open();
    socket.receive("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    await request(channel);
    const large = new Uint8Array(COALESCE_BYTES).fill(0x61);
    channel.sendHead(head(["Content-Length", String(large.length)]));
    await channel.writeBody(large);
    expect(socket.writes).toHaveLength(1);
    expect(text(socket.writes[0].chunk)).toBe(`HTTP/1.1 200 OK\r\nContent-Length: ${large.length}\r\n\r\n`);
    expect(socket.writes[0].more).toBe(large);
  });

  test("small writes are joined up to COALESCE_BYTES; flush sends what is held at once", async () => {
    const { socket, channel } = open();
    socket.receive("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    await request(channel);
    channel.sendHead({ ...head([]), fields: ["Transfer-Encoding", "identity"], keepAlive: false });
    for (let i = 0; i < 10; i++) channel.writeBodyNow(bytes("0123456789"));
    expect(socket.writes).toHaveLength(0);
    expect(channel.draining).toBe(true);
    await channel.flush();
    expect(socket.writes).toHaveLength(1);
    expect(socket.sent.endsWith("0123456789".repeat(10))).toBe(true);
  });

  test("writeBody waits for drain above the high-water mark, and resolves when the client takes bytes", async () => {
    const { socket, channel } = open();
    socket.highWaterMark = 1000;
    socket.receive("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    await request(channel);
    channel.sendHead(head(["Content-Length", "40000"]));
    const first = channel.writeBody(new Uint8Array(20000));
    expect(await peek(first)).toBe("pending");
    expect(channel.draining).toBe(true);
    socket.take(10000);
    expect(await peek(first)).toBe("pending");
    socket.take();
    expect(await peek(first)).toEqual({ value: undefined });
    expect(channel.draining).toBe(false);
  });

  test("a response to a request with an unread body drains it within the limit, else closes", async () => {
    const { socket, channel } = open();
    socket.receive("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nabc");
    await request(channel);
    channel.sendHead(head(["Content-Length", "0"]));
    const done = channel.finishResponse(true, 100);
    expect(done).toBeInstanceOf(Promise);
    socket.receive("def");
    expect(await done).toBe(true);

    const other = open();
    other.socket.receive("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + "z".repeat(200));
    await request(other.channel);
    other.channel.sendHead(head(["Content-Length", "0"]));
    expect(await other.channel.finishResponse(true, 100)).toBe(false);
  });
});

describe("time limits (fake clock)", () => {
  test("the first head: nothing within headersTimeout closes silently, part of one gets 408", async () => {
    const silent = open({ headersTimeoutMs: 1000 });
    const none = silent.channel.nextRequest();
    await silent.clock.advance(999);
    expect(await peek(none)).toBe("pending");
    await silent.clock.advance(1);
    expect(await none).toBeNull();

    const partial = open({ headersTimeoutMs: 1000 });
    const some = partial.channel.nextRequest();
    partial.socket.receive("GET / HTTP/1.1\r\n");
    await partial.clock.advance(1000);
    const event = await some;
    expect(event).toBeInstanceOf(ProtocolError);
    expect(event).toMatchObject({ status: 408, code: "HEADERS_TIMEOUT" });
    // The 408 can still be sent: the connection knows the request failed.
    expect(partial.channel.canRespond).toBe(true);

    // Part of the head is the request line, consumed already: still part of a head, and the
    // error carries the line for the log.
    const fields = open({ headersTimeoutMs: 1000 });
    const stalled = fields.channel.nextRequest();
    fields.socket.receive("GET /a HTTP/1.1\r\nHost: x\r\n");
    await fields.clock.advance(1000);
    expect(await stalled).toMatchObject({ status: 408, line: { text: "GET /a HTTP/1.1", method: "GET" } });
  });

  test("a head trickling a byte at a time still ends at headersTimeout after the accept", async () => {
    const { socket, clock, channel } = open({ headersTimeoutMs: 1000, timeoutMs: 500 });
    const next = channel.nextRequest();
    for (let t = 0; t < 900; t += 100) {
      socket.receive("X");
      await clock.advance(100);
    }
    expect(await peek(next)).toBe("pending");
    socket.receive("X");
    await clock.advance(100);
    expect(await next).toMatchObject({ status: 408 });
  });

  test("between requests: idle past keepAliveTimeout closes; a next head then has headersTimeout from its first byte", async () => {
    const { socket, clock, channel } = open({ headersTimeoutMs: 1000, keepAliveTimeoutMs: 300 });
    socket.receive("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    await request(channel);
    channel.sendHead(head(["Content-Length", "0"]));
    expect(await channel.finishResponse(true, 0)).toBe(true);
    const idle = channel.nextRequest();
    await clock.advance(299);
    expect(await peek(idle)).toBe("pending");
    socket.receive("G");
    // From here the head's own limit applies, counted from the byte.
    await clock.advance(999);
    expect(await peek(idle)).toBe("pending");
    await clock.advance(1);
    expect(await idle).toMatchObject({ status: 408 });

    const other = open({ keepAliveTimeoutMs: 300 });
    other.socket.receive("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    await request(other.channel);
    other.channel.sendHead(head(["Content-Length", "0"]));
    await other.channel.finishResponse(true, 0);
    const none = other.channel.nextRequest();
    await other.clock.advance(300);
    expect(await none).toBeNull();
  });

  test("a body stalling past requestTimeout rejects with 408; each byte restarts the wait", async () => {
    const { socket, clock, channel } = open({ requestTimeoutMs: 500 });
    socket.receive("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n");
    await request(channel);
    const first = channel.nextBodyEvent();
    await clock.advance(400);
    socket.receive("a");
    expect(await first).toMatchObject({ type: "data" });
    const second = channel.nextBodyEvent();
    await clock.advance(499);
    expect(await peek(second)).toBe("pending");
    await clock.advance(1);
    const outcome = await peek(second);
    expect(outcome).toMatchObject({ error: { status: 408, code: "BODY_TIMEOUT" } });
  });

  test("Python's timeout: a read waiting longer rejects with TimeoutError('timed out')", async () => {
    const { clock, channel } = open({ timeoutMs: 200, headersTimeoutMs: 1000 });
    const next = channel.nextRequest();
    await clock.advance(200);
    const outcome = await peek(next);
    expect(outcome).toMatchObject({ error: { message: "timed out" } });
    expect((outcome as { error: unknown }).error).toBeInstanceOf(SocketTimeoutError);
  });

  test("a client taking nothing for sendTimeout aborts the write; one taking some keeps it going", async () => {
    const { socket, clock, channel } = open({ sendTimeoutMs: 1000 });
    socket.highWaterMark = 100;
    socket.receive("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    await request(channel);
    channel.sendHead(head(["Content-Length", "100000"]));
    const write = channel.writeBody(new Uint8Array(50000));
    for (let i = 0; i < 5; i++) {
      await clock.advance(900);
      socket.take(1000);
    }
    expect(await peek(write)).toBe("pending");
    // Checked once per limit: the abort comes one to two limits after the last bytes taken.
    await clock.advance(1499);
    expect(await peek(write)).toBe("pending");
    await clock.advance(1);
    const outcome = await peek(write);
    expect((outcome as { error: unknown }).error).toBeInstanceOf(SendTimeoutError);
    expect(outcome).toMatchObject({ error: { message: "no progress sending the response for 1 s" } });
  });

  test("one timer per connection at a time, none once closed", async () => {
    const { socket, clock, channel } = open({ headersTimeoutMs: 1000, keepAliveTimeoutMs: 500, requestTimeoutMs: 800, timeoutMs: 900 });
    void channel.nextRequest();
    expect(clock.pending).toBe(1);
    socket.receive("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n");
    await settle();
    void channel.nextBodyEvent();
    await clock.advance(100);
    expect(clock.pending).toBe(1);
    socket.reset();
    expect(clock.pending).toBe(0);
  });

  test("no limits, no timers", async () => {
    const { clock, channel } = open();
    const next = channel.nextRequest();
    expect(clock.pending).toBe(0);
    await clock.advance(3_600_000);
    expect(await peek(next)).toBe("pending");
  });
});

describe("closing", () => {
  test("close sends FIN, discards what still arrives, and destroys after lingerMs", async () => {
    const { socket, clock, channel } = open({ lingerMs: 2000 });
    socket.receive("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    await request(channel);
    channel.sendHead({ ...head(["Content-Length", "2"]), keepAlive: false });
    channel.writeBodyNow(bytes("ok"));
    channel.close();
    expect(socket.sent.endsWith("ok")).toBe(true);
    expect(socket.ended).toBe(true);
    expect(socket.destroyed).toBe(false);
    socket.receive("GET /ignored HTTP/1.1\r\n\r\n");
    await clock.advance(1999);
    expect(socket.destroyed).toBe(false);
    await clock.advance(1);
    expect(socket.destroyed).toBe(true);
  });

  test("close during linger ends early when the client closes too", () => {
    const { socket, channel } = open();
    channel.close();
    expect(socket.destroyed).toBe(false);
    socket.receiveEOF();
    expect(socket.destroyed).toBe(true);
  });

  test("abort drops held bytes and rejects a pending write", async () => {
    const { socket, channel } = open();
    socket.highWaterMark = 10;
    socket.receive("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    await request(channel);
    channel.sendHead(head(["Content-Length", "1000"]));
    const write = channel.writeBody(new Uint8Array(100));
    channel.abort();
    expect((await peek(write)) as { error: unknown }).toMatchObject({ error: expect.any(ConnectionClosedError) as unknown });
    expect(socket.destroyed).toBe(true);
    await expect(channel.writeBody(new Uint8Array(1))).rejects.toBeInstanceOf(ConnectionClosedError);
  });

  test("stopWhenIdle ends an idle wait at once, and a busy connection before its next request", async () => {
    const idle = open();
    const next = idle.channel.nextRequest();
    idle.channel.stopWhenIdle();
    expect(await next).toBeNull();
    expect(idle.socket.ended || idle.socket.destroyed).toBe(true);

    const busy = open();
    busy.socket.receive("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    await request(busy.channel);
    busy.channel.stopWhenIdle();
    expect(busy.socket.ended).toBe(false);
    busy.channel.sendHead(head(["Content-Length", "0"]));
    expect(await busy.channel.finishResponse(true, 0)).toBe(true);
    expect(await busy.channel.nextRequest()).toBeNull();
  });

  test("onClose runs once per listener, at once when closed already, and can be removed", () => {
    const { socket, channel } = open();
    const calls: string[] = [];
    channel.onClose(() => calls.push("a"));
    const remove = channel.onClose(() => calls.push("b"));
    remove();
    socket.receiveEOF();
    expect(calls).toEqual([]);
    socket.reset();
    expect(calls).toEqual(["a"]);
    channel.onClose(() => calls.push("c"));
    expect(calls).toEqual(["a", "c"]);
  });
});
