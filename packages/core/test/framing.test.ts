/**
 * Request body framing (RFC 9112 §6), persistence (RFC 9112 §9.3, docs/cpython.md §1.3),
 * `Expect: 100-continue` (RFC 9110 §10.1.1) and response framing (RFC 9112 §6.3).
 */
import { describe, expect, it } from "vitest";
import { expectsContinue, parseDecimal, protocolVersionNumber, requestKeepAlive, responseFraming } from "../src/http/framing.js";
import { errorOf, requestOf, scan, summary } from "./helpers.js";
import { runPython } from "./python.js";

const post = (version: string, ...fields: string[]) => `POST /p ${version}\r\n` + fields.map((f) => f + "\r\n").join("") + "\r\n";

describe("Content-Length (RFC 9112 §6.2, §6.3 rule 6)", () => {
  it("frames the body by Content-Length; the bytes after it are the next request", () => {
    const events = scan(post("HTTP/1.1", "Content-Length: 5") + "helloGET /next HTTP/1.1\r\n\r\n");
    expect(summary(events)).toEqual(["request POST /p HTTP/1.1", "data hello", "end", "request GET /next HTTP/1.1", "end", "closed"]);
    expect(events[0]).toMatchObject({ bodyKind: "length", contentLength: 5 });
  });

  it("request framing does not depend on the method (RFC 9112 §6.3): a GET body is read too", () => {
    expect(summary(scan("GET / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /2 HTTP/1.1\r\n\r\n"))).toEqual([
      "request GET / HTTP/1.1",
      "data abc",
      "end",
      "request GET /2 HTTP/1.1",
      "end",
      "closed",
    ]);
  });

  it("Content-Length: 0 and no framing at all mean no body (RFC 9112 §6.3 rule 7)", () => {
    expect(requestOf(post("HTTP/1.1", "Content-Length: 0"))).toMatchObject({ bodyKind: "none", contentLength: 0 });
    expect(summary(scan(post("HTTP/1.1") + "GET / HTTP/1.1\r\n\r\n"))).toEqual([
      "request POST /p HTTP/1.1",
      "end",
      "request GET / HTTP/1.1",
      "end",
      "closed",
    ]);
  });

  it("accepts leading zeros and OWS (1*DIGIT after OWS trim)", () => {
    expect(requestOf(post("HTTP/1.1", "Content-Length:  007 \t"))).toMatchObject({ bodyKind: "length", contentLength: 7 });
  });

  it("accepts up to 2^53 - 1 and rejects 2^53 (design limit: exact in a double)", () => {
    expect(scan(post("HTTP/1.1", "Content-Length: 9007199254740991"), { eof: false })[0]).toMatchObject({
      contentLength: 9007199254740991,
    });
    expect(errorOf(post("HTTP/1.1", "Content-Length: 9007199254740992")).code).toBe("CL_INVALID");
    expect(errorOf(post("HTTP/1.1", "Content-Length: 99999999999999999999999")).code).toBe("CL_INVALID");
  });

  const invalid = ["-5", "+5", "0x5", "5.0", "5 5", "", "1_0", "1e3", "5,5", "5, 5", "5,", ",5", "\x0b5", "5\xa0", "\xb2", "five"];
  it.each(invalid)("Content-Length %j → 400 (RFC 9112 §6.3 rule 5)", (value) => {
    const e = errorOf(post("HTTP/1.1", `Content-Length: ${value}`));
    expect(e).toMatchObject({
      status: 400,
      code: "CL_INVALID",
      requestline: "POST /p HTTP/1.1",
      requestVersion: "HTTP/1.1",
      command: "POST",
    });
  });

  it("quotes the bad value with repr", () => {
    expect(errorOf(post("HTTP/1.1", "Content-Length: 5,5")).message).toBe("Invalid Content-Length ('5,5')");
  });

  it("repeated Content-Length → 400, even with identical values (RFC 9112 §6.3 rule 5, no opt-in)", () => {
    for (const pair of [
      ["5", "5"],
      ["5", "6"],
      ["0", "0"],
    ]) {
      const e = errorOf(post("HTTP/1.1", `Content-Length: ${pair[0]}`, "X: y", `content-length: ${pair[1]}`));
      expect(e).toMatchObject({ status: 400, code: "CL_REPEATED", command: "POST" });
    }
  });
});

