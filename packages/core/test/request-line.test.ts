/**
 * The request-line: CPython's word and version rules (docs/cpython.md §1.2, §1.6) where
 * they are safe, RFC 9112 §2.2/§3 strictness for CR and control characters.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseRequestLine, parseVersion } from "../src/http/head.js";
import { ProtocolError } from "../src/http/errors.js";
import { pyRepr as pyReprOf } from "../src/http/repr.js";
import { bytes, errorOf, requestOf, scan, summary, type Err, type Req } from "./helpers.js";
import { runPython } from "./python.js";

describe("request-line words (docs/cpython.md §1.2)", () => {
  it("parses method, target and version of a plain HTTP/1.1 line", () => {
    const r = requestOf("GET /a?b=1 HTTP/1.1\r\n\r\n");
    expect(r).toMatchObject({
      method: "GET",
      target: "/a?b=1",
      version: "HTTP/1.1",
      major: 1,
      minor: 1,
      requestline: "GET /a?b=1 HTTP/1.1",
      simple: false,
      bodyKind: "none",
    });
  });

  it("accepts bare LF line ends (RFC 9112 §2.2 MAY; CPython readline stops at LF, §1.1)", () => {
    expect(summary(scan("GET / HTTP/1.1\nHost: a\n\n"))).toEqual(["request GET / HTTP/1.1", "end", "closed"]);
    expect(requestOf("GET / HTTP/1.1\nHost: a\n\n").fields).toEqual(["Host", "a"]);
  });

  it("splits on runs of spaces and ignores leading/trailing white space (§1.2 step 2: str.split())", () => {
    const r = requestOf("  GET   /x    HTTP/1.0  \r\n\r\n");
    expect([r.method, r.target, r.version]).toEqual(["GET", "/x", "HTTP/1.0"]);
    // requestline is the raw line without its line ending (§1.2 step 1), surrounding blanks kept.
    expect(r.requestline).toBe("  GET   /x    HTTP/1.0  ");
  });

  // §1.2 step 2: after ISO-8859-1 decoding these bytes are white space to str.split().
  const pyWhitespace = [0x09, 0x0b, 0x0c, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0];
  it.each(pyWhitespace)("byte 0x%s separates request-line words (§1.2 step 2)", (b) => {
    const sep = String.fromCharCode(b);
    const r = requestOf(`GET${sep}/p${sep}HTTP/1.1\r\n\r\n`);
    expect([r.method, r.target, r.version]).toEqual(["GET", "/p", "HTTP/1.1"]);
  });

  it("a raw NBSP inside the path makes an extra word: 4 words → 400 with a status line (§1.2 step 5, §10.14)", () => {
    const e = errorOf("GET /a\xa0b HTTP/1.1\r\n\r\n");
    expect(e).toMatchObject({
      status: 400,
      code: "REQUEST_LINE_WORDS",
      message: "Bad request syntax ('GET /a\\xa0b HTTP/1.1')",
      requestVersion: "HTTP/1.1",
      command: null,
    });
  });

  it("keeps obs-text and C1 bytes other than NEL in the target as Latin-1 characters (RFC 9112 §2.2, §1.2 step 1)", () => {
    const r = requestOf("GET /\xe9\x80\xff HTTP/1.1\r\n\r\n");
    expect(r.target).toBe("/\u00e9\u0080\u00ff");
  });

  it("the method is case-sensitive and any token is passed on (RFC 9112 §3.1; 501 is the handler's)", () => {
    expect(requestOf("get / HTTP/1.1\r\n\r\n").method).toBe("get");
    expect(requestOf("M-SEARCH * HTTP/1.1\r\n\r\n")).toMatchObject({ method: "M-SEARCH", target: "*" });
  });

  it("two words GET is an HTTP/0.9 request: no field lines are read, the connection closes (§1.2 steps 7, 9)", () => {
    const events = scan("GET /index.html\r\nHost: x\r\n\r\n");
    expect(summary(events)).toEqual(["request GET /index.html HTTP/0.9", "end", "close"]);
    expect(events[0]).toMatchObject({ simple: true, major: 0, minor: 9, fields: [], bodyKind: "none" });
  });

  it("three words with HTTP/0.9 are not the simple form: fields are read (§1.2 step 9)", () => {
    const r = requestOf("GET / HTTP/0.9\r\nHost: x\r\n\r\n");
    expect(r).toMatchObject({ simple: false, major: 0, minor: 9, version: "HTTP/0.9", fields: ["Host", "x"] });
  });

  it("EOF inside the request line ends it, as CPython's readline does (§1.1)", () => {
    expect(summary(scan("GET /eof HTTP/1.1"))).toEqual(["request GET /eof HTTP/1.1", "end", "closed"]);
    expect(summary(scan("GET /eof"))).toEqual(["request GET /eof HTTP/0.9", "end", "close"]);
  });

  it("EOF before any byte is a clean close without an error (§1.1 step 2)", () => {
    expect(summary(scan(""))).toEqual(["closed"]);
  });
});

describe("request-line errors (docs/cpython.md §1.6)", () => {
  it("an empty line is an error with status 0: close without answering (§1.2 step 3)", () => {
    for (const input of ["\r\n", "\n", " \t \r\n", "\x0b\x0c\r\n", "\r\nGET / HTTP/1.1\r\n\r\n"]) {
      const e = errorOf(input);
      expect(e.status, JSON.stringify(input)).toBe(0);
      expect(e.code).toBe("EMPTY_REQUEST_LINE");
    }
  });

  it("an empty line at EOF without LF is also a silent close (§1.2 step 3)", () => {
    expect(errorOf("   ").status).toBe(0);
  });

  it("one word → 400 `Bad request syntax ('GET')`, answered without a status line (§1.6)", () => {
    const e = errorOf("GET\r\n\r\n");
    expect(e).toEqual<Err>({
      type: "error",
      status: 400,
      code: "REQUEST_LINE_WORDS",
      message: "Bad request syntax ('GET')",
      explain: undefined,
      requestline: "GET",
      requestVersion: undefined, // still the default HTTP/0.9: body-only answer
      command: null,
    });
  });

  it("two words, not GET → 400 `Bad HTTP/0.9 request type ('POST')`, without a status line (§1.6)", () => {
    const e = errorOf("POST /x\r\n\r\n");
    expect(e).toMatchObject({
      status: 400,
      code: "HTTP09_METHOD",
      message: "Bad HTTP/0.9 request type ('POST')",
      explain: undefined,
      requestline: "POST /x",
      requestVersion: undefined,
    });
    expect(errorOf("get /x\r\n").message).toBe("Bad HTTP/0.9 request type ('get')");
  });

  it("four or more words with a valid last word → 400 with a status line (§1.2 step 5)", () => {
    const e = errorOf("GET / x HTTP/1.0\r\n\r\n");
    expect(e).toMatchObject({
      status: 400,
      code: "REQUEST_LINE_WORDS",
      message: "Bad request syntax ('GET / x HTTP/1.0')",
      requestline: "GET / x HTTP/1.0",
      requestVersion: "HTTP/1.0",
      command: null,
    });
    expect(errorOf("GET /spaced out HTTP/1.1\r\n\r\n").requestVersion).toBe("HTTP/1.1");
  });

  it("the version is checked before the word count: 4 words with a bad or 2.0 version (§1.2 steps 4–5)", () => {
    expect(errorOf("GET / x FOO\r\n\r\n")).toMatchObject({ status: 400, code: "BAD_VERSION", message: "Bad request version ('FOO')" });
    expect(errorOf("GET / x HTTP/2.0\r\n\r\n")).toMatchObject({ status: 505, message: "Invalid HTTP version (2.0)" });
  });

  it("uses Python's repr for the messages: quote choice and escapes (§1.6, %r)", () => {
    expect(errorOf("GET / HTTP/'1\r\n").message).toBe(`Bad request version ("HTTP/'1")`);
    expect(errorOf("GET / HTTP/'1\"\r\n").message).toBe(`Bad request version ('HTTP/\\'1"')`);
    expect(errorOf("GET / a\\b HTTP/1.1\r\n").message).toBe("Bad request syntax ('GET / a\\\\b HTTP/1.1')");
    expect(errorOf("GET / HTTP/\xe91.1\r\n").message).toBe("Bad request version ('HTTP/\xe91.1')");
  });

  it("rejects a bare CR in the request line with 400 (RFC 9112 §2.2; CPython would split on it)", () => {
    for (const input of ["GET /\rx HTTP/1.1\r\n\r\n", "GET / HTTP/1.1\r\r\n\r\n", "GET\r/ HTTP/1.1\r\n\r\n"]) {
      const e = errorOf(input);
      expect(e.status, JSON.stringify(input)).toBe(400);
      expect(e.code).toBe("BARE_CR");
      expect(e.requestVersion).toBe(""); // answered with a status line
    }
  });

  it("rejects control characters other than Python white space with 400 (RFC 9112 §3, RFC 5234 CTL)", () => {
    for (const c of [0x00, 0x01, 0x08, 0x0e, 0x1b, 0x7f]) {
      const e = errorOf(`GET /a${String.fromCharCode(c)}b HTTP/1.1\r\n\r\n`);
      expect(e.status, `0x${c.toString(16)}`).toBe(400);
      expect(e.code).toBe("REQUEST_LINE_CTL");
      expect(e.message).toBe(`Bad request syntax ('GET /a\\x${c.toString(16).padStart(2, "0")}b HTTP/1.1')`);
    }
  });

  it("a line starting with such a character is rejected at once, before its LF (h11's early detection)", () => {
    // A TLS ClientHello sent to the plain port need not contain an LF: waiting for one would hang.
    const hello = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + "r".repeat(40);
    for (const eof of [false, true]) {
      const e = errorOf(hello, { eof });
      expect(e).toMatchObject({ status: 400, code: "REQUEST_LINE_CTL", message: "Bad request syntax ('\\x16')", requestline: "\x16" });
      expect(e.explain).toContain("TLS");
    }
    // Decided by the first byte alone: the same error whatever follows, even past the line limit.
    expect(errorOf("\x00garbage\r\n\r\n")).toMatchObject({ code: "REQUEST_LINE_CTL", message: "Bad request syntax ('\\x00')" });
    expect(errorOf("\x7f" + "a".repeat(70_000), { eof: false })).toMatchObject({ status: 400, code: "REQUEST_LINE_CTL" });
    // Python white space first is not a control character here: CPython skips it.
    expect(errorOf("\x0bGET / HTTP/1.1 x\r\n").code).toBe("BAD_VERSION");
  });

  it("a control character wins over a later bad word count (the line is rejected as a whole)", () => {
    expect(errorOf("\x01\r\n").code).toBe("REQUEST_LINE_CTL");
  });
});

describe("HTTP-version (docs/cpython.md §1.2; RFC 9110 §2.5)", () => {
  const accepted: [string, number, number][] = [
    ["HTTP/1.0", 1, 0],
    ["HTTP/1.1", 1, 1],
    ["HTTP/01.1", 1, 1], // leading zeros allowed
    ["HTTP/1.01", 1, 1],
    ["HTTP/1.2", 1, 2], // a higher minor is served (RFC 9110 §2.5)
    ["HTTP/1.10", 1, 10],
    ["HTTP/0.9", 0, 9],
    ["HTTP/0.0", 0, 0],
    ["HTTP/0000000001.9999999999", 1, 9999999999], // 10 digits each is the maximum
  ];
  it.each(accepted)("%s is accepted as %i.%i and kept verbatim", (version, major, minor) => {
    const r = requestOf(`GET / ${version}\r\n\r\n`);
    expect(r).toMatchObject({ version, major, minor });
    expect(parseVersion(version)).toEqual([major, minor]);
  });

  const unsupported: [string, string][] = [
    ["HTTP/2.0", "2.0"],
    ["HTTP/3.0", "3.0"],
    ["HTTP/02.0", "02.0"],
    ["HTTP/9999999999.0", "9999999999.0"],
    ["HTTP/2.99", "2.99"],
  ];
  it.each(unsupported)("%s (>= 2.0) → 505 `Invalid HTTP version (%s)`", (version, base) => {
    const e = errorOf(`GET / ${version}\r\n\r\n`);
    expect(e).toMatchObject({
      status: 505,
      code: "VERSION_NOT_SUPPORTED",
      message: `Invalid HTTP version (${base})`,
      explain: undefined,
      requestline: `GET / ${version}`,
      // Deliberate deviation (docs/design.md): a real status line, CPython sends the page only.
      requestVersion: "",
      command: null,
    });
  });

  const bad = [
    "FOO/1.0",
    "HTTP/1.1.1",
    "HTTP/+1.1",
    "HTTP/1.+1",
    "HTTP/-1.1",
    "HTTP/909876543210.0", // more than 10 digits
    "HTTP/1.12345678901",
    "http/1.1", // case-sensitive (RFC 9112 §2.3)
    "HTTP/1",
    "HTTP/1.",
    "HTTP/.1",
    "HTTP/",
    "HTTP//1.1",
    "HTTP/1.1a",
    "HTTP/0x1.1",
    "HTTP/1_0.1",
    "HTTP/\xb2.0", // '²'.isdigit() but int('²') fails → 400 (§1.2 note)
    "HTTP/1.\xb9",
    "HTTPS/1.1",
    "xHTTP/1.1",
  ];
  it.each(bad)("%j → 400 `Bad request version (...)` with a status line", (version) => {
    const e = errorOf(`GET / ${version}\r\n\r\n`);
    expect(e).toMatchObject({ status: 400, code: "BAD_VERSION", requestline: `GET / ${version}`, requestVersion: "" });
    expect(e.message).toMatch(/^Bad request version \(/);
    expect(parseVersion(version)).toBeNull();
  });

  it("formats the bad version with repr (§1.6 row 5)", () => {
    expect(errorOf("GET / FOO/1.0\r\n").message).toBe("Bad request version ('FOO/1.0')");
    expect(errorOf("GET / HTTP/1.1.1\r\n").message).toBe("Bad request version ('HTTP/1.1.1')");
    expect(errorOf("GET / HTTP/+1.1\r\n").message).toBe("Bad request version ('HTTP/+1.1')");
    expect(errorOf("GET / HTTP/909876543210.0\r\n").message).toBe("Bad request version ('HTTP/909876543210.0')");
  });
});

describe("parseRequestLine directly", () => {
  it("returns null for a blank line and ProtocolError objects for errors", () => {
    expect(parseRequestLine(bytes("  \r"), 0, 3)).toBeNull();
    expect(parseRequestLine(bytes("GET"), 0, 3)).toBeInstanceOf(ProtocolError);
    const ok = parseRequestLine(bytes("xxGET / HTTP/1.1\ryy"), 2, 17);
    expect(ok).toMatchObject({ method: "GET", target: "/", version: "HTTP/1.1", requestline: "GET / HTTP/1.1" });
  });
});

// ---------------------------------------------------------------------------------------------
// Differential: the same lines through CPython's BaseHTTPRequestHandler.parse_request.
// ---------------------------------------------------------------------------------------------

const PARSE_REQUEST = String.raw`
import io, json, sys
from http.server import BaseHTTPRequestHandler
class H(BaseHTTPRequestHandler):
    def __init__(self, raw):
        self.rfile = io.BytesIO(raw)
        self.wfile = io.BytesIO()
        self.client_address = ("127.0.0.1", 0)
        self.server = None
        self.close_connection = True
        self.err = None
    def send_error(self, code, message=None, explain=None):
        self.err = [int(code), message, explain, self.request_version]
    def log_message(self, *args):
        pass
out = []
for line in json.load(sys.stdin):
    h = H(line.encode("latin-1") + b"\r\n\r\n")
    h.raw_requestline = h.rfile.readline(65537)
    ok = h.parse_request()
    out.append({"ok": bool(ok), "err": h.err, "command": h.command,
                "path": getattr(h, "path", None), "version": h.request_version,
                "requestline": getattr(h, "requestline", None)})
print(json.dumps(out))
`;

interface PyParse {
  ok: boolean;
  err: [number, string | null, string | null, string] | null;
  command: string | null;
  path: string | null;
  version: string;
  requestline: string | null;
}

/** CPython's `//` collapse of the path (§1.2 step 8), which is the handler's job, not the core's. */
function collapse(path: string): string {
  return path.startsWith("//") ? "/" + path.replace(/^\/+/, "") : path;
}

