/**
 * A real browser on `httpserver`'s listings: headless Chromium (Debian's `chromium`, installed by
 * tests/support/global-setup.ts when missing; another binary through CHROMIUM_PATH) driven by
 * playwright-core. Opens the root
 * listing served by the command, follows links into a subdirectory and to files (awkward names
 * included), checks the bytes the browser received, and takes a screenshot; plays an audio file
 * and seeks in it, which Chromium does with Range requests. On every runtime.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CHROMIUM_DEFAULT } from "./support/global-setup.js";
import { type RunningServer, runtimes } from "./support/runtimes.js";
import { pyQuote, startCli } from "./support/simple.js";
import { FILES, type Tree, makeTree, removeTree } from "./support/tree.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? CHROMIUM_DEFAULT;

/** Length of the generated audio file: 16-bit stereo at 44.1 kHz, 10.6 MB per minute. */
const TONE_SECONDS = 120;

/** A WAV file (RIFF, PCM 16-bit stereo, 44.1 kHz) of a 440 Hz tone lasting `seconds`. */
function wav(seconds: number): Buffer {
  const rate = 44_100;
  const frames = rate * seconds;
  const data = Buffer.alloc(frames * 4);
  for (let i = 0; i < frames; i++) {
    const sample = Math.round(Math.sin((2 * Math.PI * 440 * i) / rate) * 8000);
    data.writeInt16LE(sample, i * 4);
    data.writeInt16LE(sample, i * 4 + 2);
  }
  const head = Buffer.alloc(44);
  head.write("RIFF", 0);
  head.writeUInt32LE(36 + data.length, 4);
  head.write("WAVEfmt ", 8);
  head.writeUInt32LE(16, 16);
  head.writeUInt16LE(1, 20); // PCM
  head.writeUInt16LE(2, 22); // channels
  head.writeUInt32LE(rate, 24);
  head.writeUInt32LE(rate * 4, 28); // bytes per second
  head.writeUInt16LE(4, 32); // block align
  head.writeUInt16LE(16, 34); // bits per sample
  head.write("data", 36);
  head.writeUInt32LE(data.length, 40);
  return Buffer.concat([head, data]);
}

let tree: Tree;
let browser: Browser;
let shots: string;
beforeAll(async () => {
  // tests/support/global-setup.ts found or installed it, or says why it could not.
  const missing = process.env.HTTPSERVER_CHROMIUM_ERROR;
  if (missing !== undefined) throw new Error(missing);
  tree = makeTree();
  fs.writeFileSync(path.join(tree.root, "tone.wav"), wav(TONE_SECONDS));
  shots = fs.mkdtempSync(path.join(os.tmpdir(), "httpserver-shots-"));
  // --no-sandbox: the tests run as root, where Chromium's sandbox refuses to start. Media may
  // play without a user gesture.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--autoplay-policy=no-user-gesture-required"] });
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

    test("an audio file plays and seeks: Chromium asks for byte ranges and gets 206s", async () => {
      const page = await browser.newPage();
      const ranges: { range: string | null; status: number; contentRange: string | null }[] = [];
      page.on("response", (res) => {
        if (res.url().endsWith("/tone.wav")) {
          ranges.push({
            range: res.request().headers()["range"] ?? null,
            status: res.status(),
            contentRange: res.headers()["content-range"] ?? null,
          });
        }
      });
      try {
        await page.goto(`${base}/`);
        const played = await page.evaluate(async (src) => {
          const audio = new Audio();
          audio.preload = "metadata";
          audio.muted = true;
          const once = (event: string) =>
            new Promise<void>((resolve, reject) => {
              audio.addEventListener(event, () => resolve(), { once: true });
              audio.addEventListener("error", () => reject(new Error(`media error ${audio.error?.code}`)), { once: true });
            });
          audio.src = src;
          await once("loadedmetadata");
          const duration = audio.duration;
          // Near the end: bytes the first response has not delivered yet.
          audio.currentTime = duration - 5;
          await once("seeked");
          await audio.play();
          await new Promise<void>((resolve) => {
            const tick = () => (audio.currentTime > duration - 4.8 ? resolve() : setTimeout(tick, 20));
            tick();
          });
          audio.pause();
          return { duration, at: audio.currentTime };
        }, `${base}/tone.wav`);
        expect(played.duration).toBeCloseTo(TONE_SECONDS, 0);
        expect(played.at).toBeGreaterThan(TONE_SECONDS - 5);
        // Every answer to a Range request was a 206, and one of them started past the beginning.
        expect(ranges.length).toBeGreaterThan(0);
        for (const r of ranges) if (r.range !== null) expect(r.status, r.range).toBe(206);
        const seeks = ranges.filter((r) => r.range !== null && !/^bytes=0-/.test(r.range));
        expect(seeks.length, JSON.stringify(ranges)).toBeGreaterThan(0);
        expect(seeks[0].contentRange).toMatch(/^bytes [1-9]\d*-\d+\/\d+$/);
        expect(srv.stderr()).toMatch(/"GET \/tone\.wav HTTP\/1\.1" 206 -/);
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
