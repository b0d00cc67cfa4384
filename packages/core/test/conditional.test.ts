/**
 * Entity tags, preconditions (RFC 9110 §8.8.3, §13) and content-coding negotiation (§12.5.3).
 */
import { describe, expect, test } from "vitest";
import {
  type Preconditions,
  type Validators,
  evaluatePreconditions,
  ifRangeMatches,
  parseEntityTag,
  parseEntityTagList,
  strongMatch,
  weakMatch,
} from "../src/http/conditional.js";
import { chooseEncoding, parseAcceptEncoding } from "../src/http/negotiation.js";
import { parseHTTPDate } from "../src/python/dates.js";

const TAG = { weak: false, opaque: '"abc-10"' };
const V: Validators = { etag: TAG, lastModified: Date.UTC(2024, 0, 2, 3, 4, 5) / 1000 };
const LAST = "Tue, 02 Jan 2024 03:04:05 GMT";
const NONE: Preconditions = { ifMatch: null, ifNoneMatch: null, ifModifiedSince: null, ifUnmodifiedSince: null };
const evaluate = (fields: Partial<Preconditions>, method = "GET") =>
  evaluatePreconditions(method, { ...NONE, ...fields }, V, parseHTTPDate);

describe("entity tags", () => {
  test("parse: strong, weak, lists, *, and what is not a tag", () => {
    expect(parseEntityTag('"xyzzy"')).toEqual({ weak: false, opaque: '"xyzzy"' });
    expect(parseEntityTag(' W/"xyzzy" ')).toEqual({ weak: true, opaque: '"xyzzy"' });
    expect(parseEntityTag('""')).toEqual({ weak: false, opaque: '""' });
    for (const bad of ["xyzzy", '"a"b', 'w/"a"', '"a', '"a b"', '"a"x"']) expect(parseEntityTag(bad), bad).toBeNull();
    expect(parseEntityTagList("*")).toBe("*");
    expect(parseEntityTagList('"a", W/"b" ,"c",')).toEqual([
      { weak: false, opaque: '"a"' },
      { weak: true, opaque: '"b"' },
      { weak: false, opaque: '"c"' },
    ]);
    for (const bad of ["", "a", '"a" "b"', '"a",*', "**"]) expect(parseEntityTagList(bad), bad).toBeNull();
  });

  test("comparison (RFC 9110 §8.8.3.2 table)", () => {
    const w1 = { weak: true, opaque: '"1"' };
    const w2 = { weak: true, opaque: '"2"' };
    const s1 = { weak: false, opaque: '"1"' };
    expect([strongMatch(w1, w1), weakMatch(w1, w1)]).toEqual([false, true]);
    expect([strongMatch(w1, w2), weakMatch(w1, w2)]).toEqual([false, false]);
    expect([strongMatch(w1, s1), weakMatch(w1, s1)]).toEqual([false, true]);
    expect([strongMatch(s1, s1), weakMatch(s1, s1)]).toEqual([true, true]);
  });
});