describe("Transfer-Encoding (RFC 9112 §6.1, §6.3 rule 4, §7)", () => {
  it("chunked is matched case-insensitively after OWS; empty list elements are ignored (RFC 9110 §5.6.1)", () => {
    for (const value of ["chunked", "Chunked", "CHUNKED", "  chunked\t", ", chunked", "chunked ,", ",,chunked,,"]) {
      expect(requestOf(post("HTTP/1.1", `Transfer-Encoding: ${value}`) + "0\r\n\r\n").bodyKind, value).toBe("chunked");
    }
  });

  it("Content-Length with Transfer-Encoding → 400 whatever the values or order (RFC 9112 §6.1)", () => {
    const combos = [
      ["Content-Length: 5", "Transfer-Encoding: chunked"],
      ["Transfer-Encoding: chunked", "Content-Length: 5"],
      ["Content-Length: 0", "Transfer-Encoding: chunked"],
      ["Content-Length: 5", "Transfer-Encoding: gzip"],
      ["Content-Length: 5", "Transfer-Encoding: "],
      ["Content-Length: x", "Transfer-Encoding: chunked"],
    ];
    for (const fields of combos) {
      expect(errorOf(post("HTTP/1.1", ...fields) + "0\r\n\r\n"), fields.join(" | ")).toMatchObject({
        status: 400,
        code: "CL_TE",
        command: "POST",
      });
    }
  });

  it("Transfer-Encoding in an HTTP/1.0 (or 0.9) request → 400 (RFC 9112 §6.1)", () => {
    expect(errorOf(post("HTTP/1.0", "Transfer-Encoding: chunked") + "0\r\n\r\n")).toMatchObject({
      status: 400,
      code: "TE_HTTP10",
      requestVersion: "HTTP/1.0",
    });
    expect(errorOf("GET / HTTP/0.9\r\nTransfer-Encoding: chunked\r\n\r\n").code).toBe("TE_HTTP10");
  });

  const unknown = [
    "gzip",
    "identity",
    "xchunked",
    "chunkedx",
    "gzip, chunked",
    "deflate,chunked",
    '"chunked"',
    "chunked\x0b",
    "\xa0chunked",
  ];
  it.each(unknown)("Transfer-Encoding %j (an unknown coding) → 501 (RFC 9112 §6.1)", (value) => {
    expect(errorOf(post("HTTP/1.1", `Transfer-Encoding: ${value}`))).toMatchObject({ status: 501, code: "TE_UNSUPPORTED" });
  });

  it("chunked present but not the final coding → 400, not 501 (RFC 9112 §6.3 rule 4 MUST; checklist #33)", () => {
    for (const value of ["chunked, gzip", "chunked, identity", "gzip, chunked, br", "chunked,chunked,gzip", "Chunked, x"]) {
      expect(errorOf(post("HTTP/1.1", `Transfer-Encoding: ${value}`)), value).toMatchObject({
        status: 400,
        code: "TE_CHUNKED_NOT_LAST",
      });
    }
    expect(errorOf(post("HTTP/1.1", "Transfer-Encoding: chunked", "Transfer-Encoding: gzip")).code).toBe("TE_CHUNKED_NOT_LAST");
  });

  it("chunked twice with an unknown coding is the framing error (400), not 501", () => {
    expect(errorOf(post("HTTP/1.1", "Transfer-Encoding: gzip, chunked, chunked")).status).toBe(400);
  });

  it("names the unknown coding in the message", () => {
    expect(errorOf(post("HTTP/1.1", "Transfer-Encoding: gzip, chunked")).message).toBe("Unsupported transfer coding ('gzip')");
  });

  it("chunked twice → 400, in one field or two (RFC 9112 §6.1: applied once)", () => {
    expect(errorOf(post("HTTP/1.1", "Transfer-Encoding: chunked, chunked")).code).toBe("TE_BAD");
    expect(errorOf(post("HTTP/1.1", "Transfer-Encoding: chunked", "Transfer-Encoding: chunked")).code).toBe("TE_BAD");
  });

  it("chunked with parameters → 400 (RFC 9112 §7: chunked takes none; checklist #39)", () => {
    expect(errorOf(post("HTTP/1.1", "Transfer-Encoding: chunked;q=1")).code).toBe("TE_PARAMS");
    expect(errorOf(post("HTTP/1.1", "Transfer-Encoding: chunked ; x=y")).code).toBe("TE_PARAMS");
  });

  it("an empty Transfer-Encoding → 400", () => {
    expect(errorOf(post("HTTP/1.1", "Transfer-Encoding:")).code).toBe("TE_BAD");
    expect(errorOf(post("HTTP/1.1", "Transfer-Encoding: ,")).code).toBe("TE_BAD");
  });
});