function hasCtlOrCR(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 0x0d) return true;
    if ((c < 0x20 || c === 0x7f) && ![0x09, 0x0b, 0x0c, 0x1c, 0x1d, 0x1e, 0x1f].includes(c)) return true;
  }
  return false;
}

/**
 * The deliberate differences on lines with a CR or a control character, which httpserver always
 * answers `400 Bad request syntax (…)` with a status line (RFC 9112 §2.2, §3; docs/deviations.md,
 * protocol core). Each line lands in exactly one class, by what CPython 3.13.0 does with it.
 */
const CTL_DEVIATIONS = {
  accepted: "CPython accepts the line (it splits words on CR and passes control characters on)",
  silent: "CPython strips the trailing CRs and closes silently (nothing left of the line)",
  otherError: "CPython answers another 400 or a 505 (its words differ once CR splits them)",
  bodyOnly: "CPython answers the same message without a status line (its default HTTP/0.9)",
} as const;

describe("request line vs CPython's parse_request (differential, §1.2)", () => {
  const pieces = [
    "GET",
    "POST",
    "get",
    "HEAD",
    "/",
    "/a",
    "//x//y",
    "*",
    "http://h/p",
    "x",
    "HTTP/1.1",
    "HTTP/1.0",
    "HTTP/0.9",
    "HTTP/2.0",
    "HTTP/01.1",
    "HTTP/1.10",
    "HTTP/1.1.1",
    "HTTP/+1.1",
    "HTTP/",
    "HTTP/1",
    "FOO/1.0",
    "HTTP/12345678901.0",
    "HTTP/1.\xb2",
    "HTTP/3.0",
    "'",
    '"',
    "\\",
    "\xe9",
  ];
  const sep = fc.oneof(
    { arbitrary: fc.constantFrom(" ", " ", " ", "  ", "\t", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\xa0", ""), weight: 12 },
    { arbitrary: fc.constantFrom("\x00", "\x01", "\x7f", "\r"), weight: 1 },
  );
  const lineArb = fc
    .array(fc.tuple(sep, fc.constantFrom(...pieces)), { minLength: 0, maxLength: 5 })
    .chain((words) => sep.map((tail) => words.map(([s, w]) => s + w).join("") + tail));

  it("agrees on every generated line; lines with CR or a control character differ only as listed", () => {
    const lines = fc.sample(lineArb, { numRuns: 1500, seed: 20240611 });
    lines.push("GET / HTTP/1.1", "GET /", "GET", "POST /", "GET / x HTTP/1.0", "", "   ", "GET //a//b HTTP/1.0");
    // Lines with CR or a control character, chosen to reach every class.
    lines.push("GET /a\x01 HTTP/1.1", "\r", "GE\rT / HTTP/1.1", "GET / HTTP/1.1\r", "GET /\x7f", "\x01", "GET / HTTP/1.1\x00");
    const py = runPython<PyParse[]>(PARSE_REQUEST, lines);
    let compared = 0;
    const classes = new Map<string, number>();
    lines.forEach((line, i) => {
      const p = py[i];
      const events = scan(line + "\r\n\r\n");
      const first = events[0];
      const where = JSON.stringify(line);
      if (hasCtlOrCR(line)) {
        // Ours: always 400 with a status line, the message naming the whole line.
        expect(first, where).toMatchObject({ type: "error", status: 400, requestVersion: "" });
        const e = first as Err;
        expect(["BARE_CR", "REQUEST_LINE_CTL"], where).toContain(e.code);
        // A first byte that no method can start with is rejected on its own (docs/deviations.md).
        const c0 = line.charCodeAt(0);
        const early = c0 === 0x7f || (c0 < 0x20 && ![0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f].includes(c0));
        expect(e.message, where).toBe(`Bad request syntax (${pyReprOf(early ? line[0] : line)})`);
        let cls: keyof typeof CTL_DEVIATIONS;
        if (p.ok) cls = "accepted";
        else if (p.err === null) cls = "silent";
        else if (p.err[0] !== 400 || p.err[1] !== e.message) cls = "otherError";
        else if (p.err[3] === "HTTP/0.9") cls = "bodyOnly";
        else {
          // The same answer as CPython's, status line included.
          compared++;
          return;
        }
        classes.set(cls, (classes.get(cls) ?? 0) + 1);
        return;
      }
      compared++;
      if (p.err === null && !p.ok) {
        expect(first, where).toMatchObject({ type: "error", status: 0 });
      } else if (p.err === null) {
        expect(first.type, where).toBe("request");
        const r = first as Req;
        expect(r.method, where).toBe(p.command);
        expect(collapse(r.target), where).toBe(p.path);
        expect(r.version, where).toBe(p.version);
        expect(r.requestline, where).toBe(p.requestline);
      } else {
        const [code, message, explain, version] = p.err;
        expect(first.type, where).toBe("error");
        const e = first as Err;
        expect(e.status, where).toBe(code);
        expect(e.message, where).toBe(message);
        expect(e.explain ?? null, where).toBe(explain);
        if (e.code === "BAD_VERSION" || e.code === "VERSION_NOT_SUPPORTED") {
          // Deviation (docs/design.md): these are answered with a status line.
          expect(e.requestVersion, where).toBe("");
        } else if (version === "HTTP/0.9") {
          // Body-only answer either way: the default version, or an accepted literal HTTP/0.9.
          expect([undefined, "HTTP/0.9"], where).toContain(e.requestVersion);
        } else {
          expect(e.requestVersion, where).toBe(version);
        }
      }
    });
    expect(compared).toBeGreaterThan(1000);
    // Every listed class occurs (so the list is not stale), and no other difference does.
    expect([...classes.keys()].sort()).toEqual(Object.keys(CTL_DEVIATIONS).sort());
  });
});
