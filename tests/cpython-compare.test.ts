/**
 * `httpserver` side by side with CPython's `python -m http.server` (3.13.0 through pyenv) on the
 * same fixture tree: the same raw requests go to both over TCP, and the bytes each sends must be
 * equal once `Date`'s value and the runtime word of `Server` are normalised (CPython 3.13's pages
 * get the `<style>` block 3.14+ writes), and both must close the connection.
 *
 * Every difference is either one of CPython 3.13.0's known differences from the 3.15 behaviour
 * httpserver follows (docs/cpython.md §9), or a deliberate deviation of docs/deviations.md;
 * both are listed in {@link KNOWN} with the request names they apply to and the whole answer
 * httpserver must give. Any other difference fails, and so does a listed difference that
 * CPython no longer shows.
 *
 * The summary printed at the end (per runtime) is the issue's closing note: requests compared,
 * equal, and the known differences by name.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { rawExchange } from "./support/clients.js";
import { type RunningServer, runtimes } from "./support/runtimes.js";
import { errorPage, expectedListing, startCPythonCli, startCli } from "./support/simple.js";
import { MTIME, type Tree, makeTree, removeTree } from "./support/tree.js";

/** One request of the comparison: a name (used by {@link KNOWN}) and its exact bytes. */
interface Req {
  name: string;
  raw: string;
  head?: boolean;
  /** Half-close after sending (CPython 3.13 reads fields after an HTTP/0.9 line until EOF). */
  halfClose?: boolean;
}

const get = (target: string, fields: Record<string, string> = {}, method = "GET"): string =>
  `${method} ${target} HTTP/1.0\r\n${Object.entries(fields)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("")}\r\n`;

/** `Last-Modified` of every file in the tree, and dates around it. */
const LM = MTIME.toUTCString();
const LATER = new Date(MTIME.getTime() + 3600_000).toUTCString();
const EARLIER = new Date(MTIME.getTime() - 365 * 86400_000).toUTCString();
/** The asctime form of {@link LM} (`Tue Mar  5 06:07:08 2024`). */
const ASCTIME = "Tue Mar  5 06:07:08 2024";