describe("preconditions (RFC 9110 §13.2.2)", () => {
  test("If-None-Match: a match (weak comparison, or *) is 304 for GET and HEAD, 412 otherwise", () => {
    expect(evaluate({ ifNoneMatch: '"abc-10"' })).toBe("not-modified");
    expect(evaluate({ ifNoneMatch: 'W/"abc-10"' }, "HEAD")).toBe("not-modified");
    expect(evaluate({ ifNoneMatch: '"x", "abc-10"' })).toBe("not-modified");
    expect(evaluate({ ifNoneMatch: "*" })).toBe("not-modified");
    expect(evaluate({ ifNoneMatch: '"other"' })).toBe("proceed");
    expect(evaluate({ ifNoneMatch: '"abc-10"' }, "POST")).toBe("failed");
  });

  test("If-None-Match takes precedence over If-Modified-Since, even when it does not parse (as CPython skips the date)", () => {
    expect(evaluate({ ifNoneMatch: '"other"', ifModifiedSince: LAST })).toBe("proceed");
    expect(evaluate({ ifNoneMatch: "garbage", ifModifiedSince: LAST })).toBe("proceed");
    expect(evaluate({ ifModifiedSince: LAST })).toBe("not-modified");
    expect(evaluate({ ifModifiedSince: "Tue, 02 Jan 2024 03:04:04 GMT" })).toBe("proceed");
    expect(evaluate({ ifModifiedSince: "not a date" })).toBe("proceed");
    expect(evaluate({ ifModifiedSince: LAST }, "POST")).toBe("proceed");
  });

  test("If-Match (strong comparison) and If-Unmodified-Since fail with 412, If-Match first", () => {
    expect(evaluate({ ifMatch: '"abc-10"' })).toBe("proceed");
    expect(evaluate({ ifMatch: "*" })).toBe("proceed");
    expect(evaluate({ ifMatch: 'W/"abc-10"' })).toBe("failed");
    expect(evaluate({ ifMatch: '"other"' })).toBe("failed");
    expect(evaluate({ ifUnmodifiedSince: LAST })).toBe("proceed");
    expect(evaluate({ ifUnmodifiedSince: "Tue, 02 Jan 2024 03:04:04 GMT" })).toBe("failed");
    // With If-Match present, If-Unmodified-Since is not looked at.
    expect(evaluate({ ifMatch: '"abc-10"', ifUnmodifiedSince: "Mon, 01 Jan 2024 00:00:00 GMT" })).toBe("proceed");
    // Then If-None-Match.
    expect(evaluate({ ifMatch: '"abc-10"', ifNoneMatch: '"abc-10"' })).toBe("not-modified");
  });

  test("If-Range: a strong entity-tag match or the exact Last-Modified date; anything else sends the whole file", () => {
    expect(ifRangeMatches('"abc-10"', V, parseHTTPDate)).toBe(true);
    expect(ifRangeMatches('W/"abc-10"', V, parseHTTPDate)).toBe(false);
    expect(ifRangeMatches('"other"', V, parseHTTPDate)).toBe(false);
    expect(ifRangeMatches(LAST, V, parseHTTPDate)).toBe(true);
    expect(ifRangeMatches("Tue, 02 Jan 2024 03:04:06 GMT", V, parseHTTPDate)).toBe(false);
    expect(ifRangeMatches("garbage", V, parseHTTPDate)).toBe(false);
  });
});

describe("Accept-Encoding (RFC 9110 §12.5.3)", () => {
  test("weights: q-values in thousandths, x-gzip is gzip, the first entry counts, a bad element spoils the field", () => {
    expect(parseAcceptEncoding("gzip, br;q=0.5, X-GZIP;q=0, *;q=0.001")).toEqual(
      new Map([
        ["gzip", 1000],
        ["br", 500],
        ["*", 1],
      ]),
    );
    expect(parseAcceptEncoding("gzip;q=1.5")).toBeNull();
    expect(parseAcceptEncoding("gzip;q=0.1234")).toBeNull();
    expect(parseAcceptEncoding("gzip;level=1")).toBeNull();
  });

  test("choice: the server's order among equals, q=0 refuses, identity last unless weighted", () => {
    const both = ["br", "gzip"];
    expect(chooseEncoding(null, both)).toBe("identity");
    expect(chooseEncoding("", both)).toBe("identity");
    expect(chooseEncoding("gzip, deflate, br, zstd", both)).toBe("br");
    expect(chooseEncoding("gzip, br;q=0.9", both)).toBe("gzip");
    expect(chooseEncoding("br;q=0, gzip", both)).toBe("gzip");
    expect(chooseEncoding("*", both)).toBe("br");
    expect(chooseEncoding("deflate", both)).toBe("identity");
    expect(chooseEncoding("gzip;q=0.5, identity", both)).toBe("identity");
    expect(chooseEncoding("gzip;q=0.5, identity;q=0.4", both)).toBe("gzip");
    // identity refused and nothing else acceptable: null (406).
    expect(chooseEncoding("identity;q=0", both)).toBeNull();
    expect(chooseEncoding("identity;q=0, gzip", both)).toBe("gzip");
    expect(chooseEncoding("identity;q=0, br;q=0, gzip;q=0", both)).toBeNull();
    expect(chooseEncoding("*;q=0", both)).toBeNull();
    expect(chooseEncoding("*;q=0, identity", both)).toBe("identity");
    expect(chooseEncoding("identity;q=0", [])).toBeNull();
    expect(chooseEncoding("gzip;q=bad", both)).toBe("identity");
  });
});
