/**
 * `urlCollapsePath` (Python 3.13's `http.server._url_collapse_path`, which decides what
 * CGIHTTPRequestHandler runs as a script): CPython's own test table, then random paths checked
 * against CPython. Black-box CGI tests are in tests/cgi.test.ts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { urlCollapsePath } from "../src/python/urls.js";
import { runPython } from "./python.js";

/** `Lib/test/test_httpservers.py` `test_url_collapse_path` (3.13), verbatim; `null`: IndexError. */
const CPYTHON_TABLE: [string, string | null][] = [
  ["", "//"],
  ["..", null],
  ["/.//..", null],
  ["/", "//"],
  ["//", "//"],
  ["/\\", "//\\"],
  ["/.//", "//"],
  ["cgi-bin/file1.py", "/cgi-bin/file1.py"],
  ["/cgi-bin/file1.py", "/cgi-bin/file1.py"],
  ["a", "//a"],
  ["/a", "//a"],
  ["//a", "//a"],
  ["./a", "//a"],
  ["./C:/", "/C:/"],
  ["/a/b", "/a/b"],
  ["/a/b/", "/a/b/"],
  ["/a/b/.", "/a/b/"],
  ["/a/b/c/..", "/a/b/"],
  ["/a/b/c/../d", "/a/b/d"],
  ["/a/b/c/../d/e/../f", "/a/b/d/f"],
  ["/a/b/c/../d/e/../../f", "/a/b/f"],
  ["/a/b/c/../d/e/.././././..//f", "/a/b/f"],
  ["../a/b/c/../d/e/.././././..//f", null],
  ["/a/b/c/../d/e/../../../f", "/a/f"],
  ["/a/b/c/../d/e/../../../../f", "//f"],
  ["/a/b/c/../d/e/../../../../../f", null],
  ["/a/b/c/../d/e/../../../../f/..", "//"],
  ["/a/b/c/../d/e/../../../../f/../.", "//"],
];

const collapse = (path: string): string | null => {
  try {
    return urlCollapsePath(path);
  } catch (error) {
    if (error instanceof RangeError) return null;
    throw error;
  }
};

describe("urlCollapsePath", () => {
  it("gives the results of CPython's test_url_collapse_path table", () => {
    for (const [path, expected] of CPYTHON_TABLE) expect([path, collapse(path)]).toEqual([path, expected]);
  });

  it("throws a RangeError (Python's IndexError) for `..` above the root; decodes before collapsing; keeps the query", () => {
    expect(() => urlCollapsePath("/../cgi-bin/x")).toThrow(RangeError);
    expect(urlCollapsePath("/cgi-bin%2ffile1.py")).toBe("/cgi-bin/file1.py");
    expect(urlCollapsePath("/a/%2e%2e/cgi-bin/x?q=/../..")).toBe("/cgi-bin/x?q=/../..");
  });
});

const COLLAPSE = String.raw`
import json, sys
from http.server import _url_collapse_path
out = []
for p in json.load(sys.stdin):
    try:
        out.append(_url_collapse_path(p))
    except IndexError:
        out.append(None)
print(json.dumps(out))
`;

describe("against CPython", () => {
  it("urlCollapsePath equals _url_collapse_path for the table and random paths", () => {
    const segment = fc.constantFrom("", ".", "..", "a", "cgi-bin", "%2e%2e", "%2f", "%2F", "b?c", "?", "x=1&y", "%41", "%zz", "é");
    const inputs = [
      ...CPYTHON_TABLE.map(([p]) => p),
      ...fc.sample(
        fc.array(segment, { maxLength: 7 }).map((parts) => parts.join("/")),
        { numRuns: 1000, seed: 7 },
      ),
      ...fc.sample(
        fc.array(segment, { maxLength: 7 }).map((parts) => "/" + parts.join("/")),
        { numRuns: 1000, seed: 8 },
      ),
    ];
    const py = runPython<(string | null)[]>(COLLAPSE, inputs);
    inputs.forEach((p, i) => expect([p, collapse(p)]).toEqual([p, py[i]]));
  });
});
