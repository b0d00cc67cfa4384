/**
 * SimpleHTTPRequestHandler over real sockets, on every runtime: through the `httpserver` command
 * and through the library API (tests/fixtures/simple.ts), with fetch, curl and raw TCP, on a
 * fixture tree made here (tests/support/tree.ts). Spec: docs/cpython.md §4 (exact CPython
 * behaviour, 3.15); deviations in docs/deviations.md. The byte-for-byte comparison with CPython
 * itself is tests/cpython-compare.test.ts.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { curl, parseResponse, run } from "./support/clients.js";
import { asNobody, nobodyScratch } from "./support/nobody.js";
import { type Runtime, type RunningServer, runtimes } from "./support/runtimes.js";
import {
  errorPage,
  expectedListing,
  htmlEscape,
  lastModified,
  logLine,
  pyQuote,
  request,
  startCli,
  startSimple,
} from "./support/simple.js";
import { BIG_SIZE, FILES, MTIME, type Tree, makeTree, removeTree } from "./support/tree.js";

let tree: Tree;
beforeAll(() => {
  tree = makeTree({ big: true });
  fs.mkdirSync(path.join(tree.root, "volatile"));
}, 60_000);
afterAll(() => removeTree(tree));

const scratch = nobodyScratch();
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** The 404 page of a missing file, as CPython sends it. */
const NOT_FOUND = errorPage(404, "File not found", "Nothing matches the given URI");

/** Types `guessType` gives the tree's files (docs/cpython.md §4.5). */
const TYPES: Record<string, string> = {
  "a.txt": "text/plain",
  noext: "application/octet-stream",
  "UPPER.TXT": "text/plain",
  "page.html": "text/html",
  "data.json": "application/json",
  "style.css": "text/css",
  "image.png": "image/png",
  "archive.tar.gz": "application/gzip",
  "unknown.zzqx": "application/octet-stream",
  "café.txt": "text/plain",
};

/** SHA-256 (hex) of a fetch response's body, read as a stream. */
async function sha256(res: Response): Promise<{ hash: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { hash: hash.digest("hex"), size };
}

/**
 * Sends `GET target` on a socket that is not read from until `read()` is called, so that the
 * server's writes back up; `read()` resumes and resolves with everything once the server closed.
 */
async function pausedGet(port: number, target: string): Promise<{ read(): Promise<Buffer>; socket: net.Socket }> {
  const socket = net.connect({ port, host: "127.0.0.1" });
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  socket.write(`GET ${target} HTTP/1.0\r\n\r\n`);
  return {
    socket,
    read: () =>
      new Promise<Buffer>((resolve) => {
        const chunks: Buffer[] = [];
        socket.on("data", (c: Buffer) => chunks.push(c));
        socket.on("error", () => {});
        socket.on("close", () => resolve(Buffer.concat(chunks)));
      }),
  };
}