describe("requestKeepAlive (docs/cpython.md §1.3 table; RFC 9112 §9.3)", () => {
  // [request version, Connection, server version, persists?] — rows of the §1.3 table, with
  // Connection read as a token list (docs/design.md deviation).
  const rows: [[number, number], string | null, [number, number], boolean][] = [
    [[1, 1], null, [1, 0], false], // HTTP/1.0 server: never
    [[1, 1], "keep-alive", [1, 0], false],
    [[1, 0], "keep-alive", [1, 0], false],
    [[1, 1], null, [1, 1], true],
    [[1, 2], null, [1, 1], true],
    [[1, 1], "close", [1, 1], false],
    [[1, 1], "Close", [1, 1], false],
    [[1, 1], "CLOSE", [1, 1], false],
    [[1, 1], "upgrade", [1, 1], true],
    [[1, 0], null, [1, 1], false],
    [[1, 0], "keep-alive", [1, 1], true], // 1.0 client + keep-alive to a 1.1 server persists
    [[1, 0], "Keep-Alive", [1, 1], true],
    [[1, 0], "close", [1, 1], false],
    [[0, 9], null, [1, 1], false], // HTTP/0.9 never persists
    [[0, 9], "keep-alive", [1, 1], false],
    // token lists: close wins
    [[1, 1], "keep-alive, close", [1, 1], false],
    [[1, 0], "close,keep-alive", [1, 1], false],
    [[1, 1], "te, close", [1, 1], false],
    [[1, 0], "foo, keep-alive", [1, 1], true],
    [[1, 0], "keep-alive-x", [1, 1], false],
    [[1, 1], "closed", [1, 1], true],
    [[1, 1], "", [1, 1], true],
    [[1, 1], null, [2, 0], true], // a server above 1.1 counts as 1.1
  ];
  it.each(rows)("request %j, Connection %j, server %j → %s", (version, connection, server, persists) => {
    expect(requestKeepAlive(version[0], version[1], connection, server[0], server[1])).toBe(persists);
  });

  it("protocolVersionNumber reads HTTP/x.y numerically; anything else is HTTP/1.0 (deviation: CPython compares strings)", () => {
    expect(protocolVersionNumber("HTTP/1.1")).toEqual([1, 1]);
    expect(protocolVersionNumber("HTTP/1.0")).toEqual([1, 0]);
    expect(protocolVersionNumber("HTTP/1.10")).toEqual([1, 10]);
    expect(protocolVersionNumber("foo")).toEqual([1, 0]);
    expect(protocolVersionNumber("HTTP/2")).toEqual([1, 0]);
    expect(protocolVersionNumber("http/1.1")).toEqual([1, 0]);
  });
});