const REQUESTS: Req[] = [
  // Files of every kind and awkward names (links as the listing writes them).
  ...[
    "/a.txt",
    "/noext",
    "/UPPER.TXT",
    "/page.html",
    "/data.json",
    "/style.css",
    "/image.png",
    "/archive.tar.gz",
    "/unknown.zzqx",
    "/space%20name.txt",
    "/caf%C3%A9.txt",
    "/%E6%97%A5%E6%9C%AC%E8%AA%9E.txt",
    "/100%25.txt",
    "/50%2525.txt",
    "/hash%23.txt",
    "/q%3F.txt",
    "/%3Ci%3E%26amp.txt",
    "/%22dq%22.txt",
    "/%27sq%27.txt",
    "/back%5Cslash.txt",
    "/sub/in.txt",
    "/sub/deeper/deep.txt",
    "/link-to-file",
    "/link-to-dir/in.txt",
    "/dangling",
    "/loop-a",
    "/locked.txt",
    "/q%3F.dir/f.txt",
    "/%2541.dir/f.txt",
  ].map((t) => ({ name: `GET ${t}`, raw: get(t) })),
  // Directories: listings, index pages, redirects.
  ...[
    "/",
    "/sub/",
    "/sub/deeper/",
    "/withindex/",
    "/withhtm/",
    "/both/",
    "/indexdir/",
    "/indexdir/index.html/",
    "/empty/",
    "/link-to-dir/",
    "/q%3F.dir/",
    "/f%23.dir/",
    "/%26amp.dir/",
    "/%3Ci%3E.dir/",
    "/sp%20ace.dir/",
    "/%C3%A9.dir/",
    "/%2541.dir/",
    "/locked/",
    "/?x=1",
    "/sub/#frag",
    "/sub/?q=%3Cb%3E",
    "/sub",
    "/sub?x=1#f",
    "/sub?",
    "/sub#",
    "/sub/deeper",
    "/link-to-dir",
    "/withindex",
    "/q%3F.dir",
    "//sub",
    "///sub?x#y",
    "/python.org/..%2f..%2fsub",
    "/sub/..",
    "/.",
    "/sub%2f",
    "/sub%2F",
    "sub",
    "sub/",
    "http://example.com/sub",
  ].map((t) => ({ name: `GET ${t}`, raw: get(t) })),
  // Missing files, query and fragment on files, a trailing slash on a file.
  ...["/nope", "/nope/", "/sub/nope.txt", "/a.txt/", "/a.txt%2f", "/a.txt?x=1", "/a.txt#frag", "a.txt"].map((t) => ({
    name: `GET ${t}`,
    raw: get(t),
  })),
  // Attempts to leave the directory.
  ...[
    "/../outside.txt",
    "/..%2foutside.txt",
    "/sub/..%2f..%2foutside.txt",
    "/%2e%2e/outside.txt",
    "/..%5coutside.txt",
    "/%5c..%5coutside.txt",
    "//etc/passwd",
    "/..%2f..%2f..%2fetc/passwd",
    "/etc/passwd",
  ].map((t) => ({ name: `GET ${t}`, raw: get(t) })),
  // Odd encodings.
  ...[
    "/%C3%28",
    "/%ff.txt",
    "/%ff.dir/",
    "/%EF%BF%BD.dir/f.txt",
    "/%zz",
    "/%",
    "/caf%c3%a9.txt",
    "/%61.txt",
    "/a%2Etxt",
    "/%00",
    "/a.txt%00",
    "/sub/%00/",
  ].map((t) => ({
    name: `GET ${t}`,
    raw: get(t),
  })),
  { name: "GET 10 KB target", raw: get("/" + "a".repeat(10_000)) },
  { name: "GET 64 KiB target (414)", raw: get("/" + "a".repeat(65_536)) },
  { name: "HEAD with a field line too long (431, no page)", raw: get("/a.txt", { "X-Long": "a".repeat(70_000) }, "HEAD"), head: true },
  // Conditional requests.
  { name: "IMS = Last-Modified", raw: get("/a.txt", { "If-Modified-Since": LM }) },
  { name: "IMS later", raw: get("/a.txt", { "If-Modified-Since": LATER }) },
  { name: "IMS a year earlier", raw: get("/a.txt", { "If-Modified-Since": EARLIER }) },
  { name: "IMS asctime", raw: get("/a.txt", { "If-Modified-Since": ASCTIME }) },
  { name: "IMS +0000", raw: get("/a.txt", { "If-Modified-Since": "Tue, 05 Mar 2024 06:07:08 +0000" }) },
  { name: "IMS +0100 (ignored)", raw: get("/a.txt", { "If-Modified-Since": "Tue, 05 Mar 2024 07:07:08 +0100" }) },
  { name: "IMS garbage", raw: get("/a.txt", { "If-Modified-Since": "yesterday" }) },
  { name: "IMS with If-None-Match", raw: get("/a.txt", { "If-Modified-Since": LM, "If-None-Match": "*" }) },
  { name: "IMS on a listing", raw: get("/sub/", { "If-Modified-Since": LATER }) },
  { name: "IMS on index.html", raw: get("/withindex/", { "If-Modified-Since": LATER }) },
  { name: "Range ignored", raw: get("/a.txt", { Range: "bytes=0-1" }) },
  { name: "HTTP/1.1 with Host", raw: "GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" },
  // HEAD.
  ...["/a.txt", "/", "/sub", "/nope", "/withindex/"].map((t) => ({ name: `HEAD ${t}`, raw: get(t, {}, "HEAD"), head: true })),
  // Other methods and bad request lines.
  ...["POST", "PUT", "DELETE", "FOO", "custom"].map((m) => ({ name: `${m} /a.txt`, raw: get("/a.txt", {}, m) })),
  { name: "HTTP/2.0 request", raw: "GET / HTTP/2.0\r\n\r\n" },
  { name: "bad version FOO/1.0", raw: "GET / FOO/1.0\r\n\r\n" },
  { name: "four words", raw: "GET / HTTP/1.0 extra\r\n\r\n" },
  { name: "HTTP/0.9 GET", raw: "GET /a.txt\r\n", halfClose: true },
];

/** What a server sent on one connection, byte for byte, and whether it closed the connection. */
interface Answer {
  text: string;
  closed: boolean;
}

/** Sends one request on its own connection and reads until the server closes (at most 5 s). */
async function exchange(port: number, req: Req): Promise<Answer> {
  const { data, closed } = await rawExchange(port, Buffer.from(req.raw, "latin1"), { timeoutMs: 5000, halfClose: req.halfClose === true });
  return { text: normalized(data.toString("latin1")), closed };
}

/**
 * Fields httpserver adds to CPython's responses on purpose, as documented extensions
 * (docs/deviations.md, "Static files"); removed from our head before the comparison.
 */
const EXTENSION_FIELDS: readonly string[] = ["Accept-Ranges", "ETag"];