for (const rt of runtimes()) {
  describe(`httpserver -d TREE [${rt.name}]`, () => {
    let srv: RunningServer;
    let base: string;
    beforeAll(async () => {
      srv = await startCli(rt, ["0", "-b", "127.0.0.1", "-d", tree.root]);
      base = `http://127.0.0.1:${srv.port}`;
    });
    afterAll(() => srv?.stop());

    test("the root listing is CPython's document: title, h1, escaped names and links, / and @ suffixes, case-insensitive order", async () => {
      const res = await fetch(`${base}/`);
      expect(res.status).toBe(200);
      expect(res.headers.get("Content-Type")).toBe("text/html; charset=utf-8");
      expect(res.headers.get("Last-Modified")).toBeNull();
      const body = Buffer.from(await res.arrayBuffer());
      expect(res.headers.get("Content-Length")).toBe(String(body.length));
      expect(body.toString("utf8")).toBe(expectedListing("/", tree.root));
      const text = body.toString("utf8");
      // Spot checks of what expectedListing encodes.
      expect(text).toContain('<li><a href="link-to-dir/">link-to-dir@</a></li>');
      expect(text).toContain('<li><a href="dangling">dangling@</a></li>');
      expect(text).toContain('<li><a href="%3Ci%3E%26amp.txt">&lt;i&gt;&amp;amp.txt</a></li>');
      expect(text).toContain('<li><a href="q%3F.dir/">q?.dir/</a></li>');
      expect(text).toContain('<li><a href="%22dq%22.txt">"dq".txt</a></li>');
      expect(text).toContain('<li><a href="caf%C3%A9.txt">café.txt</a></li>');
      expect(text.indexOf(">alpha.txt<")).toBeLessThan(text.indexOf(">Beta.txt<"));
      expect(text.indexOf(">Beta.txt<")).toBeLessThan(text.indexOf(">noext<"));
      expect(text.indexOf(">noext<")).toBeLessThan(text.indexOf(">Zeta.txt<"));
    });

    test("every link of the root listing leads to the file's bytes or to the directory's listing (fetch)", async () => {
      const listing = await (await fetch(`${base}/`)).text();
      const hrefs = [...listing.matchAll(/<a href="([^"]*)">/g)].map((m) => m[1]);
      expect(hrefs.length).toBeGreaterThan(40);
      for (const href of hrefs) {
        const name = decodeURIComponent(href).replace(/\/$/, "");
        const full = path.join(tree.root, name);
        if (name === "big.bin") continue;
        const res = await fetch(new URL(href, `${base}/`));
        let st: fs.Stats | null = null;
        try {
          st = fs.statSync(full);
        } catch {
          // dangling or looping link
        }
        if (st === null) {
          expect(res.status, href).toBe(404);
        } else if (st.isDirectory()) {
          expect(res.status, href).toBe(200);
          const html = await res.text();
          const index = ["index.html", "index.htm"].find(
            (i) => fs.existsSync(path.join(full, i)) && fs.statSync(path.join(full, i)).isFile(),
          );
          if (index !== undefined) expect(html, href).toBe(fs.readFileSync(path.join(full, index), "utf8"));
          else if (name !== "locked") expect(html, href).toBe(expectedListing(`/${name}/`, full));
        } else {
          expect(res.status, href).toBe(200);
          expect(Buffer.from(await res.arrayBuffer()).equals(fs.readFileSync(full)), href).toBe(true);
        }
        await res.body?.cancel().catch(() => {});
      }
    });

    test("listings of directories with awkward names: escaped title and h1, quoted links, each file fetchable", async () => {
      for (const dir of ["q?.dir", "f#.dir", "&amp.dir", "<i>.dir", "sp ace.dir", "é.dir", "%41.dir", "sub", "sub/deeper", "empty"]) {
        const url = `/${pyQuote(dir)}/`;
        const res = await fetch(base + url);
        const html = await res.text();
        expect(res.status, dir).toBe(200);
        expect(html, dir).toBe(expectedListing(`/${dir}/`, path.join(tree.root, dir)));
        expect(html).toContain(`<h1>Directory listing for /${htmlEscape(dir)}/</h1>`);
      }
      expect(await (await fetch(`${base}/empty/`)).text()).toContain("<ul>\n</ul>");
      expect(await (await fetch(`${base}/f%23.dir/f.txt`)).text()).toBe(FILES["f#.dir/f.txt"]);
    });

    test("invalid UTF-8 in the path decodes to U+FFFD (%ff.dir/ lists the directory U+FFFD.dir)", async () => {
      const res = await request(srv.port, "/%ff.dir/");
      expect(res.status).toBe(200);
      expect(res.body.toString("utf8")).toContain("<title>Directory listing for /\ufffd.dir/</title>");
      expect((await request(srv.port, "/%ff.dir/f.txt")).body.toString()).toBe(FILES["\ufffd.dir/f.txt"]);
      const bad = await request(srv.port, "/%C3%28");
      expect(bad.status).toBe(404);
      await srv.waitFor("stderr", logLine('"GET /%C3%28 HTTP/1.0" 404 -'));
    });

    test("Content-type comes from guessType; Content-Length and Last-Modified from the file", async () => {
      for (const [name, type] of Object.entries(TYPES)) {
        const res = await fetch(`${base}/${pyQuote(name)}`);
        const body = Buffer.from(await res.arrayBuffer());
        expect(res.status, name).toBe(200);
        expect(res.headers.get("Content-Type"), name).toBe(type);
        expect(res.headers.get("Content-Length"), name).toBe(String(body.length));
        expect(res.headers.get("Last-Modified"), name).toBe(lastModified(path.join(tree.root, name)));
        expect(body.toString("utf8"), name).toBe(FILES[name]);
      }
      const raw = await request(srv.port, "/a.txt");
      // The field names as CPython writes them, in its order, with Accept-Ranges and ETag among
      // them (docs/deviations.md, "Static files").
      expect(raw.headers.map(([k]) => k)).toEqual([
        "Server",
        "Date",
        "Content-type",
        "Content-Length",
        "Accept-Ranges",
        "Last-Modified",
        "ETag",
      ]);
      expect(raw.header("Server")).toMatch(/^SimpleHTTP\/0\.6 \S+$/);
      expect(raw.header("Last-Modified")).toBe(MTIME.toUTCString());
    });

    test("index.html, then index.htm; a directory called index.html is no index page", async () => {
      expect(await (await fetch(`${base}/withindex/`)).text()).toBe(FILES["withindex/index.html"]);
      expect(await (await fetch(`${base}/withhtm/`)).text()).toBe(FILES["withhtm/index.htm"]);
      expect(await (await fetch(`${base}/both/`)).text()).toBe(FILES["both/index.html"]);
      const indexdir = await fetch(`${base}/indexdir/`);
      expect(indexdir.headers.get("Content-Type")).toBe("text/html; charset=utf-8");
      expect(await indexdir.text()).toBe(expectedListing("/indexdir/", path.join(tree.root, "indexdir")));
      const res = await request(srv.port, "/withindex/");
      expect(res.header("Content-type")).toBe("text/html");
      expect(res.header("Last-Modified")).toBe(MTIME.toUTCString());
    });

    test("a directory without its slash → 301 keeping query and fragment, Content-Length 0, never a // Location", async () => {
      const cases: [string, string][] = [
        ["/sub", "/sub/"],
        ["/sub?x=1#f", "/sub/?x=1#f"],
        ["/sub?", "/sub/"],
        ["/sub#", "/sub/"],
        ["/sub/deeper?a=%20b", "/sub/deeper/?a=%20b"],
        ["//sub", "/sub/"],
        ["///sub?x", "/sub/?x"],
        ["/link-to-dir", "/link-to-dir/"],
        ["/q%3F.dir", "/q%3F.dir/"],
        ["/python.org/..%2f..%2fsub", "/python.org/..%2f..%2fsub/"],
        ["//python.org/..%2f..%2fsub", "/python.org/..%2f..%2fsub/"],
        ["sub", "sub/"],
      ];
      for (const [target, location] of cases) {
        const res = await request(srv.port, target);
        expect(res.status, target).toBe(301);
        expect(res.reason, target).toBe("Moved Permanently");
        expect(res.header("Location"), target).toBe(location);
        expect(res.header("Location")!.startsWith("//"), target).toBe(false);
        expect(res.header("Content-Length"), target).toBe("0");
        expect(res.body.length, target).toBe(0);
      }
      // A trailing %2f counts as the slash (3.14+): the listing, no redirect.
      expect((await request(srv.port, "/sub%2f")).status).toBe(200);
      expect((await request(srv.port, "/sub%2F")).status).toBe(200);
    });

    test("curl follows the redirect to the listing; fetch does too", async () => {
      const { stdout } = await curl(["-L", "-o", "/dev/null", "-w", "%{http_code} %{num_redirects} %{url_effective}", `${base}/sub?x=1`]);
      expect(stdout.toString()).toBe(`200 1 ${base}/sub/?x=1`);
      const res = await fetch(`${base}/sub/deeper`);
      expect(res.redirected).toBe(true);
      expect(res.url).toBe(`${base}/sub/deeper/`);
      expect(await res.text()).toContain("deep.txt");
    });

    test("404 File not found for a missing path, a file with a trailing slash or %2f, a dangling link and a link loop", async () => {
      for (const target of [
        "/nope",
        "/nope/",
        "/sub/nope.txt",
        "/a.txt/",
        "/a.txt%2f",
        "/dangling",
        "/loop-a",
        "/loop-a/",
        "/empty/nope",
      ]) {
        const res = await request(srv.port, target);
        expect(res.status, target).toBe(404);
        expect(res.reason, target).toBe("File not found");
        expect(res.header("Content-Type"), target).toBe("text/html;charset=utf-8");
        expect(res.header("Connection"), target).toBe("close");
        expect(res.body.toString(), target).toBe(NOT_FOUND);
      }
      await srv.waitFor("stderr", logLine('"GET /loop-a HTTP/1.0" 404 -'));
      await srv.waitFor("stderr", logLine("code 404, message File not found"));
    });

    test("query and fragment are stripped; percent-escapes decoded; . and .. segments dropped", async () => {
      for (const target of [
        "/a.txt?x=1",
        "/a.txt#frag",
        "/a.txt?x#y",
        "/%61.txt",
        "/a%2Etxt",
        "/./a.txt",
        "/sub/../a.txt",
        "/sub/./../../a.txt",
        "a.txt",
        "/sub/..%2fa.txt",
      ]) {
        const res = await request(srv.port, target);
        expect(res.status, target).toBe(200);
        expect(res.body.toString(), target).toBe(FILES["a.txt"]);
      }
      expect((await request(srv.port, "/caf%c3%a9.txt")).body.toString()).toBe(FILES["café.txt"]);
      expect((await request(srv.port, "/50%2525.txt")).body.toString()).toBe(FILES["50%25.txt"]);
      expect((await request(srv.port, "/hash%23.txt")).body.toString()).toBe(FILES["hash#.txt"]);
      expect((await request(srv.port, "/q%3F.txt")).body.toString()).toBe(FILES["q?.txt"]);
      // A literal '#' or '?' ends the path.
      expect((await request(srv.port, "/hash#.txt")).status).toBe(404);
    });

    test("no request reaches outside the directory: .., encoded, backslashes, //, absolute paths and absolute-form targets", async () => {
      const secret = fs.readFileSync(tree.outside, "utf8");
      const attempts = [
        "/../outside.txt",
        "/..%2foutside.txt",
        "/%2e%2e/outside.txt",
        "/%2e%2e%2foutside.txt",
        "/sub/..%2f..%2foutside.txt",
        "/..%2f..%2f..%2f..%2fetc/passwd",
        "/..%5coutside.txt",
        "/%5c..%5coutside.txt",
        "/..\\outside.txt",
        "//etc/passwd",
        "///etc/passwd",
        "/etc/passwd",
        `/${tree.outside}`,
        `/${encodeURIComponent(tree.outside)}`,
        "http://127.0.0.1/../outside.txt",
        "/link-to-dir/../../outside.txt",
        "/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "../outside.txt",
      ];
      for (const target of attempts) {
        const res = await request(srv.port, target);
        expect([400, 404], target).toContain(res.status);
        expect(res.body.toString(), target).not.toContain(secret.trim());
        expect(res.body.toString(), target).not.toMatch(/root:.*:0:0:/);
      }
      const { stdout } = await curl(["--path-as-is", `${base}/../../../../etc/passwd`]);
      expect(stdout.toString()).not.toMatch(/root:.*:0:0:/);
    });

    test("%00 gets 404 File not found and a log line, and the server goes on", async () => {
      for (const target of ["/%00", "/a.txt%00", "/sub/%00.txt", "/sub/%00/", "/%00/"]) {
        const res = await request(srv.port, target);
        expect(res.status, target).toBe(404);
        expect(res.body.toString(), target).toBe(NOT_FOUND);
      }
      await srv.waitFor("stderr", logLine('"GET /a.txt%00 HTTP/1.0" 404 -'));
      expect((await request(srv.port, "/a.txt")).status).toBe(200);
      expect(srv.stderr()).not.toMatch(/Traceback|TypeError|at .*\.(ts|js):\d+/);
    });

    test("overlong paths: a 10 KB target gets 404, a target past 64 KiB gets 414; both logged", async () => {
      const long = await request(srv.port, "/" + "a".repeat(10_000));
      expect(long.status).toBe(404);
      const deep = await request(srv.port, "/" + "sub/".repeat(2_500) + "a.txt");
      expect(deep.status).toBe(404);
      const huge = await request(srv.port, "/" + "b".repeat(65_536));
      expect(huge.status).toBe(414);
      expect(huge.reason).toBe("URI Too Long");
      await srv.waitFor("stderr", logLine("code 414, message URI Too Long"));
      await srv.waitFor("stderr", new RegExp(`"GET /a{10000} HTTP/1.0" 404 -`));
      expect((await request(srv.port, "/a.txt")).status).toBe(200);
    });

    test("If-Modified-Since → 304 with the validators; not looked at with If-None-Match, for other zones, garbage, and older dates", async () => {
      const lm = MTIME.toUTCString();
      for (const ims of [
        lm,
        new Date(MTIME.getTime() + 3600_000).toUTCString(),
        "Tue Mar  5 06:07:08 2024",
        "Tue, 05 Mar 2024 06:07:08 +0000",
      ]) {
        const res = await request(srv.port, "/a.txt", { headers: { "If-Modified-Since": ims } });
        expect(res.status, ims).toBe(304);
        // CPython sends only Server and Date; a 304 carries the validators too (RFC 9110 §15.4.5).
        expect(
          res.headers.map(([k]) => k),
          ims,
        ).toEqual(["Server", "Date", "Last-Modified", "ETag"]);
        expect(res.body.length).toBe(0);
      }
      // If-None-Match decides alone (here: * matches, "nope" does not).
      expect((await request(srv.port, "/a.txt", { headers: { "If-Modified-Since": lm, "If-None-Match": "*" } })).status).toBe(304);
      const cases: Record<string, string>[] = [
        { "If-Modified-Since": lm, "If-None-Match": '"nope"' },
        { "If-Modified-Since": "Tue, 05 Mar 2024 07:07:08 +0100" },
        { "If-Modified-Since": "not a date" },
        { "If-Modified-Since": new Date(MTIME.getTime() - 1000).toUTCString() },
      ];
      for (const headers of cases) {
        const res = await request(srv.port, "/a.txt", { headers });
        expect(res.status, JSON.stringify(headers)).toBe(200);
        expect(res.body.toString()).toBe(FILES["a.txt"]);
      }
      // Listings are never 304; index pages are files.
      expect((await request(srv.port, "/sub/", { headers: { "If-Modified-Since": lm } })).status).toBe(200);
      expect((await request(srv.port, "/withindex/", { headers: { "If-Modified-Since": lm } })).status).toBe(304);
      // fetch with a conditional header sees the 304 itself.
      const res = await fetch(`${base}/a.txt`, { headers: { "If-Modified-Since": lm } });
      expect(res.status).toBe(304);
    });

    test("HEAD sends GET's status and fields without a body", async () => {
      for (const target of ["/a.txt", "/", "/sub", "/nope", "/withindex/", "/big.bin"]) {
        const got = await request(srv.port, target);
        const head = await request(srv.port, target, { method: "HEAD" });
        expect(head.status, target).toBe(got.status);
        const strip = (h: [string, string][]) => h.filter(([k]) => k !== "Date");
        expect(strip(head.headers), target).toEqual(strip(got.headers));
        // Nothing after the head: the raw bytes end at the blank line.
        expect(head.raw.length, target).toBe(head.raw.indexOf("\r\n\r\n") + 4);
      }
    });

    test("Range is answered (CPython ignores it): 206 with the bytes asked for (tests/static.test.ts has the rest)", async () => {
      const res = await fetch(`${base}/a.txt`, { headers: { Range: "bytes=0-1" } });
      expect(res.status).toBe(206);
      expect(res.headers.get("Content-Range")).toBe(`bytes 0-1/${FILES["a.txt"].length}`);
      expect(res.headers.get("Accept-Ranges")).toBe("bytes");
      expect(await res.text()).toBe(FILES["a.txt"].slice(0, 2));
    });

    test("other methods get 501 Unsupported method", async () => {
      for (const method of ["POST", "PUT", "DELETE", "OPTIONS", "custom"]) {
        const res = await request(srv.port, "/a.txt", { method });
        expect(res.status, method).toBe(501);
        expect(res.reason).toBe(`Unsupported method ('${method}')`);
      }
    });

    test("symbolic links are followed: to a file, to a directory", async () => {
      expect(await (await fetch(`${base}/link-to-file`)).text()).toBe(FILES["a.txt"]);
      expect(await (await fetch(`${base}/link-to-dir/in.txt`)).text()).toBe(FILES["sub/in.txt"]);
      const listing = await (await fetch(`${base}/link-to-dir/`)).text();
      expect(listing).toBe(expectedListing("/link-to-dir/", path.join(tree.root, "sub")));
    });

    test(`a file larger than 64 MiB arrives byte for byte (fetch and curl, sha256)`, async () => {
      const res = await fetch(`${base}/big.bin`);
      expect(res.status).toBe(200);
      expect(res.headers.get("Content-Length")).toBe(String(BIG_SIZE));
      expect(res.headers.get("Content-Type")).toBe("application/octet-stream");
      expect(await sha256(res)).toEqual({ hash: tree.bigHash, size: BIG_SIZE });
      const { stdout } = await curl(["-o", "/dev/null", "-w", "%{http_code} %{size_download}", `${base}/big.bin`], 60_000);
      expect(stdout.toString()).toBe(`200 ${BIG_SIZE}`);
    }, 60_000);

    test("a client that does not read a 64 MiB file holds back the server: it reads one chunk ahead of what the socket took, no more", async () => {
      const traced = await startSimple(rt, { directory: tree.root, traceCopy: true });
      try {
        const client = await pausedGet(traced.port, "/big.bin");
        // The server has filled the socket's buffers and waits for the client…
        await traced.waitFor("stderr", /\] waiting for the client after \d+ bytes$/m);
        // …which now reads everything.
        const data = await client.read();
        const res = parseResponse(data);
        expect(res.body.length).toBe(BIG_SIZE);
        expect(createHash("sha256").update(res.body).digest("hex")).toBe(tree.bigHash);
        const [, ahead] = await traced.waitFor("stderr", /\] read ahead at most (\d+) bytes$/m);
        // One read's worth (the copy chunk, 256 KiB), where a server ignoring backpressure would
        // have read the whole file into memory.
        expect(Number(ahead)).toBeGreaterThan(0);
        expect(Number(ahead)).toBeLessThanOrEqual(1024 * 1024);
      } finally {
        await traced.stop();
      }
    }, 60_000);

    test("a file deleted between the listing and the GET: 404, logged, and the server goes on", async () => {
      const name = `${rt.name}-gone.txt`;
      const file = path.join(tree.root, "volatile", name);
      fs.writeFileSync(file, "here for now\n");
      expect(await (await fetch(`${base}/volatile/`)).text()).toContain(`<a href="${name}">${name}</a>`);
      fs.unlinkSync(file);
      const res = await request(srv.port, `/volatile/${name}`);
      expect(res.status).toBe(404);
      await srv.waitFor("stderr", logLine(`"GET /volatile/${name} HTTP/1.0" 404 -`));
      expect((await request(srv.port, "/a.txt")).status).toBe(200);
    });

    test("a file deleted while it is sent arrives whole (the open file stays readable)", async () => {
      const file = path.join(tree.root, "volatile", `${rt.name}-unlinked.bin`);
      const content = Buffer.alloc(8 * 1024 * 1024, "u");
      fs.writeFileSync(file, content);
      const client = await pausedGet(srv.port, `/volatile/${path.basename(file)}`);
      await srv.waitFor("stderr", logLine(`"GET /volatile/${path.basename(file)} HTTP/1.0" 200 -`));
      fs.unlinkSync(file);
      const res = parseResponse(await client.read());
      expect(res.body.equals(content)).toBe(true);
      expect((await request(srv.port, "/a.txt")).status).toBe(200);
    });

    test("a file truncated while it is sent: the body stops short, the connection closes, a log line says why, the server goes on", async () => {
      const file = path.join(tree.root, "volatile", `${rt.name}-shrinks.bin`);
      const content = Buffer.alloc(16 * 1024 * 1024, "s");
      fs.writeFileSync(file, content);
      const target = `/volatile/${path.basename(file)}`;
      const client = await pausedGet(srv.port, target);
      await srv.waitFor("stderr", logLine(`"GET ${target} HTTP/1.0" 200 -`));
      fs.truncateSync(file, 0);
      const data = await client.read();
      const end = data.indexOf("\r\n\r\n") + 4;
      const res = parseResponse(data);
      expect(res.header("Content-Length")).toBe(String(content.length));
      expect(data.length - end).toBeLessThan(content.length);
      await srv.waitFor("stderr", new RegExp(`error reading ${target.replace(/\./g, "\\.")}: .+`));
      expect((await request(srv.port, "/a.txt")).status).toBe(200);
      fs.unlinkSync(file);
    }, 30_000);

    test("a FIFO is not opened (no request can hang on it): 404", async () => {
      const fifo = path.join(tree.root, "volatile", `${rt.name}.fifo`);
      const { code } = await run("mkfifo", [fifo]);
      expect(code).toBe(0);
      const res = await request(srv.port, `/volatile/${path.basename(fifo)}`);
      expect(res.status).toBe(404);
      fs.unlinkSync(fifo);
    });

    test("every request gets one log line on stderr; nothing is printed but the startup line on stdout", async () => {
      await request(srv.port, "/space%20name.txt");
      await srv.waitFor("stderr", logLine('"GET /space%20name.txt HTTP/1.0" 200 -'));
      expect(srv.stdout()).toMatch(/^Serving HTTP on 127\.0\.0\.1 port \d+ \(http:\/\/127\.0\.0\.1:\d+\/\) \.\.\.\n$/);
      expect(srv.stderr()).not.toMatch(/Traceback|Error:|\n\s+at /);
    });
  });

  describe.each(["class", "instance"] as const)(`the library API: attributes set per %s [${rt.name}]`, (set) => {
    let srv: RunningServer;
    const extra: [string, string][] = [
      ["X-Test1", "test1"],
      ["Set-Cookie", "a=1"],
      ["Set-Cookie", "b=2"],
      ["Content-Type", "text/evil"],
    ];
    beforeAll(async () => {
      srv = await startSimple(rt, {
        directory: tree.root,
        extraResponseHeaders: extra,
        defaultContentType: "text/x-default",
        extensionsMap: { ".txt": "text/x-mine", ".json": "application/x-mine+json" },
        indexPages: ["index.htm", "index.html"],
        set,
      });
    });
    afterAll(() => srv?.stop());

    test("extraResponseHeaders come after the automatic fields on 200 files and listings, duplicates kept, nothing replaced", async () => {
      for (const target of ["/a.txt", "/sub/", "/withindex/"]) {
        const res = await request(srv.port, target);
        expect(res.status, target).toBe(200);
        const names = res.headers.map(([k]) => k);
        expect(names.slice(-4), target).toEqual(["X-Test1", "Set-Cookie", "Set-Cookie", "Content-Type"]);
        expect(res.headers.slice(-4), target).toEqual(extra);
        expect(names[2], target).toBe("Content-type");
        expect(res.headers[2][1], target).not.toBe("text/evil");
      }
      const viaFetch = await fetch(`http://127.0.0.1:${srv.port}/a.txt`);
      expect(viaFetch.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    });

    test("extraResponseHeaders are not sent on 301, 404 or 501; a 304 carries them as its 200 would", async () => {
      const responses = [
        await request(srv.port, "/sub"),
        await request(srv.port, "/nope"),
        await request(srv.port, "/a.txt", { method: "POST" }),
      ];
      expect(responses.map((r) => r.status)).toEqual([301, 404, 501]);
      for (const res of responses) {
        expect(res.header("X-Test1")).toBeUndefined();
        expect(res.header("Set-Cookie")).toBeUndefined();
      }
      // RFC 9110 §15.4.5 (docs/deviations.md, "Static files"); CPython sends only Server and Date.
      const notModified = await request(srv.port, "/a.txt", { headers: { "If-Modified-Since": MTIME.toUTCString() } });
      expect(notModified.status).toBe(304);
      expect(notModified.header("X-Test1")).toBe("test1");
    });

    test("defaultContentType for files whose type cannot be guessed; known types, listings and errors unchanged", async () => {
      expect((await request(srv.port, "/noext")).header("Content-type")).toBe("text/x-default");
      expect((await request(srv.port, "/unknown.zzqx")).header("Content-type")).toBe("text/x-default");
      expect((await request(srv.port, "/page.html")).header("Content-type")).toBe("text/html");
      expect((await request(srv.port, "/archive.tar.gz")).header("Content-type")).toBe("application/gzip");
      expect((await request(srv.port, "/sub/")).header("Content-type")).toBe("text/html; charset=utf-8");
      expect((await request(srv.port, "/nope")).header("Content-Type")).toBe("text/html;charset=utf-8");
    });

    test("extensionsMap wins over the MIME database: exact suffix, then lower case", async () => {
      expect((await request(srv.port, "/a.txt")).header("Content-type")).toBe("text/x-mine");
      expect((await request(srv.port, "/UPPER.TXT")).header("Content-type")).toBe("text/x-mine");
      expect((await request(srv.port, "/data.json")).header("Content-type")).toBe("application/x-mine+json");
      expect((await request(srv.port, "/style.css")).header("Content-type")).toBe("text/css");
    });

    test("indexPages in the order given", async () => {
      expect((await request(srv.port, "/both/")).body.toString()).toBe(FILES["both/index.htm"]);
      expect((await request(srv.port, "/withindex/")).body.toString()).toBe(FILES["withindex/index.html"]);
    });
  });

  describe(`the library API: an empty indexPages, and overridden translatePath, guessType, copyfile, listDirectory [${rt.name}]`, () => {
    let srv: RunningServer;
    beforeAll(async () => {
      srv = await startSimple(rt, { directory: tree.root, indexPages: [], hooks: true });
    });
    afterAll(() => srv?.stop());

    test("indexPages [] lists a directory holding index.html", async () => {
      const res = await request(srv.port, "/withindex/");
      expect(res.body.toString()).toBe(expectedListing("/withindex/", path.join(tree.root, "withindex")));
      await srv.waitFor("stderr", logLine("listing /withindex/"));
    });

    test("translatePath maps /static/ onto sub/; guessType and copyfile are the hooks used", async () => {
      const res = await request(srv.port, "/static/in.txt");
      expect(res.status).toBe(200);
      expect(res.body.toString()).toBe(FILES["sub/in.txt"]);
      await srv.waitFor("stderr", logLine(`copied ${FILES["sub/in.txt"].length} bytes`));
      const tpl = path.join(tree.root, "volatile", `${rt.name}.tpl`);
      fs.writeFileSync(tpl, "{{ x }}\n");
      expect((await request(srv.port, `/volatile/${rt.name}.tpl`)).header("Content-type")).toBe("text/x-template");
      fs.unlinkSync(tpl);
    });
  });

  const nobody = asNobody(rt, path.join(scratch, rt.name));
  describe.skipIf(typeof nobody === "string")(
    `permissions, the server running as nobody [${rt.name}]${typeof nobody === "string" ? ` (skipped: ${nobody})` : ""}`,
    () => {
      let srv: RunningServer;
      beforeAll(async () => {
        srv = await startCli(nobody as Runtime, ["0", "-b", "127.0.0.1", "-d", tree.root]);
      }, 60_000);
      afterAll(() => srv?.stop());

      test("an unreadable directory: 404 No permission to list directory, logged", async () => {
        const res = await request(srv.port, "/locked/");
        expect(res.status).toBe(404);
        expect(res.reason).toBe("No permission to list directory");
        expect(res.body.toString()).toBe(errorPage(404, "No permission to list directory", "Nothing matches the given URI"));
        await srv.waitFor("stderr", logLine("code 404, message No permission to list directory"));
        // Still a directory: the redirect comes first; nothing inside can be reached.
        expect((await request(srv.port, "/locked")).status).toBe(301);
        expect((await request(srv.port, "/locked/secret.txt")).status).toBe(404);
      });

      test("an unreadable file: 404 File not found, logged; the listing still shows both", async () => {
        const res = await request(srv.port, "/locked.txt");
        expect(res.status).toBe(404);
        expect(res.body.toString()).toBe(NOT_FOUND);
        await srv.waitFor("stderr", logLine('"GET /locked.txt HTTP/1.0" 404 -'));
        const listing = (await request(srv.port, "/")).body.toString();
        expect(listing).toContain('<a href="locked/">locked/</a>');
        expect(listing).toContain('<a href="locked.txt">locked.txt</a>');
        expect((await request(srv.port, "/a.txt")).status).toBe(200);
      });
    },
  );
}
