/**
 * Static files the way browsers use them (docs/deviations.md, "Static files"): byte ranges
 * (RFC 9110 §14), entity tags and conditional requests (§13), precompressed variants, compression
 * as files are sent, CORS, Cache-Control, and file names that are not UTF-8 — through the
 * `httpserver` command on every runtime, with curl, Python's http.client and raw bytes.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type ParsedResponse, curl, python, rawExchange } from "./support/clients.js";
import { type RunningServer, runtimeBinary, runtimes } from "./support/runtimes.js";
import { logLine, request, startCPythonCli, startCli } from "./support/simple.js";

let root: string;
/** 5,000 bytes of text: compressible, and long enough for ranges. */
const TEXT = Array.from({ length: 100 }, (_, i) => `line ${String(i).padStart(3, "0")} of the text file`.padEnd(49, ".") + "\n").join("");
/** 100,000 bytes that do not compress. */
const BINARY = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 2654435761) >>> 24);
const APP_JS = "export const greeting = 'hello';\n".repeat(64);
const MTIME = new Date("2024-03-05T06:07:08Z");
const LAST_MODIFIED = MTIME.toUTCString();
/** A name that is not UTF-8 (ISO-8859-1 "café.txt"): CPython lists it with surrogateescape. */
const LATIN1_NAME = Buffer.from("caf\xe9.txt", "latin1");
/** The sparse file's size: 1 GiB. */
const HUGE = 1 << 30;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "httpserver-static-"));
  const write = (name: string, data: string | Uint8Array) => {
    fs.writeFileSync(path.join(root, name), data);
    fs.utimesSync(path.join(root, name), MTIME, MTIME);
  };
  write("text.txt", TEXT);
  write("small.txt", "tiny\n");
  write("data.bin", BINARY);
  write("empty.txt", "");
  write("app.js", APP_JS);
  write("app.js.br", zlib.brotliCompressSync(APP_JS));
  write("app.js.gz", zlib.gzipSync(APP_JS));
  // Node 20 has no zstd: the pinned Bun makes the variant.
  const zstd = spawnSync(runtimeBinary("bun"), [
    "-e",
    "process.stdout.write(require('node:zlib').zstdCompressSync(require('node:fs').readFileSync(process.argv[1])))",
    path.join(root, "app.js"),
  ]);
  if (zstd.status !== 0) throw new Error(`bun could not make the zstd variant: ${zstd.stderr.toString()}`);
  write("app.js.zst", zstd.stdout);
  write("only.css.gz", zlib.gzipSync("p { color: red }\n"));
  fs.writeFileSync(path.join(root, "only.css"), "p { color: red }\n");
  fs.mkdirSync(path.join(root, "dir"));
  write("dir/in.txt", "in dir\n");
  // Not UTF-8: written by bytes.
  fs.writeFileSync(Buffer.concat([Buffer.from(root + "/dir/"), LATIN1_NAME]), "latin-1 name\n");
  const huge = fs.openSync(path.join(root, "huge.bin"), "w");
  fs.ftruncateSync(huge, HUGE);
  fs.writeSync(huge, "THE END", HUGE - 7);
  fs.closeSync(huge);
  fs.utimesSync(path.join(root, "huge.bin"), MTIME, MTIME);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** The bytes of `name` in the served tree. */
const file = (name: string) => fs.readFileSync(path.join(root, name));

/** Resident memory of a process in bytes (Linux `/proc/<pid>/status`). */
function rss(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m![1]) * 1024;
}

/** Splits a multipart/byteranges body into its parts' `Content-Range` and bytes (RFC 9110 §14.6). */
function multipart(res: ParsedResponse): [string, Buffer][] {
  const boundary = /^multipart\/byteranges; boundary=(\S+)$/.exec(res.header("Content-Type") ?? "")?.[1];
  if (boundary === undefined) throw new Error(`not multipart: ${res.header("Content-Type")}`);
  const text = res.body.toString("latin1");
  expect(text.startsWith(`--${boundary}\r\n`)).toBe(true);
  expect(text.endsWith(`\r\n--${boundary}--\r\n`)).toBe(true);
  return text
    .slice(0, -`\r\n--${boundary}--\r\n`.length)
    .split(new RegExp(`(?:^|\\r\\n)--${boundary}\\r\\n`))
    .slice(1)
    .map((part) => {
      const end = part.indexOf("\r\n\r\n");
      const range = /Content-Range: (.*)/.exec(part.slice(0, end))![1];
      return [range, Buffer.from(part.slice(end + 4), "latin1")];
    });
}

