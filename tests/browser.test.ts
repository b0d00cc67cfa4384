/**
 * A real browser on `httpserver`'s listings: headless Chromium (Debian's `chromium`, installed by
 * .ci/run; another binary through CHROMIUM_PATH) driven by playwright-core. Opens the root
 * listing served by the command, follows links into a subdirectory and to files (awkward names
 * included), checks the bytes the browser received, and takes a screenshot. On every runtime.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type RunningServer, runtimes } from "./support/runtimes.js";
import { pyQuote, startCli } from "./support/simple.js";
import { FILES, type Tree, makeTree, removeTree } from "./support/tree.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

let tree: Tree;
let browser: Browser;
let shots: string;
beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install Debian's chromium (apt-get install chromium, as .ci/run does) or set CHROMIUM_PATH`,
    );
  }
  tree = makeTree();
  shots = fs.mkdtempSync(path.join(os.tmpdir(), "httpserver-shots-"));
  // --no-sandbox: the tests run as root, where Chromium's sandbox refuses to start.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  removeTree(tree);
  if (shots !== undefined) fs.rmSync(shots, { recursive: true, force: true });
});

for (const rt of runtimes()) {
  describe(`Chromium on httpserver's listings [${rt.name}]`, () => {
    let srv: RunningServer;
    let base: string;
    beforeAll(async () => {
      srv = await startCli(rt, ["0", "-b", "127.0.0.1", "-d", tree.root]);
      base = `http://127.0.0.1:${srv.port}`;
    });
    afterAll(() => srv?.stop());

    test("open the listing, follow a directory link and a file link, check the bytes, take a screenshot", async () => {
      const page = await browser.newPage();
      try {
        const first = await page.goto(`${base}/`);
        expect(first!.status()).toBe(200);
        expect(await page.title()).toBe("Directory listing for /");
        expect(await page.locator("h1").textContent()).toBe("Directory listing for /");
        // The names as the browser shows them: HTML-escaped in the source, plain on screen.
        const names = await page.locator("li a").allTextContents();
        expect(names).toContain("<i>&amp.txt");
        expect(names).toContain("link-to-dir@");
        expect(names).toContain("sub/");

        await page.getByRole("link", { name: "sub/", exact: true }).click();
        await page.waitForURL(`${base}/sub/`);
        expect(await page.locator("h1").textContent()).toBe("Directory listing for /sub/");

        const [file] = await Promise.all([
          page.waitForResponse((r) => r.url() === `${base}/sub/in.txt`),
          page.getByRole("link", { name: "in.txt", exact: true }).click(),
        ]);
        expect(file.status()).toBe(200);
        expect(file.headers()["content-type"]).toBe("text/plain");
        expect((await file.body()).equals(Buffer.from(FILES["sub/in.txt"]))).toBe(true);
        // Chromium shows a text/plain document in a <pre>.
        expect(await page.locator("pre").textContent()).toBe(FILES["sub/in.txt"]);

        const png = path.join(shots, `${rt.name}-listing.png`);
        await page.goto(`${base}/`);
        await page.screenshot({ path: png, fullPage: true });
        const bytes = fs.readFileSync(png);
        expect(bytes.length).toBeGreaterThan(1000);
        expect(bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
      } finally {
        await page.close();
      }
    });

    test("links with awkward names work in the browser: '?', '#', '<&', non-ASCII, and a directory reached through the 301", async () => {
      const page = await browser.newPage();
      try {
        for (const [name, link] of [
          ["q?.txt", "q?.txt"],
          ["hash#.txt", "hash#.txt"],
          ["<i>&amp.txt", "<i>&amp.txt"],
          ["café.txt", "café.txt"],
          ["100%.txt", "100%.txt"],
        ]) {
          await page.goto(`${base}/`);
          const [res] = await Promise.all([page.waitForEvent("response"), page.getByRole("link", { name: link, exact: true }).click()]);
          expect(res.status(), name).toBe(200);
          expect(res.url(), name).toBe(`${base}/${pyQuote(name)}`);
          // The bytes of that URL through the browser's own HTTP stack (res.body() gives the
          // document as Chromium decoded it: text/plain without charset is read as windows-1252).
          const bytes = await (await page.request.get(res.url())).body();
          expect(bytes.equals(Buffer.from(FILES[name], "utf8")), name).toBe(true);
        }
        await page.goto(`${base}/`);
        await page.getByRole("link", { name: "é.dir/", exact: true }).click();
        await page.waitForURL(`${base}/%C3%A9.dir/`);
        expect(await page.locator("h1").textContent()).toBe("Directory listing for /é.dir/");
        // A directory without its slash: the browser follows the 301 and resolves links against it.
        await page.goto(`${base}/sub/deeper`);
        expect(page.url()).toBe(`${base}/sub/deeper/`);
        const [deep] = await Promise.all([page.waitForEvent("response"), page.getByRole("link", { name: "deep.txt" }).click()]);
        expect(deep.url()).toBe(`${base}/sub/deeper/deep.txt`);
        expect((await deep.body()).toString()).toBe(FILES["sub/deeper/deep.txt"]);
      } finally {
        await page.close();
      }
    });
  });
}
