/**
 * Python's `str.split()` and `str.isascii()` (python/str.ts), against what CPython gives.
 */
import { describe, expect, test } from "vitest";
import { isAscii, pySplit } from "../src/python/str.js";

describe("python/str", () => {
  test("pySplit splits on runs of Python's white space, including the separators \\x1c-\\x1f and \\x85", () => {
    // CPython: " Basic\tdXNlcjpwdw==\x1c x\x85y  ".split() == ['Basic', 'dXNlcjpwdw==', 'x', 'y']
    expect(pySplit(" Basic\tdXNlcjpwdw==\x1c x\x85y  ")).toEqual(["Basic", "dXNlcjpwdw==", "x", "y"]);
    expect(pySplit("")).toEqual([]);
    expect(pySplit(" \t\n\v\f\r ")).toEqual([]);
    expect(pySplit("\xa0a")).toEqual(["a"]);
  });

  test("isAscii is true only when every character is below 0x80", () => {
    expect([isAscii(""), isAscii("abc\x7f"), isAscii("ab\x80"), isAscii("é")]).toEqual([true, true, false, false]);
  });
});
