/**
 * Byte ranges (RFC 9110 §14): the grammar, satisfiability, the abuse limits, and fast-check
 * properties that a range selects exactly its bytes and a multipart body reassembles to them.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { type RangeLimits, type RangeOutcome, contentRange, evaluateRange, unsatisfiedRange } from "../src/http/ranges.js";

const LIMITS: RangeLimits = { maxRanges: 100, maxOverlaps: 2 };
const B = "B0UNDARY";
const range = (field: string, length: number, limits = LIMITS) => evaluateRange(field, length, limits, "text/plain", B);

/** The bytes a 206 body would carry: the single range's slice, or the whole multipart body. */
function body(outcome: RangeOutcome, file: Uint8Array): Uint8Array {
  if (outcome.type === "single") return file.subarray(outcome.range.first, outcome.range.last + 1);
  if (outcome.type !== "multipart") throw new Error(outcome.type);
  const parts: number[] = [];
  for (const part of outcome.parts) {
    for (const c of part.head) parts.push(c.charCodeAt(0));
    parts.push(...file.subarray(part.range.first, part.range.last + 1));
  }
  for (const c of outcome.closing) parts.push(c.charCodeAt(0));
  return Uint8Array.from(parts);
}

/** Parses a multipart/byteranges body back into `[Content-Range, bytes]` pairs (RFC 9110 §14.6). */
function parseMultipart(bytes: Uint8Array, boundary: string): [string, Uint8Array][] {
  const text = Array.from(bytes, (b) => String.fromCharCode(b)).join("");
  const delimiter = `--${boundary}`;
  const out: [string, Uint8Array][] = [];
  const pieces = text.split(`\r\n${delimiter}`);
  // The first piece starts with the delimiter itself (no preamble); the last is "--\r\n".
  pieces[0] = pieces[0].slice(delimiter.length);
  expect(pieces.pop()).toBe("--\r\n");
  for (const piece of pieces) {
    const end = piece.indexOf("\r\n\r\n");
    const fields = piece.slice(2, end).split("\r\n");
    const cr = fields.find((f) => f.startsWith("Content-Range: "))!.slice("Content-Range: ".length);
    out.push([cr, Uint8Array.from(piece.slice(end + 4), (c) => c.charCodeAt(0))]);
  }
  return out;
}

describe("evaluateRange", () => {
  test("int-range, open range and suffix-range (RFC 9110 §14.1.1 examples)", () => {
    expect(range("bytes=0-499", 10000)).toEqual({ type: "single", range: { first: 0, last: 499 } });
    expect(range("bytes=500-999", 10000)).toEqual({ type: "single", range: { first: 500, last: 999 } });
    expect(range("bytes=-500", 10000)).toEqual({ type: "single", range: { first: 9500, last: 9999 } });
    expect(range("bytes=9500-", 10000)).toEqual({ type: "single", range: { first: 9500, last: 9999 } });
    expect(range("bytes=0-0,-1", 10000)).toMatchObject({
      type: "multipart",
      parts: [{ range: { first: 0, last: 0 } }, { range: { first: 9999, last: 9999 } }],
    });
    // last-pos past the end is clamped; a suffix longer than the file takes it all.
    expect(range("bytes=5-100000000000000000000", 10)).toEqual({ type: "single", range: { first: 5, last: 9 } });
    expect(range("bytes=-100", 10)).toEqual({ type: "single", range: { first: 0, last: 9 } });
  });

  test("unit and white space: the unit is case-insensitive, OWS and empty elements in the list are allowed", () => {
    expect(range("BYTES=1-2", 10)).toMatchObject({ type: "single" });
    expect(range("bytes= 1-2 ,, \t3-4", 1000)).toMatchObject({ type: "multipart" });
  });

  test("a field that is not a valid byte-range set is ignored: the whole file", () => {
    for (const field of [
      "",
      "bytes",
      "bytes=",
      "bytes=,",
      "bytes=a-b",
      "bytes=1-2-3",
      "bytes=5-1",
      "bytes=1",
      "bytes=--1",
      "bytes=1 -2",
      "bytes=-",
      "bytes = 1-2",
      "b y=1-2",
      "bytes=0x1-2",
      "bytes=+1-2",
    ]) {
      expect(range(field, 100), JSON.stringify(field)).toEqual({ type: "whole", reason: "invalid" });
    }
    expect(range("items=0-1", 100)).toEqual({ type: "whole", reason: "unit" });
  });

  test("nothing satisfiable is 416: a first byte past the end, bytes=-0, any range of an empty file", () => {
    expect(range("bytes=100-", 100)).toEqual({ type: "unsatisfiable" });
    expect(range("bytes=100-200,300-", 100)).toEqual({ type: "unsatisfiable" });
    expect(range("bytes=-0", 100)).toEqual({ type: "unsatisfiable" });
    expect(range("bytes=0-", 0)).toEqual({ type: "unsatisfiable" });
    expect(range("bytes=-5", 0)).toEqual({ type: "unsatisfiable" });
    expect(range(`bytes=${"9".repeat(400)}-`, 100)).toEqual({ type: "unsatisfiable" });
    // Unsatisfiable ranges among satisfiable ones are dropped.
    expect(range("bytes=500-600,2-3", 100)).toEqual({ type: "single", range: { first: 2, last: 3 } });
  });

  test("limits: too many ranges, too many overlaps, more than the file, or a multipart body over twice the file: the whole file", () => {
    const many = "bytes=" + Array.from({ length: 101 }, (_, i) => `${i * 10}-${i * 10}`).join(",");
    expect(range(many, 100000)).toEqual({ type: "whole", reason: "limit" });
    const hundred = "bytes=" + Array.from({ length: 100 }, (_, i) => `${i * 1000}-${i * 1000 + 499}`).join(",");
    expect(range(hundred, 100000)).toMatchObject({ type: "multipart" });
    expect(range("bytes=0-10,5-15,12-20,18-30", 100000)).toEqual({ type: "whole", reason: "limit" });
    expect(range("bytes=0-10,5-15,12-20", 100000)).toMatchObject({ type: "multipart" });
    // Adjacent counts as overlapping (it could have been one range).
    expect(range("bytes=0-9,10-19,20-29,30-39", 100000)).toEqual({ type: "whole", reason: "limit" });
    expect(range("bytes=0-99,0-99", 100, { maxRanges: 100, maxOverlaps: 10 })).toEqual({ type: "whole", reason: "limit" });
    expect(range("bytes=0-0,2-2", 10)).toEqual({ type: "whole", reason: "limit" });
    // The Apache killer (CVE-2011-3192): many overlapping ranges of a large file.
    const killer = "bytes=0-," + Array.from({ length: 99 }, (_, i) => `5-${i}`).join(",");
    expect(range(killer, 10_000_000).type).toBe("whole");
  });

  test("multipart parts: the delimiter, Content-Type and Content-Range of each, in the order requested", () => {
    const outcome = range("bytes=50-59,0-9", 1000);
    if (outcome.type !== "multipart") throw new Error(outcome.type);
    expect(outcome.parts.map((p) => p.head)).toEqual([
      `--${B}\r\nContent-Type: text/plain\r\nContent-Range: bytes 50-59/1000\r\n\r\n`,
      `\r\n--${B}\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-9/1000\r\n\r\n`,
    ]);
    expect(outcome.closing).toBe(`\r\n--${B}--\r\n`);
    expect(contentRange({ first: 0, last: 9 }, 1000)).toBe("bytes 0-9/1000");
    expect(unsatisfiedRange(1000)).toBe("bytes */1000");
  });
});