const CLOSE_CONNECTION = String.raw`
import io, json, sys
from http.server import BaseHTTPRequestHandler
class H(BaseHTTPRequestHandler):
    def __init__(self, raw, proto):
        self.rfile = io.BytesIO(raw)
        self.wfile = io.BytesIO()
        self.client_address = ("127.0.0.1", 0)
        self.server = None
        self.protocol_version = proto
        self.close_connection = True
    def send_error(self, *a, **k):
        raise AssertionError("unexpected error")
    def log_message(self, *a):
        pass
out = []
for line, conn, proto in json.load(sys.stdin):
    raw = line.encode("latin-1") + b"\r\n" + (b"" if conn is None else b"Connection: " + conn.encode("latin-1") + b"\r\n") + b"\r\n"
    h = H(raw, proto)
    h.raw_requestline = h.rfile.readline(65537)
    assert h.parse_request()
    out.append(not h.close_connection)
print(json.dumps(out))
`;

describe("requestKeepAlive vs CPython's close_connection (§1.2 steps 4, 11)", () => {
  // HTTP/0.9 is left out on purpose: CPython keeps `GET / HTTP/0.9` + `Connection: keep-alive`
  // open although its answer has no head and so no framing (3.13.0 does the same for the
  // two-word form, which 3.14+ no longer reads fields for). We never persist 0.9 (rows above).
  it("agrees for every single-token Connection value, version and protocol_version", () => {
    const lines: [string, number, number][] = [
      ["GET / HTTP/1.0", 1, 0],
      ["GET / HTTP/1.1", 1, 1],
      ["GET / HTTP/1.2", 1, 2],
      ["GET / HTTP/01.1", 1, 1],
      ["GET / HTTP/1.10", 1, 10],
    ];
    const conns = [null, "close", "keep-alive", "Close", "KEEP-ALIVE", "upgrade", ""];
    const protos: [string, number, number][] = [
      ["HTTP/1.0", 1, 0],
      ["HTTP/1.1", 1, 1],
    ];
    const cases: [string, string | null, string][] = [];
    const ours: boolean[] = [];
    for (const [line, major, minor] of lines) {
      for (const conn of conns) {
        for (const [proto, sMajor, sMinor] of protos) {
          cases.push([line, conn, proto]);
          ours.push(requestKeepAlive(major, minor, conn, sMajor, sMinor));
        }
      }
    }
    expect(runPython<boolean[]>(CLOSE_CONNECTION, cases)).toEqual(ours);
  });
});

describe("Expect: 100-continue (RFC 9110 §10.1.1; docs/protocol.md §4)", () => {
  const expectOf = (input: string) => requestOf(input).expectContinue;
  it("is true for HTTP/1.1 with a body and the 100-continue token, case-insensitive", () => {
    expect(expectOf(post("HTTP/1.1", "Expect: 100-continue", "Content-Length: 5"))).toBe(true);
    expect(expectOf(post("HTTP/1.1", "Expect: 100-Continue", "Transfer-Encoding: chunked"))).toBe(true);
    expect(expectOf(post("HTTP/1.1", "Expect: foo, 100-CONTINUE", "Content-Length: 1"))).toBe(true);
    expect(expectOf(post("HTTP/1.1", "Expect: foo", "Expect: 100-continue", "Content-Length: 1"))).toBe(true);
    expect(expectOf(post("HTTP/1.2", "Expect: 100-continue", "Content-Length: 1"))).toBe(true);
  });

  it("is false without a body, for HTTP/1.0 and 0.9, or for another token", () => {
    expect(expectOf(post("HTTP/1.1", "Expect: 100-continue"))).toBe(false);
    expect(expectOf(post("HTTP/1.1", "Expect: 100-continue", "Content-Length: 0"))).toBe(false);
    expect(expectOf(post("HTTP/1.0", "Expect: 100-continue", "Content-Length: 5"))).toBe(false);
    expect(expectOf("GET / HTTP/0.9\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n")).toBe(false);
    expect(expectOf(post("HTTP/1.1", "Expect: 100-continuex", "Content-Length: 5"))).toBe(false);
    expect(expectOf(post("HTTP/1.1", "Expect: 100-continue;a=b", "Content-Length: 5"))).toBe(false);
    expect(expectOf(post("HTTP/1.1", "X-Expect: 100-continue", "Content-Length: 5"))).toBe(false);
  });

  it("never changes framing: with no body the next bytes are a request; with a body, body bytes", () => {
    expect(summary(scan(post("HTTP/1.1", "Expect: 100-continue") + "GET /2 HTTP/1.1\r\n\r\n"))).toEqual([
      "request POST /p HTTP/1.1",
      "end",
      "request GET /2 HTTP/1.1",
      "end",
      "closed",
    ]);
    expect(summary(scan(post("HTTP/1.1", "Expect: 100-continue", "Content-Length: 19") + "GET /2 HTTP/1.1\r\n\r\n"))).toEqual([
      "request POST /p HTTP/1.1",
      "data GET /2 HTTP/1.1\r\n\r\n",
      "end",
      "closed",
    ]);
  });

  it("expectsContinue directly", () => {
    expect(expectsContinue(1, 1, "100-continue", { kind: "length", length: 1 })).toBe(true);
    expect(expectsContinue(1, 1, null, { kind: "length", length: 1 })).toBe(false);
    expect(expectsContinue(1, 0, "100-continue", { kind: "chunked", length: 0 })).toBe(false);
    expect(expectsContinue(2, 0, "100-continue", { kind: "chunked", length: 0 })).toBe(true);
    expect(expectsContinue(1, 1, "100-continue", { kind: "none", length: 0 })).toBe(false);
  });
});

