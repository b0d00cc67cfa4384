/**
 * HTTPMessage against Python's http.client.HTTPMessage (email.message.Message, compat32;
 * docs/cpython.md §1.4).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HTTPMessage } from "../src/python/message.js";
import { requestOf } from "./helpers.js";
import { runPython } from "./python.js";

describe("HTTPMessage", () => {
  const msg = () => new HTTPMessage(["Host", "a", "X-A", "1", "Content-Type", "text/html; charset=utf-8", "x-a", "2"]);

  it("get returns the first value, case-insensitively, or failobj (Message.get)", () => {
    const m = msg();
    expect(m.get("x-A")).toBe("1");
    expect(m.get("HOST")).toBe("a");
    expect(m.get("missing")).toBeUndefined();
    expect(m.get("missing", "dflt")).toBe("dflt");
    expect(m.get("missing", null)).toBeNull();
  });

  it("getAll returns every value in order, or failobj (Message.get_all)", () => {
    expect(msg().getAll("X-a")).toEqual(["1", "2"]);
    expect(msg().getAll("nope")).toBeUndefined();
    expect(msg().getAll("nope", [])).toEqual([]);
  });

  it("keys/values/items/iteration keep order, names as sent, duplicates included", () => {
    const m = msg();
    expect(m.size).toBe(4);
    expect(m.keys()).toEqual(["Host", "X-A", "Content-Type", "x-a"]);
    expect([...m]).toEqual(m.keys());
    expect(m.values()).toEqual(["a", "1", "text/html; charset=utf-8", "2"]);
    expect(m.items()[3]).toEqual(["x-a", "2"]);
    expect(m.has("content-type")).toBe(true);
    expect(m.has("Content")).toBe(false);
  });

  it("set appends (msg[name] = value adds a field) and delete removes every occurrence", () => {
    const m = msg();
    m.get("host"); // builds the lower-case index before the changes
    m.set("HOST", "b");
    expect(m.getAll("host")).toEqual(["a", "b"]);
    m.delete("X-A");
    expect(m.keys()).toEqual(["Host", "Content-Type", "HOST"]);
    expect(m.get("x-a")).toBeUndefined();
    m.delete("absent");
    expect(m.size).toBe(3);
  });

  it("delete works before any lookup built the index", () => {
    const m = new HTTPMessage(["A", "1", "B", "2", "a", "3"]);
    m.delete("a");
    expect(m.items()).toEqual([["B", "2"]]);
  });

  it("accepts flat arrays (taken over), tuples, and another HTTPMessage (copied)", () => {
    const flat = ["A", "1"];
    const m = new HTTPMessage(flat);
    m.set("B", "2");
    expect(flat).toEqual(["A", "1", "B", "2"]);
    expect(
      new HTTPMessage([
        ["A", "1"],
        ["B", "2"],
      ] as [string, string][]).items(),
    ).toEqual([
      ["A", "1"],
      ["B", "2"],
    ]);
    const copy = new HTTPMessage(m);
    copy.set("C", "3");
    expect(m.size).toBe(2);
    expect(copy.size).toBe(3);
    expect(new HTTPMessage().size).toBe(0);
  });

  it("takes the parser's fields directly", () => {
    const r = requestOf("GET / HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n");
    expect(new HTTPMessage(r.fields).get("accept")).toBe("*/*");
  });

  it("toString is Python's str(msg): one line per field, then the empty line (checked on 3.13)", () => {
    expect(msg().toString()).toBe("Host: a\nX-A: 1\nContent-Type: text/html; charset=utf-8\nx-a: 2\n\n");
    expect(new HTTPMessage().toString()).toBe("\n");
  });

  it("getContentType: the lower-case type without parameters, text/plain when missing or malformed (RFC 2045 §5.2)", () => {
    const ct = (v?: string) => new HTTPMessage(v === undefined ? [] : ["Content-Type", v]).getContentType();
    expect(ct()).toBe("text/plain");
    expect(ct("Text/HTML; charset=x")).toBe("text/html");
    expect(ct("  application/json  ")).toBe("application/json");
    expect(ct("text")).toBe("text/plain");
    expect(ct("a/b/c")).toBe("text/plain");
    expect(ct("")).toBe("text/plain");
  });

  it("getContentType strips like Python's str.strip() and needs exactly one '/' (checked on 3.13)", () => {
    const ct = (v: string) => new HTTPMessage(["Content-Type", v]).getContentType();
    expect(ct("\x1ctext/html\x1f")).toBe("text/html"); // JS trim() keeps U+001C–U+001F
    expect(ct("text/html\x85")).toBe("text/html"); // and U+0085
    expect(ct("\ufefftext/html")).toBe("\ufefftext/html"); // but strips U+FEFF, which Python keeps
    expect(ct("/html")).toBe("/html"); // one '/' is enough, even first
    expect(ct("text/")).toBe("text/");
  });
});