describe("properties", () => {
  const file = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256);

  test("any satisfiable single range selects exactly file[first..last]", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.nat(6000), fc.option(fc.nat(7000)), (length, a, b) => {
        const outcome = range(`bytes=${a}-${b ?? ""}`, length);
        if (b !== null && b < a) return outcome.type === "whole";
        if (a >= length) return outcome.type === "unsatisfiable";
        const last = Math.min(b ?? Infinity, length - 1);
        expect(outcome).toEqual({ type: "single", range: { first: a, last } });
        expect(body(outcome, file.subarray(0, length))).toEqual(file.subarray(a, last + 1));
        return true;
      }),
    );
  });

  test("a multipart body reassembles to the requested slices, with an exact Content-Length, never over twice the file", () => {
    const spec = fc.oneof(
      fc.tuple(fc.nat(5000), fc.nat(200)).map(([a, n]) => `${a}-${a + n}`),
      fc.integer({ min: 1, max: 300 }).map((n) => `-${n}`),
    );
    let multipart = 0;
    fc.assert(
      fc.property(fc.array(spec, { minLength: 2, maxLength: 8 }), fc.integer({ min: 1000, max: 5000 }), (specs, length) => {
        const slice = file.subarray(0, length);
        const outcome = range(`bytes=${specs.join(",")}`, length);
        if (outcome.type !== "multipart") return true;
        multipart++;
        const bytes = body(outcome, slice);
        expect(bytes.length).toBe(outcome.contentLength);
        expect(bytes.length).toBeLessThanOrEqual(2 * length);
        const parts = parseMultipart(bytes, B);
        expect(parts.map(([cr]) => cr)).toEqual(outcome.parts.map((p) => contentRange(p.range, length)));
        for (const [cr, data] of parts) {
          const [, first, last] = /^bytes (\d+)-(\d+)\/\d+$/.exec(cr)!.map(Number);
          expect(data).toEqual(slice.subarray(first, last + 1));
        }
        return true;
      }),
    );
    // Most generated sets are within the limits: the property was not checked vacuously.
    expect(multipart).toBeGreaterThan(50);
  });

  test("whatever the field, the outcome is one of the four, and a partial answer stays within the file", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.nat(10000), (tail, length) => {
        const outcome = range(`bytes=${tail}`, length);
        if (outcome.type === "single") expect(outcome.range.last).toBeLessThan(length);
        if (outcome.type === "multipart") for (const p of outcome.parts) expect(p.range.last).toBeLessThan(length);
        return ["whole", "unsatisfiable", "single", "multipart"].includes(outcome.type);
      }),
    );
  });
});