describe("parseDecimal (RFC 9112 §6.3: Content-Length = 1*DIGIT)", () => {
  it("parses digits and rejects everything else", () => {
    expect(parseDecimal("0")).toBe(0);
    expect(parseDecimal("0012")).toBe(12);
    expect(parseDecimal("9007199254740991")).toBe(9007199254740991);
    for (const bad of ["", " 1", "1 ", "-1", "+1", "1.0", "0x1", "9007199254740992", "1a", "\u0661"]) {
      expect(parseDecimal(bad), JSON.stringify(bad)).toBe(-1);
    }
  });
});

describe("responseFraming (RFC 9112 §6.3 rules 1–3, 7, 8)", () => {
  it("no body for HEAD, 1xx, 204 and 304, whatever the fields say", () => {
    expect(responseFraming(200, true, true, ["10"], null)).toEqual({ kind: "none", length: 0 });
    for (const status of [100, 101, 199, 204, 304]) {
      expect(responseFraming(status, false, true, ["10"], "chunked").kind, String(status)).toBe("none");
    }
  });

  it("chunked when the last coding is chunked and the client is HTTP/1.1, else delimited by close", () => {
    expect(responseFraming(200, false, true, [], "chunked").kind).toBe("chunked");
    expect(responseFraming(200, false, true, [], "gzip, Chunked").kind).toBe("chunked");
    expect(responseFraming(200, false, false, [], "chunked").kind).toBe("close"); // RFC 9112 §6.1: not to 1.0
    expect(responseFraming(200, false, true, [], "chunked, gzip").kind).toBe("close");
    expect(responseFraming(200, false, true, ["5"], "chunked").kind).toBe("chunked"); // TE overrides CL (§6.3 rule 3)
  });

  it("Content-Length when there is exactly one valid value, else delimited by close", () => {
    expect(responseFraming(200, false, true, ["5"], null)).toEqual({ kind: "length", length: 5 });
    expect(responseFraming(205, false, true, ["0"], null)).toEqual({ kind: "length", length: 0 });
    expect(responseFraming(200, false, true, ["5", "5"], null).kind).toBe("close");
    expect(responseFraming(200, false, true, ["x"], null).kind).toBe("close");
    expect(responseFraming(200, false, true, [], null).kind).toBe("close");
    expect(responseFraming(205, false, true, [], null).kind).toBe("close");
  });
});
