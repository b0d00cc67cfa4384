/**
 * Field lines (RFC 9112 §5, RFC 9110 §5.5) and the head limits (docs/cpython.md §1.1,
 * §1.2 step 10, §1.6).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseFieldLines } from "../src/http/head.js";
import { ProtocolError, NO_REQUEST_LINE } from "../src/http/errors.js";
import { bytes, errorOf, requestOf, scan, summary } from "./helpers.js";
import { runPython } from "./python.js";

const RL = "GET / HTTP/1.1\r\n";
const head = (...lines: string[]) => RL + lines.map((l) => l + "\r\n").join("") + "\r\n";

describe("field lines (RFC 9112 §5)", () => {
  it("keeps names as sent and order, duplicates included", () => {
    expect(requestOf(head("Host: a", "X-A: 1", "x-a: 2", "ACCEPT: */*")).fields).toEqual([
      "Host",
      "a",
      "X-A",
      "1",
      "x-a",
      "2",
      "ACCEPT",
      "*/*",
    ]);
  });

  it("strips OWS around the value, keeps inner white space (RFC 9112 §5.1, RFC 9110 §5.5)", () => {
    expect(requestOf(head("X:   a  b \t", "Y:\tc", "Z:d")).fields).toEqual(["X", "a  b", "Y", "c", "Z", "d"]);
  });

  it("accepts an empty value and colons inside the value", () => {
    expect(requestOf(head("X:", "Y:   ", "Z: a:b::")).fields).toEqual(["X", "", "Y", "", "Z", "a:b::"]);
  });

  it("accepts any tchar in names (RFC 9110 §5.6.2)", () => {
    const name = "!#$%&'*+-.^_`|~09AZaz";
    expect(requestOf(head(`${name}: v`)).fields).toEqual([name, "v"]);
  });

  it("decodes values as ISO-8859-1: obs-text bytes become U+0080–U+00FF (RFC 9112 §2.2; §1.4)", () => {
    expect(requestOf(head("X: caf\xe9 \x80\xff")).fields).toEqual(["X", "caf\u00e9 \u0080\u00ff"]);
  });

  it("keeps control characters other than NUL and CR in values, as CPython does (§1.4)", () => {
    expect(requestOf(head("X: a\x0bb\x01c\x7fd\x1fe")).fields).toEqual(["X", "a\x0bb\x01c\x7fd\x1fe"]);
  });

  it("accepts LF-only and mixed line ends (RFC 9112 §2.2 MAY)", () => {
    expect(requestOf("GET / HTTP/1.1\nA: 1\r\nB: 2\n\r\n").fields).toEqual(["A", "1", "B", "2"]);
    expect(requestOf("GET / HTTP/1.1\r\nA: 1\n\n").fields).toEqual(["A", "1"]);
  });

  it("joins repeated Connection fields for the keep-alive decision (RFC 9110 §5.3)", () => {
    expect(requestOf(head("Connection: a", "Connection: b")).connection).toBe("a,b");
    expect(requestOf(head("Host: x")).connection).toBeNull();
  });
});

describe("field-line errors → 400 (RFC 9112 §5.1, §5.2, §2.2; RFC 9110 §5.5)", () => {
  const cases: [string, string, string][] = [
    ["obs-fold continuation line", head("X: a", " b"), "OBS_FOLD"],
    ["obs-fold with HTAB", head("X: a", "\tb"), "OBS_FOLD"],
    ["white space before the first field line (RFC 9112 §2.2)", head(" Host: a"), "OBS_FOLD"],
    ["folded Transfer-Encoding", head("Transfer-Encoding:", " chunked"), "OBS_FOLD"],
    ["SP before the colon (§5.1)", head("Host : a"), "WS_BEFORE_COLON"],
    ["HTAB before the colon (§5.1)", head("Host\t: a"), "WS_BEFORE_COLON"],
    ["several blanks before the colon", head("Content-Length \t : 5"), "WS_BEFORE_COLON"],
    ["a line without a colon", head("Host a"), "BAD_FIELD_LINE"],
    ["a name-only line", head("Host"), "BAD_FIELD_LINE"],
    ["an empty name", head(": a"), "BAD_FIELD_LINE"],
    ["a non-token name", head("Ho(st: a"), "BAD_FIELD_LINE"],
    ["obs-text in a name", head("X\xe9: a"), "BAD_FIELD_LINE"],
    ["VT before the colon", head("Transfer-Encoding\x0b: chunked"), "BAD_FIELD_LINE"],
    ["NUL in a value (RFC 9110 §5.5)", head("X: a\x00b"), "FIELD_NUL"],
    ["NUL in a name", head("X\x00: a"), "FIELD_NUL"],
    ["bare CR in a value (§2.2)", head("X: a\rb"), "BARE_CR"],
    ["CR CR LF", "GET / HTTP/1.1\r\nX: a\r\r\n\r\n", "BARE_CR"],
    ["bare CR as a line end", "GET / HTTP/1.1\r\nX: a\rY: b\r\n\r\n", "BARE_CR"],
    ["bare CR before the blank line", "GET / HTTP/1.1\r\nX: a\r\n\rY: b\r\n\r\n", "BARE_CR"],
  ];
  it.each(cases)("%s", (_name, input, code) => {
    const e = errorOf(input);
    expect(e).toMatchObject({ status: 400, code, requestVersion: "HTTP/1.1", requestline: "GET / HTTP/1.1" });
  });

  it("names the offending line in BAD_FIELD_LINE messages with repr", () => {
    expect(errorOf(head("Host a")).message).toBe("Bad header line ('Host a')");
  });

  it("an error in any field line rejects the whole head (no CPython-style silent stop, §1.4)", () => {
    // CPython stops parsing at `badline` and ignores the Connection: close after it.
    expect(errorOf(head("badline", "Connection: close")).code).toBe("BAD_FIELD_LINE");
  });
});

