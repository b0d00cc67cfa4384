/**
 * The chunked transfer coding (RFC 9112 §7.1): sizes, extensions (§7.1.1), trailers (§7.1.2),
 * strict CRLF framing, limits, EOF in every state.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ChunkedDecoder, LAST_CHUNK, encodeChunk } from "../src/http/chunked.js";
import { bytes, concat, drive, errorOf, scan, splitAt, summary, text, type Ev } from "./helpers.js";

const HEAD = "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
const body = (chunked: string, options = {}) => summary(scan(HEAD + chunked, options)).slice(1);

describe("chunked bodies that decode (RFC 9112 §7.1)", () => {
  it("decodes one chunk and the last chunk", () => {
    expect(body("5\r\nhello\r\n0\r\n\r\n")).toEqual(["data hello", "end", "closed"]);
  });

  it("decodes several chunks, hex sizes in either case, leading zeros", () => {
    const data = "0123456789abcdef";
    expect(body(`A\r\n${data.slice(0, 10)}\r\n0006\r\n${data.slice(10)}\r\n0\r\n\r\n`)).toEqual([`data ${data}`, "end", "closed"]);
    const big = "x".repeat(0x1f);
    expect(body(`1F\r\n${big}\r\n1f\r\n${big}\r\n000\r\n\r\n`)).toEqual([`data ${big}${big}`, "end", "closed"]);
  });

  it("passes CRLF and a fake last chunk inside chunk data through as data", () => {
    expect(body("7\r\n0\r\n\r\nab\r\n0\r\n\r\n")).toEqual(["data 0\r\n\r\nab", "end", "closed"]);
  });

  it("ignores chunk extensions of every form the grammar allows (§7.1.1)", () => {
    const exts = [
      ";a",
      ";a=b",
      ';a="b c"',
      ';a="q\\"x\\\\"',
      ';a="\xe9\x80"', // obs-text in qdtext
      ';a;b=c;d="e"',
      " ;a=b", // BWS before ";"
      "\t; a = b", // BWS around "=" and after ";"
      ";a=b ;c", // BWS before the next ";"
      ";a =b",
      ";a= b",
      ";!#$%&'*+-.^_`|~=!#$%&'*+-.^_`|~",
    ];
    for (const ext of exts) {
      expect(body(`5${ext}\r\nhello\r\n0${ext}\r\n\r\n`), JSON.stringify(ext)).toEqual(["data hello", "end", "closed"]);
    }
  });

  it("reports trailer fields on the end event, never merged into the head (§7.1.2)", () => {
    const events = scan(HEAD + "3\r\nabc\r\n0\r\nX-Sum: 1\r\nContent-Length: 50\r\n\r\nGET /2 HTTP/1.1\r\n\r\n");
    expect(summary(events)).toEqual([
      "request POST /c HTTP/1.1",
      "data abc",
      "end [X-Sum: 1, Content-Length: 50]",
      "request GET /2 HTTP/1.1", // the trailer Content-Length did not change framing
      "end",
      "closed",
    ]);
    expect(events[0]).toMatchObject({ fields: ["Transfer-Encoding", "chunked"] });
  });

  it("strips OWS from trailer values like field values", () => {
    expect(body("0\r\nA:  x \t\r\nB:\r\n\r\n")).toEqual(["end [A: x, B: ]", "closed"]);
  });

  it("accepts a chunk-size up to 2^53 - 1 (then waits for the data)", () => {
    const events = scan(HEAD + "1FFFFFFFFFFFFF\r\nabc", { eof: false });
    expect(summary(events)).toEqual(["request POST /c HTTP/1.1", "data abc"]);
  });

  it("the body is followed by the next pipelined request", () => {
    expect(summary(scan(HEAD + "1\r\na\r\n0\r\n\r\n" + HEAD + "0\r\n\r\n"))).toEqual([
      "request POST /c HTTP/1.1",
      "data a",
      "end",
      "request POST /c HTTP/1.1",
      "end",
      "closed",
    ]);
  });
});

describe("chunked framing errors → 400 and the connection is unusable (RFC 9112 §7.1)", () => {
  const bad: [string, string][] = [
    ["0x5 (hex prefix)", "0x5\r\nhello\r\n0\r\n\r\n"],
    ["+5 (sign)", "+5\r\nhello\r\n0\r\n\r\n"],
    ["-5", "-5\r\nhello\r\n0\r\n\r\n"],
    ["leading SP", " 5\r\nhello\r\n0\r\n\r\n"],
    ["0_2e (underscore)", "0_2e\r\n"],
    ["1Z (longest valid prefix)", "1Z\r\nx\r\n0\r\n\r\n"],
    ["empty size line", "\r\nhello\r\n0\r\n\r\n"],
    ["overflow FFFFFFFFFFFFFFFF0", "FFFFFFFFFFFFFFFF0\r\n"],
    ["2^53 (0x20000000000000)", "20000000000000\r\n"],
    ["bare LF after the size", "5\nhello\r\n0\r\n\r\n"],
    ["CR without LF after the size", "5\rhello\r\n0\r\n\r\n"],
    ["CR CR LF after the size", "5\r\r\nhello\r\n0\r\n\r\n"],
    ["empty extension name", "5;\r\nhello\r\n0\r\n\r\n"],
    ["extension without a name", "5;=b\r\nhello\r\n0\r\n\r\n"],
    ["extension with an empty value", "5;a=\r\nhello\r\n0\r\n\r\n"],
    ["unterminated quoted value", '5;a="b\r\nhello\r\n0\r\n\r\n'],
    ["two words as a value", "5;a=b c\r\nhello\r\n0\r\n\r\n"],
    ["two words as a name", "5;a b\r\nhello\r\n0\r\n\r\n"],
    ["CTL in a token value", "5;a=\x01\r\nhello\r\n0\r\n\r\n"],
    ["DEL in a quoted value", '5;a="\x7f"\r\nhello\r\n0\r\n\r\n'],
    ["bare LF inside an extension (Kestrel CVE-2025-55315)", "5;a\nb\r\nhello\r\n0\r\n\r\n"],
    ["bare CR inside an extension", "5;a\rb\r\nhello\r\n0\r\n\r\n"],
    ["extension before the size", ";a\r\nhello\r\n0\r\n\r\n"],
    // BWS is allowed before ";" and around "=" only (§7.1.1), never before the CRLF:
    ["SP after the size (`5 `)", "5 \r\nhello\r\n0\r\n\r\n"],
    ["HTAB after the size", "5\t\r\nhello\r\n0\r\n\r\n"],
    ["SP after the last-chunk size", "0 \r\n\r\n"],
    ["SP after an extension name", "5;a \r\nhello\r\n0\r\n\r\n"],
    ["SP after an extension value", "5;a=b \r\nhello\r\n0\r\n\r\n"],
    ["SP after a quoted extension value", '5;a="b" \r\nhello\r\n0\r\n\r\n'],
    ["SP between name and a following token", "5;a b=c\r\nhello\r\n0\r\n\r\n"],
    ["data longer than the size", "5\r\nhelloX\r\n0\r\n\r\n"],
    ["bare LF after the data", "5\r\nhello\n0\r\n\r\n"],
    ["CR without LF after the data", "5\r\nhello\rX0\r\n\r\n"],
    ["CR CR LF after the data", "5\r\nhello\r\r\n0\r\n\r\n"],
    ["no CRLF after the data at all", "5\r\nhello0\r\n\r\n"],
    ["bare LF as the final line", "0\r\n\n"],
    ["CR then not LF as the final line", "0\r\n\rX"],
    ["bare LF ending a trailer", "0\r\nX: 1\n\r\n"],
    ["bare CR inside a trailer line", "0\r\nX: 1\rY: 2\r\n\r\n"],
    ["obs-fold in the trailer section", "0\r\nX: 1\r\n y\r\n\r\n"],
    ["NUL in a trailer", "0\r\nX: a\x00b\r\n\r\n"],
  ];
  it.each(bad)("%s", (_name, chunked) => {
    const e = errorOf(HEAD + chunked);
    expect(e).toMatchObject({
      status: 400,
      code: "BAD_CHUNKED",
      message: "Bad chunked encoding",
      requestline: "POST /c HTTP/1.1",
      requestVersion: "HTTP/1.1",
      command: "POST",
    });
    expect(e.explain).toMatch(/^Invalid chunked transfer coding: .+ \(RFC 9112 §7\.1\)\.$/);
  });

  it("trailer lines must be valid field lines (no colon, SP before colon → 400)", () => {
    expect(errorOf(HEAD + "0\r\nbad\r\n\r\n")).toMatchObject({ status: 400, code: "BAD_FIELD_LINE" });
    expect(errorOf(HEAD + "0\r\nX : 1\r\n\r\n")).toMatchObject({ status: 400, code: "WS_BEFORE_COLON" });
  });

  it("never resynchronizes after an error (HTTP Garden S47): later bytes are not parsed", () => {
    const events = scan(HEAD + "5\r\nhelloXX\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n");
    expect(summary(events)).toEqual(["request POST /c HTTP/1.1", "data hello", "error 400 BAD_CHUNKED"]);
  });
});

describe("chunked limits", () => {
  it("a trailer section over maxTrailerBytes → 431", () => {
    const limits = { maxTrailerBytes: 16 };
    expect(body("0\r\nX: 12345678901\r\n\r\n", { limits })).toEqual(["end [X: 12345678901]", "closed"]);
    expect(errorOf(HEAD + "0\r\nX: 1234567890123\r\n\r\n", { limits })).toMatchObject({ status: 431, code: "BAD_CHUNKED" });
  });

  it("more trailer fields than maxFieldLines → 431", () => {
    const limits = { maxFieldLines: 3 };
    expect(body("0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", { limits })[0]).toBe("end [A: 1, B: 2, C: 3]");
    expect(errorOf(HEAD + "0\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", { limits }).status).toBe(431);
  });

  it("a chunk-size line over maxChunkLineBytes is rejected (a 70 KB extension, checklist #40)", () => {
    const e = errorOf(HEAD + "5;a=" + "x".repeat(70_000) + "\r\nhello\r\n0\r\n\r\n");
    // 400 as ConnectionLimits.maxChunkLineBytes documents (431 is for header fields).
    expect(e).toMatchObject({ status: 400, code: "BAD_CHUNKED" });
    expect(e.explain).toContain("chunk-size line too long");
  });

  it("maxChunkLineBytes counts each byte of the line once, CRLF included", () => {
    const limits = { maxChunkLineBytes: 14 };
    const line = "5;a=bc;de=fg\r\n"; // 14 bytes: size, two extensions (each re-examined at its end), CRLF
    expect(line.length).toBe(14);
    expect(body(line + "hello\r\n0\r\n\r\n", { limits })[0]).toBe("data hello");
    expect(body("5;a=bc;de=fgh\r\nhello\r\n0\r\n\r\n", { limits })[0]).toMatch(/^error \d+ BAD_CHUNKED$/);
  });

  it("leading zeros count toward the line limit rather than the size", () => {
    expect(errorOf(HEAD + "0".repeat(5000) + "5\r\nhello\r\n0\r\n\r\n").code).toBe("BAD_CHUNKED");
    expect(body("0".repeat(100) + "5\r\nhello\r\n0\r\n\r\n")[0]).toBe("data hello");
  });
});

describe("EOF inside a chunked body (RFC 9112 §8: incomplete message)", () => {
  // Every prefix of this body stops in a different decoder state: size, each extension state,
  // data, after data, CR, LF, the last chunk, trailer line, trailer CR, the final CR.
  const full = '5;a=b;c="d\\"e"\r\nhello\r\n1 ; f\r\n!\r\n0;z\r\nT: v\r\n\r\n';
  it("every truncation gives the data so far and 400 INCOMPLETE_BODY, never `end`", () => {
    for (let k = 0; k < full.length; k++) {
      const events = scan(HEAD + full.slice(0, k));
      const s = summary(events);
      expect(s[0]).toBe("request POST /c HTTP/1.1");
      expect(s[s.length - 1], `cut at ${k}`).toBe("error 400 INCOMPLETE_BODY");
      const data = events
        .filter((e): e is Extract<Ev, { type: "data" }> => e.type === "data")
        .map((e) => e.data)
        .join("");
      expect("hello!".startsWith(data), `cut at ${k}`).toBe(true);
      expect(s).not.toContain("end");
    }
    expect(body(full)).toEqual(["data hello!", "end [T: v]", "closed"]);
  });

  it("the INCOMPLETE_BODY error names the request", () => {
    expect(errorOf(HEAD + "5\r\nhel")).toMatchObject({
      status: 400,
      code: "INCOMPLETE_BODY",
      message: "Incomplete request body",
      requestline: "POST /c HTTP/1.1",
      requestVersion: "HTTP/1.1",
      command: "POST",
    });
  });
});

describe("ChunkedDecoder directly", () => {
  it("stops at data bytes and hands them to the caller", () => {
    const d = new ChunkedDecoder();
    const input = bytes("3;x\r\nabc\r\n0\r\n\r\nrest");
    let pos = d.decode(input, 0, input.length);
    expect(pos).toBe(5);
    expect(d.dataRemaining).toBe(3);
    d.skipData(2);
    expect(d.dataRemaining).toBe(1);
    d.skipData(1);
    pos = d.decode(input, 8, input.length);
    expect(d.done).toBe(true);
    expect(text(input.subarray(pos))).toBe("rest");
    expect(d.error).toBeNull();
    expect(d.trailerBytes.length).toBe(0);
  });

  it("keeps the raw trailer section", () => {
    const d = new ChunkedDecoder();
    const input = bytes("0\r\nA: 1\r\nB: 2\r\n\r\n");
    expect(d.decode(input, 0, input.length)).toBe(input.length);
    expect(text(d.trailerBytes)).toBe("A: 1\r\nB: 2\r\n");
  });

  it("returns -1 and stays failed after an error", () => {
    const d = new ChunkedDecoder();
    const input = bytes("g\r\n");
    expect(d.decode(input, 0, input.length)).toBe(-1);
    expect(d.error).toBe("invalid chunk-size");
    expect(d.tooLarge).toBe(false);
    expect(d.decode(bytes("5\r\n"), 0, 3)).toBe(-1);
  });

  it("honours maxTrailerFields", () => {
    const d = new ChunkedDecoder({ maxTrailerFields: 1 });
    const input = bytes("0\r\nA: 1\r\nB: 2\r\n\r\n");
    expect(d.decode(input, 0, input.length)).toBe(-1);
    expect(d.tooLarge).toBe(true);
  });
});

describe("encodeChunk / LAST_CHUNK (RFC 9112 §7.1)", () => {
  it("frames data as lower-case hex size, CRLF, data, CRLF", () => {
    expect(text(concat(encodeChunk(bytes("hello"))))).toBe("5\r\nhello\r\n");
    expect(text(concat(encodeChunk(new Uint8Array(255))).subarray(0, 4))).toBe("ff\r\n");
    expect(encodeChunk(new Uint8Array(0))).toEqual([]);
    expect(text(LAST_CHUNK)).toBe("0\r\n\r\n");
  });

  it("round-trips through the decoder", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 0, maxLength: 300 }), { maxLength: 6 }), (parts) => {
        const wire = concat([...parts.flatMap((p) => encodeChunk(p)), LAST_CHUNK]);
        const events = drive([bytes(HEAD), wire]);
        const data = events
          .filter((e) => e.type === "data")
          .map((e) => (e as { data: string }).data)
          .join("");
        expect(data).toBe(text(concat(parts)));
        expect(events[events.length - 2]).toEqual({ type: "end", trailers: [] });
      }),
      { numRuns: 100 },
    );
  });
});

describe("random chunked encodings decode to the same data and trailers, in any split", () => {
  const token = fc.stringMatching(/^[a-z0-9!#$%&'*+.^_`|~-]{1,6}$/);
  const ext = fc.oneof(
    token.map((n) => `;${n}`),
    fc.tuple(token, token).map(([n, v]) => `;${n}=${v}`),
    fc.tuple(token, fc.stringMatching(/^[ a-z"\\]{0,6}$/)).map(([n, v]) => `;${n}="${v.replace(/["\\]/g, "\\$&")}"`),
    fc.tuple(fc.constantFrom(" ", "\t", "  "), token).map(([w, n]) => `${w};${w}${n}${w}=${w}x`),
  );
  const chunk = fc.tuple(fc.string({ unit: "binary-ascii", minLength: 1, maxLength: 40 }), fc.array(ext, { maxLength: 2 }), fc.boolean());
  const trailer = fc.tuple(token, fc.stringMatching(/^[!-~]{0,8}$/));
  it("holds for generated bodies", () => {
    fc.assert(
      fc.property(
        fc.array(chunk, { maxLength: 5 }),
        fc.array(trailer, { maxLength: 3 }),
        fc.array(fc.nat(400), { maxLength: 4 }),
        (chunks, trailers, cuts) => {
          let wire = "";
          for (const [data, exts, upper] of chunks) {
            const size = data.length.toString(16);
            wire += `${upper ? size.toUpperCase() : size}${exts.join("")}\r\n${data}\r\n`;
          }
          wire += "0\r\n" + trailers.map(([n, v]) => `${n}: ${v}\r\n`).join("") + "\r\n";
          const input = bytes(HEAD + wire + "GET /after HTTP/1.1\r\n\r\n");
          const events = drive(
            splitAt(
              input,
              [...cuts].sort((a, b) => a - b),
            ),
          );
          const expected: string[] = ["request POST /c HTTP/1.1"];
          const data = chunks.map(([d]) => d).join("");
          if (data !== "") expected.push(`data ${data}`);
          expected.push(trailers.length === 0 ? "end" : `end [${trailers.map(([n, v]) => `${n}: ${v}`).join(", ")}]`);
          expected.push("request GET /after HTTP/1.1", "end", "closed");
          expect(summary(events)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
