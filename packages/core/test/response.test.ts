/**
 * The response side of ServerConnection: `sendHead` / `sendBody` / `endResponse` /
 * `responseComplete` (RFC 9112 §4, §6.3, §9.3; RFC 9110 §6.4.1, §15.2; docs/protocol.md §5).
 */
import { describe, expect, it } from "vitest";
import { LAST_CHUNK, encodeChunk } from "../src/http/chunked.js";
import { ServerConnection } from "../src/http/connection.js";
import { NEED_DATA, PAUSED } from "../src/http/events.js";
import { type ResponseHead } from "../src/http/response.js";
import { LocalProtocolError } from "../src/http/errors.js";
import { bytes, concat, sent, text } from "./helpers.js";

/** A connection that has received `request` completely (or at least its head). */
function afterRequest(request: string): ServerConnection {
  const conn = new ServerConnection();
  conn.receiveData(bytes(request));
  for (;;) {
    const ev = conn.nextEvent();
    if (ev === NEED_DATA || ev === PAUSED) return conn;
    if (ev.type === "error") throw new Error(ev.error.message);
  }
}
const GET11 = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
const GET10 = "GET / HTTP/1.0\r\n\r\n";
const HEAD11 = "HEAD / HTTP/1.1\r\n\r\n";

function head(status: number | undefined, fields: string[] = [], extra: Partial<ResponseHead> = {}): ResponseHead {
  return { version: "HTTP/1.1", status, reason: status === undefined ? undefined : "R", fields, complete: true, keepAlive: true, ...extra };
}

describe("the response head (RFC 9112 §4, §5; docs/cpython.md §2.1)", () => {
  it("serializes status line, field lines and the empty line as ISO-8859-1", () => {
    const conn = afterRequest(GET11);
    const out = conn.sendHead({
      version: "HTTP/1.1",
      status: 200,
      reason: "OK",
      fields: ["Server", "x", "Content-Length", "0", "X-Latin", "caf\u00e9"],
      complete: true,
      keepAlive: true,
    });
    expect(text(out)).toBe("HTTP/1.1 200 OK\r\nServer: x\r\nContent-Length: 0\r\nX-Latin: caf\xe9\r\n\r\n");
    expect(out[out.length - 5]).toBe(0xe9); // one byte, not UTF-8
  });

  it("keeps the space before an empty reason phrase (RFC 9112 §4 MUST, checklist #19)", () => {
    const conn = afterRequest(GET11);
    expect(text(conn.sendHead({ ...head(204), reason: "" })).startsWith("HTTP/1.1 204 \r\n")).toBe(true);
    const other = afterRequest(GET11);
    expect(text(other.sendHead({ ...head(999), reason: undefined })).startsWith("HTTP/1.1 999 \r\n")).toBe(true);
  });

  it("inserts the protocol version verbatim (CPython: `-p foo` → `foo 200 OK`, §2.1)", () => {
    const conn = afterRequest(GET11);
    expect(text(conn.sendHead({ ...head(200, ["Content-Length", "0"]), version: "foo", reason: "OK" })).startsWith("foo 200 OK\r\n")).toBe(
      true,
    );
  });

  it("rejects CR, LF or NUL in the reason or version, and non-Latin-1 text (RFC 9112 §11.1)", () => {
    for (const bad of [
      { reason: "a\r\nX: y" },
      { reason: "a\nb" },
      { reason: "a\x00" },
      { reason: "\u0100" },
      { version: "HTTP/1.1\r\n" },
    ]) {
      const conn = afterRequest(GET11);
      expect(() => conn.sendHead({ ...head(200), ...bad }), JSON.stringify(bad)).toThrow(LocalProtocolError);
      expect(conn.ourState).toBe("SEND_RESPONSE"); // nothing was recorded
    }
  });

  it("rejects a field-name that is not a token and CR, LF or NUL in a field-value (RFC 9112 §11.1, issue 2)", () => {
    const bad = [
      ["X-A\r\nSet-Cookie", "x"],
      ["X A", "x"],
      ["", "x"],
      ["X:", "x"],
      ["X", "a\r\nSet-Cookie: x"],
      ["X", "a\rb"],
      ["X", "a\nb"],
      ["X", "a\x00b"],
      ["X", "\u0100"],
    ];
    for (const field of bad) {
      const conn = afterRequest(GET11);
      expect(() => conn.sendHead(head(200, ["Content-Length", "0", ...field])), JSON.stringify(field)).toThrow(LocalProtocolError);
      expect(conn.ourState).toBe("SEND_RESPONSE"); // nothing was recorded
      expect(() => conn.sendHead(head(100, field)), `interim ${JSON.stringify(field)}`).toThrow(LocalProtocolError);
      expect(() => conn.sendHead(head(undefined, field)), `raw ${JSON.stringify(field)}`).toThrow(LocalProtocolError);
    }
  });

  it("can only be sent while a response is due", () => {
    expect(() => new ServerConnection().sendHead(head(200))).toThrow(LocalProtocolError);
    const conn = afterRequest(GET11);
    conn.sendHead(head(200, ["Content-Length", "0"]));
    conn.endResponse(true);
    expect(() => conn.sendHead(head(200))).toThrow(/cannot send a response head in state DONE/);
    expect(() => sent(conn, bytes("x"))).toThrow(LocalProtocolError);
    expect(() => conn.endResponse(true)).toThrow(LocalProtocolError);
    expect(() => new ServerConnection().sendBody(bytes("x"))).toThrow(LocalProtocolError);
    expect(() => new ServerConnection().endResponse(false)).toThrow(LocalProtocolError);
  });
});