describe("head limits (docs/cpython.md §1.1, §1.2 step 10, §1.6)", () => {
  it("a request line of 65536 bytes including CRLF is accepted; one more byte → 414 (§1.1 step 1)", () => {
    const target = (n: number) => "/" + "a".repeat(n);
    const fixed = "GET  HTTP/1.1\r\n".length; // 15 bytes besides the target
    const ok = `GET ${target(65536 - fixed - 1)} HTTP/1.1\r\n`;
    expect(ok.length).toBe(65536);
    expect(summary(scan(ok + "\r\n"))[0]).toBe(`request GET ${target(65536 - fixed - 1)} HTTP/1.1`);
    const over = `GET ${target(65536 - fixed)} HTTP/1.1\r\n`;
    expect(over.length).toBe(65537);
    expect(errorOf(over + "\r\n")).toEqual({
      type: "error",
      status: 414,
      code: "LINE_TOO_LONG",
      message: "URI Too Long",
      explain: undefined,
      requestline: "",
      requestVersion: "", // CPython sets request_version '' so a status line is sent
      command: null,
    });
  });

  it("counts a bare LF as the line ending for the 65536 limit", () => {
    const line = (n: number) => `GET /${"b".repeat(n)} HTTP/1.1\n`;
    const n = 65536 - "GET / HTTP/1.1\n".length;
    expect(line(n).length).toBe(65536);
    expect(scan(line(n) + "\n")[0].type).toBe("request");
    expect(errorOf(line(n + 1) + "\n").status).toBe(414);
  });

  it("414 as soon as more than 65536 bytes arrive without LF (nothing else is read, §1.1 step 1)", () => {
    expect(summary(scan("G".repeat(70000), { eof: false }))).toEqual(["error 414 LINE_TOO_LONG"]);
  });

  it("a field line of 65536 bytes including CRLF is accepted; 65537 → 431 `Line too long` (§1.2 step 10)", () => {
    const field = (n: number) => "X: " + "v".repeat(n - 5);
    expect((field(65536) + "\r\n").length).toBe(65538 - 2);
    const r = requestOf(head("A: 1", field(65536), "B: 2"));
    expect(r.fields.length).toBe(6);
    const e = errorOf(head("A: 1", field(65537), "B: 2"));
    expect(e).toMatchObject({
      status: 431,
      code: "FIELD_LINE_TOO_LONG",
      message: "Line too long",
      explain: "got more than 65536 bytes when reading header line",
      requestline: "GET / HTTP/1.1",
      requestVersion: "HTTP/1.1", // the 431 carries a status line (§1.6)
    });
  });

  it("99 field lines are accepted, 100 → 431 `Too many headers` (the blank line counts, §1.2 step 10, §10.2)", () => {
    const fields = (n: number) => Array.from({ length: n }, (_, i) => `H${i}: ${i}`);
    expect(requestOf(head(...fields(99))).fields.length).toBe(198);
    expect(errorOf(head(...fields(100)))).toMatchObject({
      status: 431,
      code: "TOO_MANY_FIELDS",
      message: "Too many headers",
      explain: "got more than 100 headers",
      requestVersion: "HTTP/1.1",
    });
  });

  it("a request line of exactly 65536 bytes ended by EOF is a line, not a 414 (CPython readline(65537), §1.1)", () => {
    // Checked on CPython 3.13: handle_one_request() serves it.
    const line = "GET /" + "a".repeat(65536 - "GET / HTTP/1.1".length) + " HTTP/1.1";
    expect(line.length).toBe(65536);
    expect(summary(scan(line))[0]).toBe(`request GET ${line.slice(4, -9)} HTTP/1.1`);
    expect(errorOf(line + "x").status).toBe(414);
  });

  it("a field line of exactly 65536 bytes ended by EOF is a field, not a 431 (§1.2 step 10)", () => {
    const field = "X: " + "v".repeat(65533);
    expect(scan(RL + field)[0]).toMatchObject({ type: "request", fields: ["X", "v".repeat(65533)] });
    expect(errorOf(RL + field + "v").code).toBe("FIELD_LINE_TOO_LONG");
  });

  it("honours configured limits (maxFieldLines, maxLineBytes)", () => {
    const limits = { maxFieldLines: 4, maxLineBytes: 32 };
    expect(requestOf(head("A: 1", "B: 2", "C: 3"), { limits }).fields.length).toBe(6);
    expect(errorOf(head("A: 1", "B: 2", "C: 3", "D: 4"), { limits })).toMatchObject({
      status: 431,
      explain: "got more than 4 headers",
    });
    expect(errorOf(head("A: " + "x".repeat(40)), { limits })).toMatchObject({
      status: 431,
      explain: "got more than 32 bytes when reading header line",
    });
    expect(errorOf("GET /" + "x".repeat(40) + " HTTP/1.1\r\n\r\n", { limits }).status).toBe(414);
  });

  it("rejects a head larger than maxHeadBytes with 431", () => {
    const limits = { maxHeadBytes: 100 };
    const fields = Array.from({ length: 10 }, (_, i) => `Field-${i}: ${"v".repeat(10)}`);
    expect(errorOf(head(...fields), { limits })).toMatchObject({ status: 431, code: "HEAD_TOO_LARGE" });
    expect(requestOf(head(...fields.slice(0, 3)), { limits }).fields.length).toBe(6);
  });
});

