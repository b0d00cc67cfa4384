/**
 * Python's `surrogateescape` and `surrogatepass` UTF-8 handlers, compared with CPython on random
 * bytes and strings: file names that are not UTF-8 must reach the listing, its links, and the
 * file system as CPython's `SimpleHTTPRequestHandler` sends them.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { decodeSurrogatePass, encodeSurrogatePass, fsdecode, fsencode, hasLoneSurrogate } from "../src/python/codecs.js";
import { quote, unquoteLenient } from "../src/python/urls.js";
import { runPython } from "./python.js";

/** Byte arrays biased to UTF-8 boundaries: ASCII, lead and continuation bytes, surrogate forms. */
const byteArrays = fc.array(
  fc.oneof(
    fc.integer({ min: 0x20, max: 0x7e }),
    fc.integer({ min: 0x80, max: 0xff }),
    fc.constantFrom(0xc2, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xa0, 0xb2, 0xbf, 0x80),
  ),
  { maxLength: 12 },
);

const toLatin1 = (b: number[]) => String.fromCharCode(...b);
const fromLatin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe("codecs against CPython 3.13.0", () => {
  test("fsdecode and fsencode are bytes.decode/str.encode('utf-8', 'surrogateescape') and round-trip", () => {
    const samples = fc.sample(byteArrays, { numRuns: 400, seed: 42 });
    const py = runPython<string[]>(
      "import json,sys\nprint(json.dumps([bytes(b,'latin-1').decode('utf-8','surrogateescape') for b in json.load(sys.stdin)]))",
      samples.map(toLatin1),
    );
    samples.forEach((bytes, i) => {
      const name = fsdecode(Uint8Array.from(bytes));
      expect(name, JSON.stringify(bytes)).toBe(py[i]);
      expect(fsencode(name)).toEqual(Uint8Array.from(bytes));
    });
  });

  test("surrogatepass: decode (or the UnicodeDecodeError as null) and encode as CPython", () => {
    const samples = fc.sample(byteArrays, { numRuns: 400, seed: 7 });
    const py = runPython<(string | null)[]>(
      `import json,sys
out = []
for b in json.load(sys.stdin):
    try: out.append(bytes(b,'latin-1').decode('utf-8','surrogatepass'))
    except UnicodeDecodeError: out.append(None)
print(json.dumps(out))`,
      samples.map(toLatin1),
    );
    samples.forEach((bytes, i) => {
      const text = decodeSurrogatePass(Uint8Array.from(bytes));
      expect(text, JSON.stringify(bytes)).toBe(py[i]);
      if (text !== null) expect(encodeSurrogatePass(text)).toEqual(Uint8Array.from(bytes));
    });
  });

  test("a listed name that is not UTF-8: quote as list_directory links it, unquote as translate_path reads it back", () => {
    const names = fc
      .sample(
        byteArrays.filter((b) => b.length > 0),
        { numRuns: 200, seed: 3 },
      )
      .map((b) => fsdecode(Uint8Array.from(b)));
    const py = runPython<[string, string][]>(
      `import json,sys, urllib.parse
out = []
for n in json.load(sys.stdin):
    q = urllib.parse.quote(n, errors='surrogatepass')
    try: u = urllib.parse.unquote(q, errors='surrogatepass')
    except UnicodeDecodeError: u = urllib.parse.unquote(q)
    out.append([q, u])
print(json.dumps(out))`,
      names,
    );
    names.forEach((name, i) => {
      expect(quote(name)).toBe(py[i][0]);
      expect(unquoteLenient(quote(name))).toBe(py[i][1]);
      // …which is the name again: the link leads back to the file.
      expect(fsencode(unquoteLenient(quote(name)))).toEqual(fsencode(name));
    });
  });

  test("hasLoneSurrogate tells names from bytes that are not UTF-8 from ordinary ones", () => {
    expect(hasLoneSurrogate("caf\u00e9 \u{1f600}")).toBe(false);
    expect(hasLoneSurrogate(fsdecode(fromLatin1("caf\xe9")))).toBe(true);
    expect(fsdecode(fromLatin1("caf\xe9"))).toBe("caf\udce9");
  });
});