for (const rt of runtimes()) {
  describe(`ranges and entity tags, on by default [${rt.name}]`, () => {
    let srv: RunningServer;
    beforeAll(async () => {
      srv = await startCli(rt, ["0", "-b", "127.0.0.1", "-d", root]);
    });
    afterAll(() => srv?.stop());

    test("a file: Accept-Ranges and ETag beside Python's fields; curl -r gets 206 and exactly the bytes asked for", async () => {
      const whole = await request(srv.port, "/text.txt");
      expect(whole.status).toBe(200);
      expect(whole.header("Accept-Ranges")).toBe("bytes");
      const etag = `"${MTIME.getTime().toString(16)}-${TEXT.length.toString(16)}"`;
      expect(whole.header("ETag")).toBe(etag);
      expect(whole.header("Last-Modified")).toBe(LAST_MODIFIED);
      expect(whole.body.toString()).toBe(TEXT);
      for (const [spec, first, last] of [
        ["0-99", 0, 99],
        ["4900-", 4900, 4999],
        ["-50", 4950, 4999],
        ["4990-100000", 4990, 4999],
      ] as const) {
        const { stdout, code } = await curl(["-i", "-r", spec, `http://127.0.0.1:${srv.port}/text.txt`]);
        expect(code).toBe(0);
        const head = stdout.subarray(0, stdout.indexOf("\r\n\r\n") + 2).toString();
        expect(head).toMatch(/^HTTP\/1\.0 206 Partial Content\r\n/);
        expect(head).toContain(`\r\nContent-Range: bytes ${first}-${last}/${TEXT.length}\r\n`);
        expect(head).toContain(`\r\nContent-Length: ${last - first + 1}\r\n`);
        expect(head).toContain(`\r\nETag: ${etag}\r\n`);
        expect(stdout.subarray(stdout.indexOf("\r\n\r\n") + 4).toString()).toBe(TEXT.slice(first, last + 1));
      }
      // HEAD: the same head, no body.
      const head = await request(srv.port, "/text.txt", { method: "HEAD", headers: { Range: "bytes=10-19" } });
      expect([head.status, head.header("Content-Range"), head.header("Content-Length"), head.body.length]).toEqual([
        206,
        "bytes 10-19/5000",
        "10",
        0,
      ]);
      expect(srv.stderr()).toMatch(logLine('"GET /text.txt HTTP/1.1" 206 -'));
    });

    test("several ranges: a multipart/byteranges body whose parts are the slices, in the order asked", async () => {
      const res = await request(srv.port, "/data.bin", { headers: { Range: "bytes=50000-50099, 0-9,-5" } });
      expect(res.status).toBe(206);
      expect(res.header("Content-Length")).toBe(String(res.body.length));
      const parts = multipart(res);
      expect(parts.map(([range]) => range)).toEqual(["bytes 50000-50099/100000", "bytes 0-9/100000", "bytes 99995-99999/100000"]);
      expect(parts.map(([, bytes]) => bytes)).toEqual([
        Buffer.from(BINARY.subarray(50000, 50100)),
        Buffer.from(BINARY.subarray(0, 10)),
        Buffer.from(BINARY.subarray(99995)),
      ]);
      // curl's own view of it.
      const { stdout } = await curl(["-r", "0-9,20-29", `http://127.0.0.1:${srv.port}/text.txt`]);
      expect(stdout.toString()).toContain(TEXT.slice(0, 10));
      expect(stdout.toString()).toContain(TEXT.slice(20, 30));
    });

    test("416 when nothing is satisfiable, with Content-Range: bytes */length; an invalid or abusive Range gets the whole file", async () => {
      for (const [target, range, length] of [
        ["/text.txt", "bytes=5000-", 5000],
        ["/text.txt", "bytes=-0", 5000],
        ["/text.txt", `bytes=${"9".repeat(30)}-`, 5000],
        ["/empty.txt", "bytes=0-", 0],
      ] as const) {
        const res = await request(srv.port, target, { headers: { Range: range } });
        expect([res.status, res.reason, res.header("Content-Range")], range).toEqual([416, "Range Not Satisfiable", `bytes */${length}`]);
      }
      const thousand = "bytes=" + Array.from({ length: 1000 }, (_, i) => `${i}-${i}`).join(",");
      const overlapping = "bytes=0-," + Array.from({ length: 20 }, (_, i) => `${i}-${i + 100}`).join(",");
      for (const range of ["bytes=5-1", "bytes=abc", "items=0-1", "bytes=0-10;x", thousand, overlapping, "bytes=0-4999,0-4999"]) {
        const res = await request(srv.port, "/text.txt", { headers: { Range: range } });
        expect([res.status, res.header("Content-Length")], range.slice(0, 40)).toEqual([200, "5000"]);
        expect(res.body.toString()).toBe(TEXT);
      }
    });

    test("ranges never apply to listings, error pages or redirects", async () => {
      const listing = await request(srv.port, "/dir/", { headers: { Range: "bytes=0-9" } });
      expect(listing.status).toBe(200);
      expect(listing.header("Accept-Ranges")).toBeUndefined();
      expect(listing.header("ETag")).toBeUndefined();
      expect(listing.body.toString()).toMatch(/^<!DOCTYPE HTML>/);
      expect((await request(srv.port, "/missing", { headers: { Range: "bytes=0-9" } })).status).toBe(404);
      expect((await request(srv.port, "/dir", { headers: { Range: "bytes=0-9" } })).status).toBe(301);
    });

    test("If-Range: a matching entity-tag or date applies the range; a stale one gets the whole file", async () => {
      const etag = (await request(srv.port, "/text.txt", { method: "HEAD" })).header("ETag")!;
      const ask = (ifRange: string) => request(srv.port, "/text.txt", { headers: { Range: "bytes=0-4", "If-Range": ifRange } });
      expect((await ask(etag)).status).toBe(206);
      expect((await ask(LAST_MODIFIED)).status).toBe(206);
      for (const stale of ['"stale"', `W/${etag}`, "Mon, 04 Mar 2024 06:07:08 GMT", "garbage"]) {
        const res = await ask(stale);
        expect([res.status, res.body.length], stale).toEqual([200, 5000]);
      }
    });

    test("conditional requests: If-None-Match gets 304 with the validators and no body; If-Match and If-Unmodified-Since get 412", async () => {
      const etag = (await request(srv.port, "/text.txt", { method: "HEAD" })).header("ETag")!;
      const { stdout } = await curl(["-i", "-H", `If-None-Match: "x", ${etag}`, `http://127.0.0.1:${srv.port}/text.txt`]);
      const text = stdout.toString("latin1");
      expect(text).toMatch(/^HTTP\/1\.0 304 Not Modified\r\n/);
      expect(text).toContain(`\r\nETag: ${etag}\r\n`);
      expect(text).toContain(`\r\nLast-Modified: ${LAST_MODIFIED}\r\n`);
      expect(text.endsWith("\r\n\r\n")).toBe(true);
      expect((await request(srv.port, "/text.txt", { headers: { "If-None-Match": '"other"' } })).status).toBe(200);
      // If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
      expect(
        (await request(srv.port, "/text.txt", { headers: { "If-None-Match": '"other"', "If-Modified-Since": LAST_MODIFIED } })).status,
      ).toBe(200);
      expect((await request(srv.port, "/text.txt", { headers: { "If-Modified-Since": LAST_MODIFIED } })).status).toBe(304);
      for (const headers of [
        { "If-Match": '"other"' } as Record<string, string>,
        { "If-Match": `W/${etag}` },
        { "If-Unmodified-Since": "Mon, 04 Mar 2024 06:07:08 GMT" },
      ]) {
        const res = await request(srv.port, "/text.txt", { headers });
        expect([res.status, res.reason], JSON.stringify(headers)).toEqual([412, "Precondition Failed"]);
      }
      expect((await request(srv.port, "/text.txt", { headers: { "If-Match": etag } })).status).toBe(200);
    });

    test("Python's http.client: a Range request and a revalidation", async () => {
      const { stdout, code, stderr } = await python(`
import http.client
c = http.client.HTTPConnection("127.0.0.1", ${srv.port})
c.request("GET", "/data.bin", headers={"Range": "bytes=100-199"})
r = c.getresponse()
body = r.read()
print(r.status, r.getheader("Content-Range"), len(body), body == bytes(((i * 2654435761) & 0xffffffff) >> 24 for i in range(100, 200)))
etag = r.getheader("ETag")
c = http.client.HTTPConnection("127.0.0.1", ${srv.port})
c.request("GET", "/data.bin", headers={"If-None-Match": etag})
r = c.getresponse()
print(r.status, len(r.read()))
`);
      expect(stderr).toBe("");
      expect(code).toBe(0);
      expect(stdout.toString()).toBe("206 bytes 100-199/100000 100 True\n304 0\n");
    });

    test("a range of a 1 GiB file reads only that range: memory stays flat", async () => {
      const before = rss(srv.child.pid!);
      for (const range of ["bytes=-7", "bytes=536870912-536870919", "bytes=0-0,-7"]) {
        const res = await request(srv.port, "/huge.bin", { headers: { Range: range } });
        expect(res.status).toBe(206);
      }
      const last = await request(srv.port, "/huge.bin", { headers: { Range: "bytes=-7" } });
      expect(last.body.toString()).toBe("THE END");
      expect(last.header("Content-Range")).toBe(`bytes ${HUGE - 7}-${HUGE - 1}/${HUGE}`);
      expect(rss(srv.child.pid!) - before).toBeLessThan(32 * 1024 * 1024);
    });

    test("property: any single range over raw sockets returns exactly those bytes", async () => {
      await fc.assert(
        fc.asyncProperty(fc.nat(120_000), fc.option(fc.nat(120_000)), async (a, b) => {
          const spec = `bytes=${a}-${b ?? ""}`;
          const { data } = await rawExchange(srv.port, `GET /data.bin HTTP/1.0\r\nRange: ${spec}\r\n\r\n`);
          const status = Number(data.subarray(9, 12).toString());
          if (b !== null && b < a) return status === 200;
          if (a >= BINARY.length) return status === 416;
          const last = Math.min(b ?? Infinity, BINARY.length - 1);
          const body = data.subarray(data.indexOf("\r\n\r\n") + 4);
          return status === 206 && Buffer.from(BINARY.subarray(a, last + 1)).equals(body);
        }),
        { numRuns: 25 },
      );
    });

    test("OPTIONS without --cors is still Python's 501", async () => {
      const res = await request(srv.port, "/text.txt", { method: "OPTIONS" });
      expect([res.status, res.header("Access-Control-Allow-Origin")]).toEqual([501, undefined]);
    });

    test("a file name that is not UTF-8 is listed and linked as CPython lists it, and its link leads back to it", async () => {
      const listing = await request(srv.port, "/dir/");
      if (rt.name === "deno") {
        // Deno's file APIs decode names lossily (README, "Differences between runtimes").
        expect(listing.body.toString("latin1")).toContain("caf\xef\xbf\xbd.txt");
        return;
      }
      const cpython = await startCPythonCli(["0", "-b", "127.0.0.1", "-d", root]);
      try {
        // CPython 3.13's listing, with the style block 3.14 added (gh-123430).
        const reference = (await request(cpython.port, "/dir/")).body
          .toString("latin1")
          .replace(
            '<meta charset="utf-8">\n',
            '<meta charset="utf-8">\n<style type="text/css">\n:root {\ncolor-scheme: light dark;\n}\n</style>\n',
          );
        expect(listing.body.toString("latin1")).toBe(reference);
      } finally {
        await cpython.stop();
      }
      expect(listing.body.includes(Buffer.concat([Buffer.from(">"), LATIN1_NAME, Buffer.from("<")]))).toBe(true);
      const href = /href="(caf[^"]*\.txt)"/.exec(listing.body.toString("latin1"))![1];
      expect(href).toBe("caf%ED%B3%A9.txt");
      const res = await request(srv.port, `/dir/${href}`);
      expect([res.status, res.body.toString()]).toEqual([200, "latin-1 name\n"]);
    });
  });

  describe(`--precompressed --compress --cors --cache-control [${rt.name}]`, () => {
    let srv: RunningServer;
    let base: string;
    beforeAll(async () => {
      srv = await startCli(rt, [
        "0",
        "-b",
        "127.0.0.1",
        "-d",
        root,
        "-p",
        "HTTP/1.1",
        "--precompressed",
        "--compress",
        "--cors",
        "--cache-control",
        "no-cache",
        "-H",
        "X-Extra: yes",
      ]);
      base = `http://127.0.0.1:${srv.port}`;
    });
    afterAll(() => srv?.stop());

    const get = (target: string, headers: Record<string, string> = {}, method = "GET") =>
      request(srv.port, target, { method, headers, version: "HTTP/1.1" });

    test("a precompressed variant goes to a client that accepts its coding, with the file's type, its own ETag and Vary", async () => {
      const seen = new Map<string, string>();
      for (const [accept, coding, variant] of [
        ["br, gzip, zstd", "br", "app.js.br"],
        ["gzip, zstd;q=0.5", "gzip", "app.js.gz"],
        ["zstd", "zstd", "app.js.zst"],
        ["x-gzip", "gzip", "app.js.gz"],
      ] as const) {
        const res = await get("/app.js", { "Accept-Encoding": accept, Connection: "close" });
        expect(res.status, accept).toBe(200);
        expect(res.header("Content-Encoding")).toBe(coding);
        expect(res.header("Content-Type")).toBe("text/javascript");
        expect(res.header("Vary")).toBe("Accept-Encoding");
        expect(res.body.equals(file(variant))).toBe(true);
        seen.set(coding, res.header("ETag")!);
      }
      const plain = await get("/app.js", { Connection: "close" });
      expect([plain.header("Content-Encoding"), plain.header("Vary"), plain.body.toString()]).toEqual([
        undefined,
        "Accept-Encoding",
        APP_JS,
      ]);
      seen.set("identity", plain.header("ETag")!);
      expect(new Set(seen.values()).size).toBe(4);
      // curl decodes each.
      for (const coding of ["br", "gzip", "zstd"]) {
        const { stdout } = await curl(["--compressed", "-H", `Accept-Encoding: ${coding}`, `${base}/app.js`]);
        expect(stdout.toString(), coding).toBe(APP_JS);
      }
      // A variant without its file is not served for it; the file is.
      expect((await get("/only.css", { "Accept-Encoding": "gzip", Connection: "close" })).header("Content-Encoding")).toBe("gzip");
    });

    test("Range and conditional requests apply to the encoded representation", async () => {
      const br = await get("/app.js", { "Accept-Encoding": "br", Range: "bytes=0-9", Connection: "close" });
      expect([br.status, br.header("Content-Encoding"), br.header("Content-Range")]).toEqual([
        206,
        "br",
        `bytes 0-9/${file("app.js.br").length}`,
      ]);
      expect(br.body.equals(file("app.js.br").subarray(0, 10))).toBe(true);
      const etag = (await get("/app.js", { "Accept-Encoding": "br", Connection: "close" }, "HEAD")).header("ETag")!;
      const revalidated = await get("/app.js", { "Accept-Encoding": "br", "If-None-Match": etag, Connection: "close" });
      expect(revalidated.status).toBe(304);
      // The same tag does not match the gzip representation.
      expect((await get("/app.js", { "Accept-Encoding": "gzip", "If-None-Match": etag, Connection: "close" })).status).toBe(200);
    });

    test("--compress: text is compressed as it is sent, chunked on HTTP/1.1, and decodes to the file", async () => {
      for (const coding of ["br", "gzip"]) {
        const res = await get("/text.txt", { "Accept-Encoding": coding, Connection: "close" });
        expect(res.status).toBe(200);
        expect(res.header("Content-Encoding")).toBe(coding);
        expect(res.header("Transfer-Encoding")).toBe("chunked");
        expect(res.header("Content-Length")).toBeUndefined();
        expect(res.header("ETag")).toMatch(/^W\/"/);
        const { stdout } = await curl(["--compressed", "-H", `Accept-Encoding: ${coding}`, `${base}/text.txt`]);
        expect(stdout.toString()).toBe(TEXT);
      }
      // HTTP/1.0: no chunked coding; the end of the body is the close.
      const old = await request(srv.port, "/text.txt", { headers: { "Accept-Encoding": "gzip" } });
      expect([old.header("Content-Encoding"), old.header("Transfer-Encoding"), old.header("Content-Length"), old.closed]).toEqual([
        "gzip",
        undefined,
        undefined,
        true,
      ]);
      expect(zlib.gunzipSync(old.body).toString()).toBe(TEXT);
      // HEAD: the head GET would send.
      const head = await get("/text.txt", { "Accept-Encoding": "gzip", Connection: "close" }, "HEAD");
      expect([head.header("Content-Encoding"), head.header("Transfer-Encoding"), head.body.length]).toEqual(["gzip", "chunked", 0]);
      // Not compressed: small files, binary types, Range requests, clients that do not ask.
      expect((await get("/small.txt", { "Accept-Encoding": "gzip", Connection: "close" })).header("Content-Encoding")).toBeUndefined();
      expect((await get("/data.bin", { "Accept-Encoding": "gzip", Connection: "close" })).header("Content-Encoding")).toBeUndefined();
      const ranged = await get("/text.txt", { "Accept-Encoding": "gzip", Range: "bytes=0-9", Connection: "close" });
      expect([ranged.status, ranged.header("Content-Encoding"), ranged.body.toString()]).toEqual([206, undefined, TEXT.slice(0, 10)]);
      expect((await get("/text.txt", { Connection: "close" })).header("Content-Encoding")).toBeUndefined();
    });

    test("a client refusing identity with no coding it takes gets 406", async () => {
      const res = await get("/data.bin", { "Accept-Encoding": "identity;q=0", Connection: "close" });
      expect([res.status, res.header("Vary")]).toEqual([406, "Accept-Encoding"]);
    });

    test("--cors: Access-Control-Allow-Origin on every answer; a preflight OPTIONS gets 204", async () => {
      expect((await get("/text.txt", { Connection: "close" })).header("Access-Control-Allow-Origin")).toBe("*");
      expect((await get("/missing", { Connection: "close" })).header("Access-Control-Allow-Origin")).toBe("*");
      const { stdout } = await curl([
        "-i",
        "-X",
        "OPTIONS",
        "-H",
        "Origin: http://example.com",
        "-H",
        "Access-Control-Request-Method: GET",
        "-H",
        "Access-Control-Request-Headers: range, x-custom",
        `${base}/text.txt`,
      ]);
      const text = stdout.toString();
      expect(text).toMatch(/^HTTP\/1\.1 204 No Content\r\n/);
      expect(text).toContain("\r\nAccess-Control-Allow-Origin: *\r\n");
      expect(text).toContain("\r\nAccess-Control-Allow-Methods: GET, HEAD, OPTIONS\r\n");
      expect(text).toContain("\r\nAccess-Control-Allow-Headers: range, x-custom\r\n");
      expect(text).toContain("\r\nAccess-Control-Max-Age: 86400\r\n");
    });

    test("--cache-control on files and their 304s (with Vary, ETag and the -H fields), not on listings", async () => {
      const ok = await get("/app.js", { Connection: "close" });
      expect([ok.header("Cache-Control"), ok.header("X-Extra")]).toEqual(["no-cache", "yes"]);
      const notModified = await get("/app.js", { "If-None-Match": ok.header("ETag")!, Connection: "close" });
      expect(notModified.status).toBe(304);
      for (const name of ["Cache-Control", "Vary", "ETag", "Last-Modified", "X-Extra"])
        expect(notModified.header(name), name).toBe(ok.header(name));
      expect((await get("/dir/", { Connection: "close" })).header("Cache-Control")).toBeUndefined();
    });
  });
}