describe("head limits do not depend on how the bytes arrive (docs/design.md: split invariance)", () => {
  // Each of these gave a different error (or none) byte by byte than whole.
  it("the empty line may straddle maxHeadBytes, whole or byte by byte", () => {
    const limits = { maxHeadBytes: 40 };
    const upTo40 = RL + "X: " + "a".repeat(40 - 16 - 5) + "\r\n";
    expect(upTo40.length).toBe(40);
    expect(summary(scan(upTo40 + "\r\n", { limits }))).toEqual(["request GET / HTTP/1.1", "end", "closed"]);
    expect(errorOf(upTo40 + "Y: 1\r\n\r\n", { limits }).code).toBe("HEAD_TOO_LARGE");
  });

  it("a field line over maxLineBytes that also crosses maxHeadBytes is always `Line too long`", () => {
    const limits = { maxHeadBytes: 40, maxLineBytes: 30 };
    expect(errorOf(RL + "A: 1\r\nB: " + "b".repeat(40) + "\r\n\r\n", { limits }).code).toBe("FIELD_LINE_TOO_LONG");
  });

  it("the field line over maxFieldLines that also crosses maxHeadBytes is always `Too many headers`", () => {
    const limits = { maxHeadBytes: 40, maxFieldLines: 3 };
    expect(errorOf(RL + "A: 1\r\nB: 2\r\nC: " + "c".repeat(30) + "\r\n\r\n", { limits }).code).toBe("TOO_MANY_FIELDS");
  });

  it("a partial line ended by EOF counts toward maxHeadBytes", () => {
    const limits = { maxHeadBytes: 40 };
    expect(errorOf(RL + "X: " + "a".repeat(30), { limits }).code).toBe("HEAD_TOO_LARGE");
  });
});

