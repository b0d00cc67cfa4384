/**
 * HTTPMessage against Python's http.client.HTTPMessage (email.message.Message, compat32;
 * cpython-behaviour.md §1.4).
 */
import { describe, expect, it } from "vitest";
import { HTTPMessage } from "../src/http/message.js";
import { requestOf } from "./helpers.js";

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
    expect(new HTTPMessage([["A", "1"], ["B", "2"]] as [string, string][]).items()).toEqual([["A", "1"], ["B", "2"]]);
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