/**
 * The bytes with only `Date`'s value and the runtime word of `Server` replaced, and the
 * extension fields removed, in the head (everything up to the first empty line of a response that
 * starts with a status line). The body is left alone.
 */
function normalized(raw: string): string {
  if (!raw.startsWith("HTTP/")) return raw;
  const end = raw.indexOf("\r\n\r\n");
  const headEnd = end < 0 ? raw.length : end;
  const lines = raw
    .slice(0, headEnd)
    .split("\r\n")
    .filter((line) => !EXTENSION_FIELDS.some((name) => line.toLowerCase().startsWith(name.toLowerCase() + ":")))
    .map((line) => line.replace(/^Date: .*$/, "Date: <date>").replace(/^Server: (\S+) \S+$/, "Server: $1 <runtime>"));
  return lines.join("\r\n") + raw.slice(headEnd);
}

/** The `<style>` block CPython 3.14 added to error pages and listings (gh-123430). */
const ERROR_STYLE =
  '        <style type="text/css">\n            :root {\n                color-scheme: light dark;\n            }\n        </style>\n';
const LISTING_STYLE = '<style type="text/css">\n:root {\ncolor-scheme: light dark;\n}\n</style>\n';

/** Sets the `Content-Length` of a response text's head to `length`. */
function withLength(head: string, length: number): string {
  return head.replace(/\r\nContent-Length: \d+(?=\r\n)/, `\r\nContent-Length: ${length}`);
}

/**
 * CPython 3.13.0's answer as 3.14+ (and httpserver, following 3.15) writes it: the dark-mode
 * `<style>` block in every error page and listing (gh-123430), `Content-Length` counted again,
 * also for HEAD, whose answer has the length but no page. Anything else is returned as it is.
 */
function as314(answer: Answer): Answer {
  const text = answer.text;
  const end = text.startsWith("HTTP/") ? text.indexOf("\r\n\r\n") : -4;
  const head = end < 0 ? "" : text.slice(0, end + 4);
  const body = text.slice(end + 4);
  let styled = body;
  if (body.includes('        <meta charset="utf-8">\n        <title>Error response</title>')) {
    styled = body.replace('        <meta charset="utf-8">\n', `        <meta charset="utf-8">\n${ERROR_STYLE}`);
  } else if (body.includes('<meta charset="utf-8">\n<title>Directory listing for ')) {
    styled = body.replace('<meta charset="utf-8">\n', `<meta charset="utf-8">\n${LISTING_STYLE}`);
  } else if (body === "" && head !== "") {
    const length = /\r\nContent-Length: (\d+)\r\n/.exec(head);
    const type = /\r\nContent-Type: ([^\r]*)\r\n/i.exec(head)?.[1];
    const extra = type === "text/html;charset=utf-8" ? ERROR_STYLE.length : type === "text/html; charset=utf-8" ? LISTING_STYLE.length : 0;
    if (length !== null && extra > 0) return { ...answer, text: withLength(head, Number(length[1]) + extra) };
    return answer;
  }
  if (styled === body) return answer;
  return { ...answer, text: (head === "" ? "" : withLength(head, Buffer.byteLength(styled, "latin1"))) + styled };
}

/** A whole response as httpserver writes it (HTTP/1.0, `Date` and `Server` normalised). */
function response(status: string, fields: [string, string][], body: string): string {
  const lines = [`HTTP/1.0 ${status}`, "Server: SimpleHTTP/0.6 <runtime>", "Date: <date>", ...fields.map(([k, v]) => `${k}: ${v}`)];
  return `${lines.join("\r\n")}\r\n\r\n${body}`;
}

/** The 404 `File not found` answer (docs/cpython.md §2.4, §4.3). */
function notFound(): string {
  const page = errorPage(404, "File not found", "Nothing matches the given URI");
  return response(
    "404 File not found",
    [
      ["Connection", "close"],
      ["Content-Type", "text/html;charset=utf-8"],
      ["Content-Length", String(Buffer.byteLength(page, "utf8"))],
    ],
    page,
  );
}

/** The 200 listing of `dir` titled `displayPath` (docs/cpython.md §4.4). */
function listing(displayPath: string, dir: string): string {
  const page = Buffer.from(expectedListing(displayPath, dir), "utf8").toString("latin1");
  return response(
    "200 OK",
    [
      ["Content-type", "text/html; charset=utf-8"],
      ["Content-Length", String(Buffer.byteLength(page, "latin1"))],
    ],
    page,
  );
}

/**
 * A known difference: the requests it explains, why, and the whole answer httpserver must send
 * for each (built from the request and the tree, or from CPython's page where only the head
 * differs).
 */
