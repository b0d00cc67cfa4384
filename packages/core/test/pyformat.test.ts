/**
 * pyRepr / pyFormat / htmlEscape: the Python text operations whose output reaches the wire
 * (docs/cpython.md §1.6 `%r` messages, §2.4 error page escaping), checked against CPython.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { pyRepr } from "../src/http/repr.js";
import { htmlEscape, pyFormat } from "../src/python/pyformat.js";
import { runPython } from "./python.js";

describe("pyRepr (Python's repr() of a str)", () => {
  it("quotes with ' unless the text has ' and no \" (repr rules)", () => {
    expect(pyRepr("GET")).toBe("'GET'");
    expect(pyRepr("it's")).toBe(`"it's"`);
    expect(pyRepr(`it's "x"`)).toBe(`'it\\'s "x"'`);
    expect(pyRepr('"')).toBe(`'"'`);
    expect(pyRepr("")).toBe("''");
  });

  it("escapes backslash, \\t \\n \\r and other controls as \\xNN", () => {
    expect(pyRepr("a\\b")).toBe("'a\\\\b'");
    expect(pyRepr("\t\n\r")).toBe("'\\t\\n\\r'");
    expect(pyRepr("\x00\x1b\x7f\x85\xa0\xad")).toBe("'\\x00\\x1b\\x7f\\x85\\xa0\\xad'");
    expect(pyRepr("caf\xe9 \xff")).toBe("'caf\xe9 \xff'");
  });
});

describe("htmlEscape (Python's html.escape)", () => {
  it("escapes & < > always, \" and ' only with quote", () => {
    expect(htmlEscape(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt;");
    expect(htmlEscape(`<"'&>`, false)).toBe(`&lt;"'&amp;&gt;`);
    expect(htmlEscape("plain")).toBe("plain");
    expect(htmlEscape("&amp;")).toBe("&amp;amp;");
  });
});

describe("pyFormat (printf-style formatting)", () => {
  it("formats positional %s %r %d %i %x %X %o %f %%", () => {
    expect(pyFormat('"%s" %s %s', ["GET / HTTP/1.1", "200", "-"])).toBe('"GET / HTTP/1.1" 200 -');
    expect(pyFormat("%r|%d|%i|%x|%X|%o|%f|%%", ["a'", 42, -7, 255, 255, 8, 1.5])).toBe(`"a'"|42|-7|ff|FF|10|1.500000|%`);
    expect(pyFormat("%#x %#X %#o", [255, 255, 8])).toBe("0xff 0XFF 0o10");
    expect(pyFormat("%s %s %s", [null, undefined, 10n])).toBe("None None 10");
    expect(pyFormat("%d", [3.9])).toBe("3");
    expect(pyFormat("%d", [-3.9])).toBe("-3");
  });

  it("formats %(key)s from a mapping (the error page template, §2.4)", () => {
    expect(pyFormat("%(code)d - %(message)s - %(code)s", { code: 404, message: "x" })).toBe("404 - x - 404");
  });

  it("throws like Python on argument errors", () => {
    expect(() => pyFormat("%s %s", ["a"])).toThrow(TypeError);
    expect(() => pyFormat("%s", ["a", "b"])).toThrow(/not all arguments converted/);
    expect(() => pyFormat("%(a)s", ["x"])).toThrow(/mapping/);
    expect(() => pyFormat("%(a)s", { b: 1 })).toThrow(TypeError);
    expect(() => pyFormat("%(a", { a: 1 })).toThrow(TypeError);
    expect(() => pyFormat("100%", [])).toThrow(TypeError);
    expect(() => pyFormat("%y", [1])).toThrow(/unsupported format character 'y'/);
    expect(() => pyFormat("%d", [Infinity])).toThrow(TypeError);
    expect(pyFormat("no args", [])).toBe("no args");
    expect(pyFormat("no keys", { a: 1 })).toBe("no keys");
  });
});

// ---------------------------------------------------------------------------------------------
// Differentials against CPython.
// ---------------------------------------------------------------------------------------------

const REPR = "import json, sys; print(json.dumps([repr(s) for s in json.load(sys.stdin)]))";
const REPR_CATEGORY =
  "import json, sys, unicodedata; print(json.dumps([[repr(s), unicodedata.category(s)] for s in json.load(sys.stdin)]))";
const ESCAPE = String.raw`
import html, json, sys
print(json.dumps([[html.escape(s), html.escape(s, quote=False)] for s in json.load(sys.stdin)]))
`;

describe("against CPython", () => {
  it("pyRepr equals repr() for every Latin-1 character and for random Latin-1 strings (the request-line alphabet)", () => {
    const inputs: string[] = [];
    for (let c = 0; c < 256; c++) inputs.push(String.fromCharCode(c), `a${String.fromCharCode(c)}'`, `"${String.fromCharCode(c)}'`);
    inputs.push(
      ...fc.sample(fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 20 }), {
        numRuns: 500,
        seed: 1,
      }),
    );
    inputs.push(...fc.sample(fc.string({ unit: fc.constantFrom("'", '"', "\\", "a", "\n"), maxLength: 8 }), { numRuns: 200, seed: 2 }));
    const py = runPython<string[]>(REPR, inputs);
    inputs.forEach((s, i) => expect(pyRepr(s), JSON.stringify(s)).toBe(py[i]));
  });

  it("pyRepr equals repr() for every BMP character and astral samples (modulo Unicode versions)", () => {
    const inputs: string[] = [];
    for (let c = 0x100; c < 0x10000; c++) inputs.push(String.fromCharCode(c));
    for (const c of [0x1f600, 0x1d173, 0xe0001, 0xe0100, 0xf0000, 0x10fffd, 0x10ffff, 0x20000, 0x1fffe])
      inputs.push(String.fromCodePoint(c));
    const py = runPython<[string, string][]>(REPR_CATEGORY, inputs);
    const unassigned = /^\p{Cn}$/u;
    let skipped = 0;
    const mismatches: string[] = [];
    inputs.forEach((ch, i) => {
      const [repr, category] = py[i];
      // Assigned after Python's Unicode version (15.1 in 3.13) but known to this runtime.
      if (category === "Cn" && !unassigned.test(ch)) return void skipped++;
      const ours = pyRepr(ch);
      if (ours !== repr) mismatches.push(`U+${ch.codePointAt(0)!.toString(16)}: ${ours} != ${repr}`);
    });
    expect(mismatches.slice(0, 20)).toEqual([]);
    expect(skipped).toBeLessThan(10_000);
  });

  it("htmlEscape equals html.escape with and without quote", () => {
    const inputs = fc.sample(fc.string({ unit: fc.constantFrom("&", "<", ">", '"', "'", "a", "é", ";", "#"), maxLength: 12 }), {
      numRuns: 300,
      seed: 3,
    });
    const py = runPython<[string, string][]>(ESCAPE, inputs);
    inputs.forEach((s, i) => expect([htmlEscape(s), htmlEscape(s, false)]).toEqual(py[i]));
  });
});