// ---------------------------------------------------------------------------------------------

const MESSAGE_OPS = String.raw`
import http.client, json, sys
out = []
for case in json.load(sys.stdin):
    m = http.client.HTTPMessage()
    for n, v in case["fields"]:
        m[n] = v
    probes = case["probes"]
    def obs(m):
        return {"size": len(m), "keys": m.keys(), "values": m.values(),
                "items": [list(x) for x in m.items()], "iter": list(m),
                "get": [m.get(p) for p in probes], "getAll": [m.get_all(p) for p in probes],
                "has": [p in m for p in probes], "ctype": m.get_content_type(), "str": str(m)}
    before = obs(m)
    m[case["set"][0]] = case["set"][1]
    del m[case["del"]]
    out.append([before, obs(m)])
print(json.dumps(out))
`;

const CONTENT_TYPE = String.raw`
import http.client, json, sys
out = []
for v in json.load(sys.stdin):
    m = http.client.HTTPMessage()
    m["Content-Type"] = v
    out.append(m.get_content_type())
print(json.dumps(out))
`;

interface Case {
  fields: [string, string][];
  probes: string[];
  set: [string, string];
  del: string;
}

function observe(m: HTTPMessage, probes: string[]) {
  return {
    size: m.size,
    keys: m.keys(),
    values: m.values(),
    items: m.items(),
    iter: [...m],
    get: probes.map((p) => m.get(p) ?? null),
    getAll: probes.map((p) => m.getAll(p) ?? null),
    has: probes.map((p) => m.has(p)),
    ctype: m.getContentType(),
    str: m.toString(),
  };
}

describe("HTTPMessage vs Python's http.client.HTTPMessage (differential)", () => {
  const name = fc.constantFrom("Host", "host", "HOST", "X-A", "x-a", "Content-Type", "content-type", "Accept", "Cookie");
  // Short printable ASCII values: Python folds long lines and RFC 2047-encodes non-ASCII in str();
  // no multipart/* types: Python's generator adds a MIME boundary to them.
  const value = fc.oneof(
    fc.stringMatching(/^[!-~][ -~]{0,18}[!-~]$/),
    fc.constantFrom("text/html", "Text/Plain; q=1", "a/b/c", "text", "/x", "x/", ";a/b", "a/b;", " text/x ; b=1"),
  );
  const caseArb = fc.record({
    fields: fc.array(fc.tuple(name, value), { maxLength: 7 }),
    probes: fc.constant<string[]>(["host", "X-A", "CONTENT-TYPE", "cookie", "nope"]),
    set: fc.tuple(name, value),
    del: name,
  });

  it("agrees on get/getAll/has/keys/values/items/size/iteration/getContentType/str, before and after set and delete", () => {
    const cases: Case[] = fc.sample(caseArb, { numRuns: 300, seed: 42 });
    const py = runPython<unknown[][]>(MESSAGE_OPS, cases);
    cases.forEach((c, i) => {
      const m = new HTTPMessage(c.fields.map(([n, v]) => [n, v] as [string, string]));
      const before = observe(m, c.probes);
      m.set(c.set[0], c.set[1]);
      m.delete(c.del);
      expect([before, observe(m, c.probes)], JSON.stringify(c)).toEqual(py[i]);
    });
  });

  it("agrees on getContentType for Latin-1 values with Python white space and odd slashes", () => {
    const values = [
      "text/html",
      " Text/HTML ; charset=x",
      "/html",
      "text/",
      "text",
      "a/b/c",
      "\x1ctext/html",
      "text/html\x85",
      "\xa0text/html",
      ";text/html",
      "text/html;",
      "",
      "\x0btext/plain\x0c",
      "\x1ftext/x\x1e",
      "a /b",
      "TEXT/ÉTÉ",
    ];
    const py = runPython<string[]>(CONTENT_TYPE, values);
    values.forEach((v, i) => {
      expect(new HTTPMessage(["Content-Type", v]).getContentType(), JSON.stringify(v)).toBe(py[i]);
    });
  });
});
