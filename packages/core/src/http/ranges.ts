/**
 * Byte ranges (RFC 9110 §14): a `Range` field evaluated against a representation's length, with
 * limits against abuse, and the framing of a `multipart/byteranges` body (§14.6). Pure
 * arithmetic on strings and numbers: the handler reads the bytes.
 * @module
 */

import { isToken } from "./chars.ts";

/** A satisfiable byte range: bytes `first` through `last`, both included (RFC 9110 §14.1.1). */
export interface ByteRange {
  readonly first: number;
  readonly last: number;
}

/** Limits on one `Range` field; a request over any of them gets the whole representation. */
export interface RangeLimits {
  /** Most range-specs in the field (the handler's `maxRanges`, default 100). */
  maxRanges: number;
  /**
   * Most ranges that overlap or touch an earlier one, in order of their first byte (the handler's
   * `maxRangeOverlaps`, default 2).
   */
  maxOverlaps: number;
}

/** One part of a `multipart/byteranges` body: its head (boundary and fields), then its bytes. */
export interface MultipartPart {
  readonly range: ByteRange;
  /** The delimiter and the part's fields, up to and including the empty line (ASCII). */
  readonly head: string;
}

/** What to answer to a request with a `Range` field (RFC 9110 §14.2, §15.3.7, §15.5.17). */
export type RangeOutcome =
  /**
   * The whole representation, 200: the field is not a valid byte-range set (`"invalid"`), names
   * another range unit (`"unit"`), or is over a limit (`"limit"`).
   */
  | { readonly type: "whole"; readonly reason: "invalid" | "unit" | "limit" }
  /** 416 with `Content-Range: bytes *\/length`: no range overlaps the representation. */
  | { readonly type: "unsatisfiable" }
  /** 206 with `Content-Range: bytes first-last/length`. */
  | { readonly type: "single"; readonly range: ByteRange }
  /** 206 `multipart/byteranges; boundary=…`: the parts in the order requested, then `closing`. */
  | {
      readonly type: "multipart";
      readonly boundary: string;
      readonly parts: readonly MultipartPart[];
      readonly closing: string;
      /** The body's exact length in bytes. */
      readonly contentLength: number;
    };

/** A multipart body may be at most this many times the representation's length. */
const MAX_MULTIPART_RATIO = 2;

const WHOLE_INVALID: RangeOutcome = Object.freeze({ type: "whole", reason: "invalid" });

/**
 * A run of ASCII digits as a number (`Infinity` past the largest double), or `-1` if `s` is not
 * `1*DIGIT`. Numbers past 2^53 lose precision, which cannot matter: they are past any length.
 */
function digits(s: string): number {
  if (s.length === 0) return -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
  }
  return Number(s);
}

/** A range-spec as written: an int-range (`last` `Infinity` when open) or a suffix-range. */
type RangeSpec = { first: number; last: number } | { suffix: number };

/** The range-specs of a `bytes` range-set, or `null` when the set is invalid (§14.1.1). */
function parseRangeSet(set: string): RangeSpec[] | null {
  const specs: RangeSpec[] = [];
  for (const raw of set.split(",")) {
    // OWS around list elements; empty elements are ignored (RFC 9110 §5.6.1.2).
    const spec = raw.replace(/^[ \t]+|[ \t]+$/g, "");
    if (spec === "") continue;
    const dash = spec.indexOf("-");
    if (dash < 0) return null;
    const before = spec.slice(0, dash);
    const after = spec.slice(dash + 1);
    if (before === "") {
      const suffix = digits(after);
      if (suffix < 0) return null;
      specs.push({ suffix });
      continue;
    }
    const first = digits(before);
    if (first < 0) return null;
    if (after === "") {
      specs.push({ first, last: Infinity });
      continue;
    }
    const last = digits(after);
    // last-pos before first-pos makes the range-spec, and the field, invalid (§14.1.1).
    if (last < 0 || last < first) return null;
    specs.push({ first, last });
  }
  return specs.length === 0 ? null : specs;
}