interface Known {
  name: string;
  kind: "CPython 3.13.0 vs 3.15" | "deliberate";
  requests: string[];
  why: string;
  /** httpserver's exact answer (normalised like the others), given CPython's (as 3.14 writes it). */
  ours(request: string, cpython: Answer): string;
  /** What CPython 3.13.0 does instead, checked so that the entry cannot go stale. */
  cpython(answer: Answer): void;
}

const KNOWN: Known[] = [
  {
    name: "a 304 carries Last-Modified (and ETag)",
    kind: "deliberate",
    requests: ["IMS = Last-Modified", "IMS later", "IMS asctime", "IMS +0000", "IMS on index.html"],
    why: "RFC 9110 §15.4.5: a 304 carries the validators and fields a 200 would; CPython sends only Server and Date (docs/deviations.md, Static files)",
    ours: (_request, c) => c.text.replace(/\r\n\r\n$/, `\r\nLast-Modified: ${LM}\r\n\r\n`),
    cpython: (c) => expect(c.text).toMatch(/^HTTP\/1\.0 304 Not Modified\r\nServer: [^\r]*\r\nDate: [^\r]*\r\n\r\n$/),
  },
  {
    name: "If-None-Match is evaluated, and wins over If-Modified-Since",
    kind: "deliberate",
    requests: ["IMS with If-None-Match"],
    why: "RFC 9110 §13.1.2, §13.2.2: If-None-Match: * matches the file, so 304; CPython ignores If-None-Match (and then If-Modified-Since) and sends 200 (docs/deviations.md, Static files)",
    ours: () => response("304 Not Modified", [["Last-Modified", LM]], ""),
    cpython: (c) => expect(c.text).toMatch(/^HTTP\/1\.0 200 OK\r\n/),
  },
  {
    name: "Range is answered with 206",
    kind: "deliberate",
    requests: ["Range ignored"],
    why: "RFC 9110 §14: httpserver serves byte ranges of files; CPython ignores Range (gh-86809) and sends the whole file (docs/deviations.md, Static files)",
    ours: () =>
      response(
        "206 Partial Content",
        [
          ["Content-type", "text/plain"],
          ["Content-Range", "bytes 0-1/8"],
          ["Content-Length", "2"],
          ["Last-Modified", LM],
        ],
        "he",
      ),
    cpython: (c) => expect(c.text).toMatch(/^HTTP\/1\.0 200 OK\r\n[\s\S]*\r\n\r\nhello a\n$/),
  },
  {
    name: "listing title without query or fragment (gh-133889)",
    kind: "CPython 3.13.0 vs 3.15",
    requests: ["GET /?x=1", "GET /sub/?q=%3Cb%3E", "GET /sub/#frag"],
    why: "3.14+ shows only the decoded path in the listing's <title> and <h1>; 3.13.0 includes the query and fragment (docs/cpython.md §4.4, §9 3.14)",
    ours: (request) => (request === "GET /?x=1" ? listing("/", tree.root) : listing("/sub/", path.join(tree.root, "sub"))),
    cpython: (c) => expect(c.text).toMatch(/<title>Directory listing for \/(sub\/)?[?#]/),
  },
  {
    name: "trailing %2f counts as a slash (gh-134098)",
    kind: "CPython 3.13.0 vs 3.15",
    requests: ["GET /sub%2f", "GET /sub%2F", "GET /a.txt%2f"],
    why: "3.14+ (and 3.13.4+) treat a trailing %2f as '/': a directory is listed without a 301, a file gives 404; 3.13.0 redirected to /sub%2f/ and served the file (docs/cpython.md §4.2, §4.3)",
    ours: (request) => (request === "GET /a.txt%2f" ? notFound() : listing("/sub/", path.join(tree.root, "sub"))),
    cpython: (c) => expect(c.text).toMatch(/^HTTP\/1\.0 (301 Moved Permanently|200 OK)\r\n/),
  },
  {
    name: "%00 gets 404 instead of no response",
    kind: "deliberate",
    requests: ["GET /%00", "GET /a.txt%00"],
    why: "CPython's open() raises ValueError: a traceback and a dropped connection (docs/cpython.md §4.2); a NUL names no file, so httpserver answers 404 File not found (docs/deviations.md, SimpleHTTPRequestHandler)",
    ours: () => notFound(),
    cpython: (c) => expect(c).toEqual({ text: "", closed: true }),
  },
  {
    name: "bad request version answered with a status line",
    kind: "deliberate",
    requests: ["HTTP/2.0 request", "bad version FOO/1.0", "four words"],
    why: "CPython sends the error page without status line or fields; httpserver sends 505/400 with them (docs/deviations.md, protocol core: invalid request version)",
    ours: (request, c) => {
      const status = {
        "HTTP/2.0 request": "505 Invalid HTTP version (2.0)",
        "bad version FOO/1.0": "400 Bad request version ('FOO/1.0')",
        "four words": "400 Bad request version ('extra')",
      }[request]!;
      return response(
        status,
        [
          ["Connection", "close"],
          ["Content-Type", "text/html;charset=utf-8"],
          ["Content-Length", String(Buffer.byteLength(c.text, "latin1"))],
        ],
        c.text,
      );
    },
    cpython: (c) => expect(c.text).toMatch(/^<!DOCTYPE HTML>/),
  },
];

let tree: Tree;
let cpython: RunningServer;
/** CPython's answers by request name. */
const reference = new Map<string, Answer>();

/** Runs `fn` over `items` with at most `limit` at a time. */
async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

beforeAll(async () => {
  tree = makeTree();
  cpython = await startCPythonCli(["0", "-b", "127.0.0.1", "-d", tree.root]);
  const answers = await pool(REQUESTS, 6, (req) => exchange(cpython.port, req));
  REQUESTS.forEach((req, i) => reference.set(req.name, answers[i]));
}, 120_000);

afterAll(async () => {
  await cpython?.stop();
  removeTree(tree);
});

test("the request list is long enough, with unique names, and every known difference names requests of it", () => {
  expect(REQUESTS.length).toBeGreaterThanOrEqual(60);
  expect(new Set(REQUESTS.map((r) => r.name)).size).toBe(REQUESTS.length);
  const names = new Set(REQUESTS.map((r) => r.name));
  for (const k of KNOWN) for (const r of k.requests) expect(names, `${k.name}: ${r}`).toContain(r);
});

for (const rt of runtimes()) {
  describe(`httpserver vs CPython 3.13 python -m http.server [${rt.name}]`, () => {
    let ours: RunningServer;
    const results = new Map<string, Answer>();
    beforeAll(async () => {
      ours = await startCli(rt, ["0", "-b", "127.0.0.1", "-d", tree.root]);
      const answers = await pool(REQUESTS, 6, (req) => exchange(ours.port, req));
      REQUESTS.forEach((req, i) => results.set(req.name, answers[i]));
    }, 120_000);
    afterAll(() => ours?.stop());

    test("every answer is CPython's, byte for byte, but for the known differences, each of which still occurs", () => {
      let equal = 0;
      const seen = new Map<string, string[]>();
      const failures: string[] = [];
      for (const req of REQUESTS) {
        const mine = results.get(req.name)!;
        const theirs = as314(reference.get(req.name)!);
        const known = KNOWN.find((k) => k.requests.includes(req.name));
        // HTTP/1.0 without keep-alive: both servers close every connection after the answer.
        if (!mine.closed) failures.push(`${req.name}: httpserver left the connection open`);
        if (!theirs.closed) failures.push(`${req.name}: CPython left the connection open`);
        let want = theirs.text;
        if (known !== undefined) {
          try {
            known.cpython(reference.get(req.name)!);
            want = known.ours(req.name, theirs);
          } catch (error) {
            failures.push(
              `${req.name}: listed under "${known.name}" but CPython 3.13.0 now answers otherwise (stale entry): ${(error as Error).message}`,
            );
            continue;
          }
          seen.set(known.name, [...(seen.get(known.name) ?? []), req.name]);
        } else {
          equal++;
        }
        if (mine.text !== want) {
          failures.push(
            `${req.name}${known ? ` (${known.name})` : ""}\n--- httpserver [${rt.name}]\n${JSON.stringify(mine.text.slice(0, 1500))}\n--- expected\n${JSON.stringify(want.slice(0, 1500))}`,
          );
        }
      }
      const deviations = [...seen].map(([name, reqs]) => `  - ${name} (${KNOWN.find((k) => k.name === name)!.kind}): ${reqs.join(", ")}`);
      console.log(
        `[${rt.name}] compared ${REQUESTS.length} requests with CPython 3.13.0 byte for byte (3.14's <style> block added to its pages): ` +
          `${equal} equal, ${REQUESTS.length - equal} known differences, each with its whole expected answer:\n${deviations.join("\n")}`,
      );
      expect(failures.length, failures.join("\n\n")).toBe(0);
    });
  });
}

test("the fixture files' Last-Modified is the fixed time the IMS requests use", () => {
  expect(fs.statSync(path.join(tree.root, "a.txt")).mtime.toUTCString()).toBe(LM);
});