describe("EOF inside the head (docs/cpython.md §1.2: EOF ends the headers)", () => {
  it("EOF after a complete field line ends the head", () => {
    expect(summary(scan("GET / HTTP/1.1\r\nHost: a\r\n"))).toEqual(["request GET / HTTP/1.1", "end", "closed"]);
  });

  it("EOF inside a field line takes the partial line as a field", () => {
    const events = scan("GET / HTTP/1.1\r\nHost: a\r\nX: partial");
    expect(events[0]).toMatchObject({ fields: ["Host", "a", "X", "partial"] });
    expect(scan("GET / HTTP/1.1\r\nX: y\r")[0]).toMatchObject({ fields: ["X", "y"] });
  });

  it("EOF right after the request line gives a request without fields", () => {
    expect(scan("GET / HTTP/1.1\r\n")[0]).toMatchObject({ type: "request", fields: [] });
  });

  it("a 100th field line ended by EOF → 431 `Too many headers`; 99 fields then EOF are accepted (§1.2 step 10)", () => {
    // CPython appends the partial line, then b'' at EOF: 101 entries > 100 (checked on 3.13).
    const fields = Array.from({ length: 99 }, (_, i) => `H${i}: ${i}\r\n`).join("");
    expect(summary(scan(RL + fields + "Last: x"))).toEqual(["error 431 TOO_MANY_FIELDS"]);
    expect(scan(RL + fields)[0]).toMatchObject({ type: "request" });
    expect(scan(RL + fields.slice(0, -2))[0]).toMatchObject({ type: "request" });
  });

  it("the CR of the empty line then EOF ends the head (CPython's e-mail parser ends a line at CR)", () => {
    expect(summary(scan(RL + "Host: a\r\n\r"))).toEqual(["request GET / HTTP/1.1", "end", "closed"]);
    expect(scan(RL + "\r")[0]).toMatchObject({ type: "request", fields: [] });
  });

  it("a partial line at EOF is still checked (obs-fold, no colon)", () => {
    expect(errorOf("GET / HTTP/1.1\r\nA: 1\r\n b").code).toBe("OBS_FOLD");
    expect(errorOf("GET / HTTP/1.1\r\nA: 1\r\nnocolon").code).toBe("BAD_FIELD_LINE");
  });
});

describe("parseFieldLines directly", () => {
  it("summarizes the framing fields and returns ProtocolError objects", () => {
    const block = bytes("Content-Length: 5\r\nTRANSFER-ENCODING: a\r\ntransfer-encoding: b\r\nExpect: 100-continue\r\n");
    const s = parseFieldLines(block, 0, block.length, { text: "GET / HTTP/1.1", method: "GET", version: "HTTP/1.1" });
    expect(s).toMatchObject({
      contentLengthCount: 1,
      contentLength: "5",
      transferEncoding: "a,b",
      expect: "100-continue",
      connection: null,
    });
    expect(parseFieldLines(bytes("X a\r\n"), 0, 5, NO_REQUEST_LINE)).toBeInstanceOf(ProtocolError);
  });

  it("counts every Content-Length line and keeps the last value", () => {
    const block = bytes("content-length: 1\r\nContent-Length: 2\r\n");
    expect(parseFieldLines(block, 0, block.length, NO_REQUEST_LINE)).toMatchObject({ contentLengthCount: 2, contentLength: "2" });
  });

  it("only looks at bytes inside [start, end)", () => {
    const block = bytes("\x00\x00A: 1\r\n\x00");
    expect(parseFieldLines(block, 2, 8, NO_REQUEST_LINE)).toMatchObject({ fields: ["A", "1"] });
  });
});

// ---------------------------------------------------------------------------------------------
// Differential: valid field sections through http.client.parse_headers (CPython §1.4).
// ---------------------------------------------------------------------------------------------

const PARSE_HEADERS = String.raw`
import http.client, io, json, sys
out = []
for block in json.load(sys.stdin):
    msg = http.client.parse_headers(io.BytesIO(block.encode("latin-1")))
    out.append([[k, v] for k, v in msg.items()])
print(json.dumps(out))
`;

describe("valid field sections vs CPython's http.client.parse_headers (§1.4)", () => {
  const tchar = fc.constantFrom(..."!#$%&'*+-.^_`|~0123456789ABCXYZabcxyz".split(""));
  const name = fc.array(tchar, { minLength: 1, maxLength: 8 }).map((a) => a.join(""));
  const vchar = fc.oneof(fc.integer({ min: 0x21, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }), fc.constantFrom(0x20, 0x09));
  const value = fc.array(vchar, { maxLength: 12 }).map((a) => String.fromCharCode(...a));
  const ows = fc.constantFrom("", " ", "  ", "\t", " \t");
  const line = fc.tuple(name, ows, value, fc.constantFrom("\r\n", "\n"));
  const section = fc.array(line, { maxLength: 8 });

  it("gives the same names and values (CPython keeps trailing white space; we strip it)", () => {
    const sections = fc.sample(section, { numRuns: 400, seed: 7 });
    const blocks = sections.map((lines) => lines.map(([n, o, v, e]) => `${n}:${o}${v}${e}`).join("") + "\r\n");
    const py = runPython<[string, string][][]>(PARSE_HEADERS, blocks);
    blocks.forEach((block, i) => {
      const ours = requestOf(RL + block).fields;
      const theirs = py[i].flatMap(([k, v]) => [k, v.replace(/[ \t]+$/, "")]);
      expect(ours, JSON.stringify(block)).toEqual(theirs);
    });
  });
});