/**
 * Evaluates a `Range` field against a representation of `length` bytes (RFC 9110 §14.1.2):
 * an int-range is satisfiable when its first byte exists; a suffix-range when it asks for at
 * least one byte; a representation of length 0 satisfies none. Unsatisfiable specs are dropped;
 * if none is left, 416. Limits (after Apache's CVE-2011-3192 fix and Go's `ServeContent`): more
 * than `maxRanges` specs, more than `maxOverlaps` overlapping or adjacent ranges, ranges adding
 * up to more than the length, or a multipart body over twice the length all get the whole
 * representation, so that a response is never much larger than the file.
 *
 * @param field the `Range` field-value.
 * @param length the selected representation's length in bytes.
 * @param contentType the representation's `Content-Type`, repeated in each multipart part.
 * @param boundary the multipart boundary: 1–70 characters of RFC 2046's `bchars`, not occurring in
 *   the content (random, from the caller).
 */
export function evaluateRange(field: string, length: number, limits: RangeLimits, contentType: string, boundary: string): RangeOutcome {
  const eq = field.indexOf("=");
  if (eq < 0) return WHOLE_INVALID;
  const unit = field.slice(0, eq);
  if (!isToken(unit)) return WHOLE_INVALID;
  if (unit.toLowerCase() !== "bytes") return { type: "whole", reason: "unit" };
  const specs = parseRangeSet(field.slice(eq + 1));
  if (specs === null) return WHOLE_INVALID;
  if (specs.length > limits.maxRanges) return { type: "whole", reason: "limit" };
  const ranges: ByteRange[] = [];
  for (const spec of specs) {
    if ("suffix" in spec) {
      // The last `suffix` bytes, or all of them when fewer.
      if (spec.suffix > 0 && length > 0) ranges.push({ first: Math.max(0, length - spec.suffix), last: length - 1 });
    } else if (spec.first < length) {
      ranges.push({ first: spec.first, last: Math.min(spec.last, length - 1) });
    }
  }
  if (ranges.length === 0) return { type: "unsatisfiable" };
  if (ranges.length === 1) return { type: "single", range: ranges[0] };
  if (!withinLimits(ranges, length, limits.maxOverlaps)) return { type: "whole", reason: "limit" };
  const parts: MultipartPart[] = [];
  let contentLength = 0;
  for (let i = 0; i < ranges.length; i++) {
    const { first, last } = ranges[i];
    const head =
      (i === 0 ? "" : "\r\n") + `--${boundary}\r\nContent-Type: ${contentType}\r\nContent-Range: bytes ${first}-${last}/${length}\r\n\r\n`;
    parts.push({ range: ranges[i], head });
    contentLength += head.length + (last - first + 1);
  }
  const closing = `\r\n--${boundary}--\r\n`;
  contentLength += closing.length;
  if (contentLength > MAX_MULTIPART_RATIO * length) return { type: "whole", reason: "limit" };
  return { type: "multipart", boundary, parts, closing, contentLength };
}

/** At most `maxOverlaps` ranges overlap or touch an earlier one, and the lengths add up to at most `length`. */
function withinLimits(ranges: readonly ByteRange[], length: number, maxOverlaps: number): boolean {
  let total = 0;
  for (const r of ranges) total += r.last - r.first + 1;
  if (total > length) return false;
  const sorted = [...ranges].sort((x, y) => x.first - y.first);
  let overlaps = 0;
  let reach = -2;
  for (const r of sorted) {
    if (r.first <= reach + 1 && ++overlaps > maxOverlaps) return false;
    reach = Math.max(reach, r.last);
  }
  return true;
}

/** `Content-Range` of one range (RFC 9110 §14.4): `bytes first-last/length`. */
export function contentRange(range: ByteRange, length: number): string {
  return `bytes ${range.first}-${range.last}/${length}`;
}

/** `Content-Range` of a 416 (RFC 9110 §14.4): `bytes *\/length`. */
export function unsatisfiedRange(length: number): string {
  return `bytes */${length}`;
}