describe("Content-Length responses (RFC 9112 §6.3 rule 6; RFC 9110 §8.6)", () => {
  it("exact length: complete and reusable", () => {
    const conn = afterRequest(GET11);
    conn.sendHead(head(200, ["Content-Length", "5"]));
    expect(conn.responseComplete).toBe(false);
    const part = bytes("hel");
    expect(sent(conn, part)).toBe(part); // returned unchanged, not copied
    expect(conn.responseComplete).toBe(false);
    sent(conn, bytes("lo"));
    expect(conn.responseComplete).toBe(true);
    expect(conn.endResponse(true)).toBe(true);
    expect(conn.ourState).toBe("DONE");
  });

  it("short: incomplete, the connection must close (RFC 9112 §8)", () => {
    const conn = afterRequest(GET11);
    conn.sendHead(head(200, ["Content-Length", "5"]));
    sent(conn, bytes("hell"));
    expect(conn.responseComplete).toBe(false);
    expect(conn.endResponse(true)).toBe(false);
    expect([conn.theirState, conn.ourState]).toEqual(["MUST_CLOSE", "MUST_CLOSE"]);
  });

  it("over: broken, stays broken, must close", () => {
    const conn = afterRequest(GET11);
    conn.sendHead(head(200, ["content-length", "5"]));
    sent(conn, bytes("hello!"));
    expect(conn.responseComplete).toBe(false);
    sent(conn, new Uint8Array(0));
    expect(conn.responseComplete).toBe(false);
    expect(conn.endResponse(true)).toBe(false);
  });

  it("Content-Length: 0 with no body is complete", () => {
    const conn = afterRequest(GET11);
    conn.sendHead(head(200, ["Content-Length", "0"]));
    expect(conn.responseComplete).toBe(true);
  });

  it("an invalid or repeated Content-Length makes the response close-delimited", () => {
    for (const fields of [
      ["Content-Length", "5x"],
      ["Content-Length", "5", "Content-Length", "5"],
    ]) {
      const conn = afterRequest(GET11);
      const out = text(conn.sendHead(head(200, fields)));
      expect(out.endsWith("Connection: close\r\n\r\n"), out).toBe(true);
      sent(conn, bytes("hello"));
      expect(conn.endResponse(true)).toBe(false);
    }
  });

  it("keep-alive is the caller's decision: a complete response with keepAlive false closes", () => {
    const conn = afterRequest(GET11);
    conn.sendHead(head(200, ["Content-Length", "0"], { keepAlive: false }));
    expect(conn.endResponse(false)).toBe(false);
    expect(conn.ourState).toBe("MUST_CLOSE");
  });

  it("HTTP/1.0 keep-alive with a Content-Length response is reusable (docs/cpython.md §1.3)", () => {
    const conn = afterRequest("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    conn.sendHead(head(200, ["Content-Length", "2"]));
    sent(conn, bytes("ok"));
    expect(conn.endResponse(true)).toBe(true);
  });
});

describe("close-delimited responses and `Connection: close` insertion (RFC 9112 §6.3 rule 8, §9.6)", () => {
  it("adds `Connection: close` after the fields when the handler still meant to keep the connection", () => {
    const conn = afterRequest(GET11);
    expect(text(conn.sendHead(head(200, ["Content-Type", "text/plain"])))).toBe(
      "HTTP/1.1 R\r\n".replace("R", "200 R") + "Content-Type: text/plain\r\nConnection: close\r\n\r\n",
    );
    sent(conn, bytes("anything"));
    expect(conn.responseComplete).toBe(false);
    expect(conn.endResponse(true)).toBe(false);
  });

  it("does not add it when the handler sent its own Connection field, or does not keep alive", () => {
    const own = afterRequest(GET11);
    expect(text(own.sendHead(head(200, ["connection", "close"])))).toBe("HTTP/1.1 200 R\r\nconnection: close\r\n\r\n");
    const noKeep = afterRequest(GET11);
    expect(text(noKeep.sendHead(head(200, [], { keepAlive: false })))).toBe("HTTP/1.1 200 R\r\n\r\n");
  });

  it("adds it for an HTTP/1.0 client too", () => {
    const conn = afterRequest("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    expect(text(conn.sendHead(head(200)))).toContain("Connection: close\r\n");
  });
});

describe("chunked responses written by the handler are observed to completion (RFC 9112 §7.1)", () => {
  const chunkedHead = head(200, ["Transfer-Encoding", "chunked"]);

  it("encodeChunk pieces + LAST_CHUNK: complete and reusable", () => {
    const conn = afterRequest(GET11);
    expect(text(conn.sendHead(chunkedHead))).toBe("HTTP/1.1 200 R\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (const piece of encodeChunk(bytes("hello"))) sent(conn, piece);
    expect(conn.responseComplete).toBe(false);
    for (const piece of encodeChunk(new Uint8Array(300))) sent(conn, piece);
    sent(conn, LAST_CHUNK);
    expect(conn.responseComplete).toBe(true);
    expect(conn.endResponse(true)).toBe(true);
  });

  it("is observed byte by byte, with extensions and trailers", () => {
    const conn = afterRequest(GET11);
    conn.sendHead(chunkedHead);
    const wire = bytes('3;x="y"\r\nabc\r\n0\r\nX-Checksum: 1\r\n\r\n');
    for (let i = 0; i < wire.length; i++) {
      expect(conn.responseComplete, `at ${i}`).toBe(false);
      sent(conn, wire.subarray(i, i + 1));
    }
    expect(conn.responseComplete).toBe(true);
  });

  it("without the last chunk it is incomplete; after it, more bytes break it", () => {
    const a = afterRequest(GET11);
    a.sendHead(chunkedHead);
    a.sendBody(bytes("5\r\nhello\r\n"));
    expect(a.endResponse(true)).toBe(false);
    const b = afterRequest(GET11);
    b.sendHead(chunkedHead);
    b.sendBody(bytes("0\r\n\r\nX"));
    expect(b.responseComplete).toBe(false);
    expect(b.endResponse(true)).toBe(false);
  });

  it("malformed chunking by the handler breaks the response (the client could not delimit it)", () => {
    for (const wire of ["zz\r\n", "5\r\nhelloX", "5\nhello\r\n0\r\n\r\n"]) {
      const conn = afterRequest(GET11);
      conn.sendHead(chunkedHead);
      sent(conn, bytes(wire));
      sent(conn, LAST_CHUNK);
      expect(conn.responseComplete, JSON.stringify(wire)).toBe(false);
      expect(conn.endResponse(true)).toBe(false);
    }
  });

  it("Transfer-Encoding: chunked to an HTTP/1.0 client is close-delimited (RFC 9112 §6.1)", () => {
    const conn = afterRequest("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    expect(text(conn.sendHead(chunkedHead))).toContain("Connection: close\r\n");
    sent(conn, LAST_CHUNK);
    expect(conn.endResponse(true)).toBe(false);
  });
});

describe("responses without a body: HEAD, 1xx, 204, 304 (RFC 9112 §6.3 rules 1–2; RFC 9110 §9.3.2)", () => {
  it("HEAD: Content-Length describes the GET body; no body is sent; reusable", () => {
    const conn = afterRequest(HEAD11);
    const out = text(conn.sendHead(head(200, ["Content-Length", "1234"])));
    expect(out).not.toContain("Connection: close");
    expect(conn.responseComplete).toBe(true);
    expect(conn.endResponse(true)).toBe(true);
  });

  it("HEAD: body bytes break the response", () => {
    const conn = afterRequest(HEAD11);
    conn.sendHead(head(200, ["Content-Length", "5"]));
    sent(conn, bytes("hello"));
    expect(conn.endResponse(true)).toBe(false);
  });

  it("204 and 304 without a body are complete, even with Content-Length (304) or none (204)", () => {
    for (const [status, fields] of [
      [204, []],
      [304, ["Content-Length", "10"]],
      [304, []],
    ] as [number, string[]][]) {
      const conn = afterRequest(GET11);
      const out = text(conn.sendHead(head(status, fields)));
      expect(out, String(status)).not.toContain("Connection: close");
      expect(conn.responseComplete).toBe(true);
      expect(conn.endResponse(true)).toBe(true);
    }
  });

  it("204 with body bytes is broken", () => {
    const conn = afterRequest(GET11);
    conn.sendHead(head(204));
    sent(conn, bytes("x"));
    expect(conn.endResponse(true)).toBe(false);
  });
});

describe("interim responses (RFC 9110 §15.2)", () => {
  it("100 Continue and 103 Early Hints precede the final response", () => {
    const conn = afterRequest("POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
    expect(text(conn.sendHead({ ...head(100), reason: "Continue" }))).toBe("HTTP/1.1 100 Continue\r\n\r\n");
    expect(conn.ourState).toBe("SEND_RESPONSE");
    expect(text(conn.sendHead({ ...head(103, ["Link", "</a>; rel=preload"]), reason: "Early Hints" }))).toBe(
      "HTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n",
    );
    conn.receiveData(bytes("ok"));
    expect(conn.nextEvent().type).toBe("data");
    expect(conn.nextEvent().type).toBe("end");
    conn.sendHead(head(200, ["Content-Length", "0"]));
    expect(conn.endResponse(true)).toBe(true);
  });

  it("is refused to HTTP/1.0 and HTTP/0.9 clients (RFC 9110 §15.2 MUST NOT, checklist #50)", () => {
    for (const request of [GET10, "GET / HTTP/0.9\r\n\r\n", "GET /\r\n"]) {
      const conn = afterRequest(request);
      expect(() => conn.sendHead({ ...head(100), reason: "Continue" }), request).toThrow(LocalProtocolError);
      expect(conn.ourState).toBe("SEND_RESPONSE");
    }
  });

  it("an unfinished 1xx head is raw output, not an interim response", () => {
    const conn = afterRequest(GET11);
    expect(text(conn.sendHead(head(100, [], { complete: false })))).toBe("HTTP/1.1 100 R\r\n");
    expect(conn.ourState).toBe("SEND_BODY");
    expect(conn.endResponse(true)).toBe(false);
  });
});

describe("raw output: bytes the core cannot delimit make the connection close", () => {
  it("body bytes before any head (CPython-style HTTP/0.9 answer, or wfile writes)", () => {
    const conn = afterRequest(GET11);
    const page = bytes("<html></html>");
    expect(sent(conn, page)).toBe(page);
    expect(conn.ourState).toBe("SEND_BODY");
    expect(conn.responseComplete).toBe(false);
    expect(conn.endResponse(true)).toBe(false);
  });

  it("a head without a status line (field lines only, e.g. a CGI script's)", () => {
    const conn = afterRequest(GET11);
    expect(text(conn.sendHead(head(undefined, ["Content-Length", "0"])))).toBe("Content-Length: 0\r\n\r\n");
    expect(conn.endResponse(true)).toBe(false);
  });

  it("an unfinished head gets no empty line", () => {
    const conn = afterRequest(GET11);
    expect(text(conn.sendHead(head(200, ["Content-Length", "0"], { complete: false })))).toBe("HTTP/1.1 200 R\r\nContent-Length: 0\r\n");
    expect(conn.endResponse(true)).toBe(false);
  });

  it("a second final head", () => {
    const conn = afterRequest(GET11);
    conn.sendHead(head(200, ["Content-Length", "0"]));
    expect(text(conn.sendHead(head(200, ["Content-Length", "0"])))).toBe("HTTP/1.1 200 R\r\nContent-Length: 0\r\n\r\n");
    expect(conn.endResponse(true)).toBe(false);
  });

  it("any answer to an HTTP/0.9 request ends the connection", () => {
    const conn = afterRequest("GET /\r\n");
    sent(conn, bytes("page"));
    expect(conn.endResponse(true)).toBe(false);
  });

  it("a response to a protocol error is never reusable", () => {
    const conn = new ServerConnection();
    conn.receiveData(bytes("GET / HTTP/1.1\r\nX : y\r\n\r\n"));
    expect(conn.nextEvent().type).toBe("error");
    conn.sendHead(head(400, ["Content-Length", "0"]));
    expect(conn.responseComplete).toBe(true);
    expect(conn.endResponse(true)).toBe(false);
  });
});

describe("whole exchanges", () => {
  it("a keep-alive connection carries three responses of different framings", () => {
    const conn = new ServerConnection();
    conn.receiveData(bytes(GET11 + HEAD11 + GET11));
    const wire: Uint8Array[] = [];
    const next = () => {
      expect(conn.nextEvent().type).toBe("request");
      expect(conn.nextEvent().type).toBe("end");
    };
    next();
    wire.push(conn.sendHead(head(200, ["Content-Length", "2"])), sent(conn, bytes("ok")));
    expect(conn.endResponse(true)).toBe(true);
    conn.startNextCycle();
    next();
    wire.push(conn.sendHead(head(200, ["Content-Length", "2"])));
    expect(conn.endResponse(true)).toBe(true);
    conn.startNextCycle();
    next();
    wire.push(conn.sendHead(head(200, ["Transfer-Encoding", "chunked"])));
    for (const piece of [...encodeChunk(bytes("hi")), LAST_CHUNK]) wire.push(sent(conn, piece));
    expect(conn.endResponse(true)).toBe(true);
    expect(text(concat(wire))).toBe(
      "HTTP/1.1 200 R\r\nContent-Length: 2\r\n\r\nok" +
        "HTTP/1.1 200 R\r\nContent-Length: 2\r\n\r\n" +
        "HTTP/1.1 200 R\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
    );
  });
});
