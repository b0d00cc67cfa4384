/**
 * HTTPSServer, ThreadingHTTPSServer and `httpserver --tls-cert` over real TLS, on every runtime.
 * Spec: docs/cpython.md §6.1 (HTTPSServer), §7 (CLI TLS options); the issue "HTTPS";
 * deviations in docs/deviations.md. Certificates come from `openssl` (tests/support/tls.ts).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as https from "node:https";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { ScenarioOptions } from "./fixtures/handlers.js";
import { type Echo, RawSession, curl, json, parseResponse, rawExchange, run } from "./support/clients.js";
import { ROOT, type Runtime, type RunningServer, runtimes, startServer } from "./support/runtimes.js";
import { KEY_PASSWORD, type PKI, fetchTrusting, makePKI, openTLS } from "./support/tls.js";

const LOAD_FIXTURE = fileURLToPath(new URL("./fixtures/https-load.ts", import.meta.url));
const CLI_FIXTURE = fileURLToPath(new URL("./fixtures/cli.ts", import.meta.url));

let pki: PKI;
beforeAll(async () => {
  pki = await makePKI();
});
afterAll(() => {
  if (pki !== undefined) fs.rmSync(pki.dir, { recursive: true, force: true });
});

type TLSOptions = NonNullable<ScenarioOptions["tls"]>;

/** The echo fixture over HTTPS. */
function startTLS(rt: Runtime, tls: () => TLSOptions, extra: Partial<ScenarioOptions> = {}): Promise<RunningServer> {
  return startServer(rt, { scenario: "echo", protocol: "HTTP/1.1", tls: tls(), ...extra });
}

/** One HTTP/1.0 GET over TLS; resolves with the response once the server closes. */
async function tlsGet(port: number, target: string): Promise<ReturnType<typeof parseResponse>> {
  const session = await openTLS(port, pki.ca);
  session.send(`GET ${target} HTTP/1.0\r\n\r\n`);
  await session.waitClosed(20_000);
  session.close();
  return parseResponse(session.buffered);
}

/** A TCP connection to the TLS port that sends `bytes` (maybe none) and then nothing more. */
function stalledClient(port: number, bytes: Uint8Array = new Uint8Array()): Promise<RawSession> {
  return RawSession.open(port).then((session) => {
    if (bytes.length > 0) session.send(bytes);
    return session;
  });
}

/** The first 43 bytes of a ClientHello announcing 512 bytes: a handshake that is half sent. */
const HALF_CLIENT_HELLO = Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]), randomBytes(32)]);

/** Lines `<client> - - [<date>] <message>` of the handshake log (the handler's log_message format). */
const handshakeLog = (message: string) =>
  new RegExp(`^127\\.0\\.0\\.1 - - \\[\\d\\d/\\w{3}/\\d{4} \\d\\d:\\d\\d:\\d\\d\\] ${message}$`, "m");

/** Starts the `httpserver` command fixture and waits for its `Serving HTTPS` line. */
function startCLI(rt: Runtime, args: string[]) {
  const { cmd, args: argv, env } = rt.command(CLI_FIXTURE, args);
  const child: ChildProcess = spawn(cmd, argv, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.setEncoding("utf8").on("data", (s: string) => (out += s));
  child.stderr!.setEncoding("utf8").on("data", (s: string) => (err += s));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const started = new Promise<{ line: string; port: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`[${rt.name}] no Serving line\nstdout: ${out}\nstderr: ${err}`)), 20_000);
    const check = () => {
      const m = /^Serving HTTPS? on .* port (\d+) .*\n/m.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve({ line: m[0], port: Number(m[1]) });
      }
    };
    child.stdout!.on("data", check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`[${rt.name}] exited\nstdout: ${out}\nstderr: ${err}`));
    });
  });
  return {
    started,
    stderr: () => err,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

/** Runs the `httpserver` command fixture to its exit. */
function runCLI(rt: Runtime, args: string[]) {
  const { cmd, args: argv, env } = rt.command(CLI_FIXTURE, args);
  return run(cmd, argv, { env, timeoutMs: 20_000 });
}

/**
 * What each runtime's TLS stack reports, where they differ (README, "Differences between
 * runtimes"): OpenSSL (Node), BoringSSL (Bun) and rustls (Deno) word alerts differently, rustls
 * cannot tell plain HTTP from other non-TLS bytes, and Deno's native TLS listener cannot abort a
 * handshake in progress (the socket stays open until the client leaves; the timeout is logged).
 */
const TLS_STACK: Record<string, { unknownCA: string; plainHTTP: string; abortsStalledHandshake: boolean }> = {
  bun: { unknownCA: "bad packet length", plainHTTP: "plain HTTP request sent to the HTTPS port", abortsStalledHandshake: true },
  deno: {
    unknownCA: "received fatal alert: UnknownCA",
    plainHTTP: "received corrupt message of type InvalidContentType",
    abortsStalledHandshake: false,
  },
};
const OPENSSL = { unknownCA: ".*unknown ca.*", plainHTTP: "plain HTTP request sent to the HTTPS port", abortsStalledHandshake: true };

for (const rt of runtimes()) {
  const stack = TLS_STACK[rt.name] ?? OPENSSL;
  describe(`HTTPSServer with curl, fetch, openssl and raw TLS [${rt.name}]`, () => {
    let srv: RunningServer;
    beforeAll(async () => {
      srv = await startTLS(rt, () => ({ certfile: pki.rsaChain, keyfile: pki.rsaKeyPkcs8 }));
    });
    afterAll(() => srv?.stop());

    test("curl --cacert (root CA only: the server sends the intermediate from its chain file) by name and by IP, over h2 and HTTP/1.1", async () => {
      for (const host of ["localhost", "127.0.0.1"]) {
        for (const [flag, version] of [
          ["--http2", "HTTP/2.0"],
          ["--http1.1", "HTTP/1.1"],
        ]) {
          const { code, stdout, stderr } = await curl(["--cacert", pki.ca, flag, "-d", "over tls", `https://${host}:${srv.port}/curl`]);
          expect(code, stderr).toBe(0);
          const echoed = json(stdout);
          expect([echoed.command, echoed.path, echoed.body, echoed.requestVersion]).toEqual(["POST", "/curl", "over tls", version]);
        }
      }
    });

    test("Node's fetch trusting the test CA (NODE_EXTRA_CA_CERTS)", async () => {
      const res = await fetchTrusting(pki.ca, `https://localhost:${srv.port}/fetch?q=1`, { method: "POST", body: "from fetch" });
      expect(res.status).toBe(200);
      expect(res.headers["content-type"]).toBe("application/json");
      expect(json(res.body)).toMatchObject({ command: "POST", path: "/fetch?q=1", body: "from fetch" });
    });

    test("a client that does not trust the certificate fails; the server logs the alert and keeps serving", async () => {
      const { code } = await curl([`https://localhost:${srv.port}/`]);
      expect(code).toBe(60); // CURLE_PEER_FAILED_VERIFICATION
      await srv.waitFor("stderr", handshakeLog(`TLS handshake failed: ${stack.unknownCA}`));
      expect((await tlsGet(srv.port, "/after")).status).toBe(200);
    });

    test("openssl s_client: -alpn h2 and -alpn http/1.1 negotiate them; without ALPN there is none; a protocol not offered is refused (RFC 7301)", async () => {
      const sClient = (alpn: string[]) =>
        run("openssl", ["s_client", "-connect", `127.0.0.1:${srv.port}`, "-servername", "localhost", "-CAfile", pki.ca, ...alpn], {
          input: "",
        });
      const http11 = await sClient(["-alpn", "http/1.1"]);
      expect(http11.stdout.toString()).toMatch(/^ALPN protocol: http\/1\.1$/m);
      expect(http11.stdout.toString()).toMatch(/Verify return code: 0 \(ok\)/);
      const none = await sClient([]);
      expect(none.stdout.toString()).toMatch(/^No ALPN negotiated$/m);
      const h2 = await sClient(["-alpn", "h2"]);
      expect(h2.stdout.toString()).toMatch(/^ALPN protocol: h2$/m);
      const spdy = await sClient(["-alpn", "spdy/3.1"]);
      expect(spdy.stdout.toString() + spdy.stderr).toMatch(/no application protocol/);
      // The node client sees the same: h2 first.
      const session = await openTLS(srv.port, pki.ca, { ALPNProtocols: ["h2", "http/1.1"] });
      expect(session.tls.alpnProtocol).toBe("h2");
      session.close();
    });

    test("keep-alive and pipelining over TLS: three pipelined requests, then more on the same connection", async () => {
      const session = await openTLS(srv.port, pki.ca);
      session.send(
        "GET /one HTTP/1.1\r\nHost: a\r\n\r\n" +
          "POST /two HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello" +
          "POST /three HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
      );
      const seen: Echo[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await session.response();
        expect(res.status).toBe(200);
        seen.push(json(res.body));
      }
      expect(seen.map((b) => [b.path, b.body])).toEqual([
        ["/one", ""],
        ["/two", "hello"],
        ["/three", "abc"],
      ]);
      for (let i = 0; i < 50; i++) {
        session.send(`GET /r${i} HTTP/1.1\r\nHost: a\r\n\r\n`);
        expect(json((await session.response()).body).path).toBe(`/r${i}`);
      }
      expect(session.closed).toBe(false);
      session.send("GET /last HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
      expect((await session.response()).status).toBe(200);
      expect(await session.waitClosed()).toBe(true);
    });

    test("half-close over TLS: a request followed by close_notify and FIN still gets its (late) answer", async () => {
      const session = await openTLS(srv.port, pki.ca);
      session.socket.end("SLOW /half?ms=300 HTTP/1.0\r\n\r\n");
      expect(await session.waitClosed()).toBe(true);
      const res = parseResponse(session.buffered);
      expect(res.status).toBe(200);
      expect(res.body.toString()).toBe("slept 300\n");
    });

    test("plain HTTP and garbage sent to the TLS port close that connection only, with a log line", async () => {
      const plain = await rawExchange(srv.port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", { timeoutMs: 10_000 });
      expect(plain.closed).toBe(true);
      expect(plain.data.toString("latin1")).not.toMatch(/^HTTP\//);
      await srv.waitFor("stderr", handshakeLog(`TLS handshake failed: ${stack.plainHTTP}`));
      const garbage = await rawExchange(srv.port, "\x00\x01\x02 not TLS at all\r\n\r\n", { timeoutMs: 10_000 });
      expect(garbage.closed).toBe(true);
      await srv.waitFor("stderr", handshakeLog("TLS handshake failed: (?!plain HTTP).+"));
      // Still serving, on a connection opened before and on new ones.
      expect((await tlsGet(srv.port, "/still")).status).toBe(200);
    });

    test("a client that connects and closes before the handshake is not logged", async () => {
      const before = srv.stderr();
      const session = await RawSession.open(srv.port);
      session.close();
      expect((await tlsGet(srv.port, "/marker-after-close")).status).toBe(200);
      await srv.waitFor("stderr", /marker-after-close/);
      const added = srv.stderr().slice(before.length);
      expect(added).not.toMatch(/TLS handshake/);
    });
  });

  describe.concurrent(`certificate and key files [${rt.name}]`, () => {
    const cases: [string, () => TLSOptions][] = [
      ["PKCS#8 key (BEGIN PRIVATE KEY)", () => ({ certfile: pki.rsaChain, keyfile: pki.rsaKeyPkcs8 })],
      ["PKCS#1 key (BEGIN RSA PRIVATE KEY)", () => ({ certfile: pki.rsaChain, keyfile: pki.rsaKeyPkcs1 })],
      ["SEC1 EC key (BEGIN EC PARAMETERS + EC PRIVATE KEY)", () => ({ certfile: pki.ecChain, keyfile: pki.ecKeySec1 })],
      ["the key inside the certificate file (no keyfile)", () => ({ certfile: pki.keycert })],
      ["encrypted PKCS#8 key with password", () => ({ certfile: pki.rsaChain, keyfile: pki.rsaKeyEncrypted, password: KEY_PASSWORD })],
      [
        "legacy-encrypted PKCS#1 key with a password function",
        () => ({ certfile: pki.rsaChain, keyfile: pki.rsaKeyEncryptedPkcs1, password: KEY_PASSWORD, passwordFunction: true }),
      ],
      ["encrypted key inside the certificate file", () => ({ certfile: pki.keycertEncrypted, password: KEY_PASSWORD })],
    ];
    for (const [name, tls] of cases) {
      test(`${name}: curl verifies the chain and gets an answer (HTTPServer, one at a time)`, async () => {
        const srv = await startTLS(rt, tls, { server: "plain" });
        try {
          const { code, stdout, stderr } = await curl(["--cacert", pki.ca, `https://localhost:${srv.port}/k`]);
          expect(code, stderr).toBe(0);
          expect(json(stdout).path).toBe("/k");
        } finally {
          await srv.stop();
        }
      });
    }
  });

  describe(`unusable certificates, keys and passwords reject ready with SSLError [${rt.name}]`, () => {
    test("each case names its file and its reason", async () => {
      const cases = [
        { name: "missing certfile", options: { certfile: pki.missing, keyfile: pki.rsaKeyPkcs8 } },
        { name: "missing keyfile", options: { certfile: pki.rsaChain, keyfile: pki.missing } },
        { name: "empty certfile", options: { certfile: pki.emptyFile, keyfile: pki.rsaKeyPkcs8 } },
        { name: "bad certificate", options: { certfile: pki.badCert, keyfile: pki.rsaKeyPkcs8 } },
        { name: "certificate without key", options: { certfile: pki.rsaChain } },
        { name: "key as certificate", options: { certfile: pki.rsaKeyPkcs8 } },
        { name: "key and certificate swapped", options: { certfile: pki.rsaKeyPkcs8, keyfile: pki.rsaChain } },
        { name: "key of another certificate", options: { certfile: pki.rsaChain, keyfile: pki.ecKeySec1 } },
        { name: "other key", options: { certfile: pki.ecChain, keyfile: pki.otherKey } },
        { name: "wrong password", options: { certfile: pki.rsaChain, keyfile: pki.rsaKeyEncrypted, password: "wrong" } },
        { name: "wrong password, PKCS#1", options: { certfile: pki.rsaChain, keyfile: pki.rsaKeyEncryptedPkcs1, password: "wrong" } },
        { name: "no password", options: { certfile: pki.rsaChain, keyfile: pki.rsaKeyEncrypted } },
        { name: "good", options: { certfile: pki.rsaChain, keyfile: pki.rsaKeyPkcs8, password: "ignored: the key is not encrypted" } },
      ];
      const { cmd, args, env } = rt.command(LOAD_FIXTURE, [JSON.stringify(cases)]);
      const { code, stdout, stderr } = await run(cmd, args, { env });
      expect(code, stderr).toBe(0);
      const lines = stdout.toString().trim().split("\n");
      expect(lines.pop()).toBe("DONE");
      const results = Object.fromEntries(
        lines.map((l) => json<{ name: string; ok: boolean; error?: string; reason?: string; message?: string }>(l)).map((r) => [r.name, r]),
      );
      const q = (p: string) => `'${p}'`;
      const expected: Record<string, [string, string] | null> = {
        "missing certfile": ["FILE_ERROR", `cannot read the TLS certificate file: [Errno 2] No such file or directory: ${q(pki.missing)}`],
        "missing keyfile": ["FILE_ERROR", `cannot read the TLS key file: [Errno 2] No such file or directory: ${q(pki.missing)}`],
        "empty certfile": ["NO_CERTIFICATE", `no certificate in ${q(pki.emptyFile)} (expected a PEM "-----BEGIN CERTIFICATE-----" block)`],
        "bad certificate": ["BAD_CERTIFICATE", `cannot use the certificate in ${q(pki.badCert)}: `],
        "certificate without key": [
          "NO_PRIVATE_KEY",
          `no private key in ${q(pki.rsaChain)}, and no key file was given (expected a PEM "-----BEGIN PRIVATE KEY-----" block)`,
        ],
        "key as certificate": ["NO_CERTIFICATE", `no certificate in ${q(pki.rsaKeyPkcs8)}`],
        "key and certificate swapped": ["NO_CERTIFICATE", `no certificate in ${q(pki.rsaKeyPkcs8)}`],
        "key of another certificate": [
          "KEY_VALUES_MISMATCH",
          `the private key in ${q(pki.ecKeySec1)} does not match the certificate in ${q(pki.rsaChain)}`,
        ],
        "other key": ["KEY_VALUES_MISMATCH", `the private key in ${q(pki.otherKey)} does not match the certificate in ${q(pki.ecChain)}`],
        "wrong password": ["BAD_DECRYPT", `wrong password for the private key in ${q(pki.rsaKeyEncrypted)}`],
        "wrong password, PKCS#1": ["BAD_DECRYPT", `wrong password for the private key in ${q(pki.rsaKeyEncryptedPkcs1)}`],
        "no password": ["PASSWORD_REQUIRED", `the private key in ${q(pki.rsaKeyEncrypted)} is encrypted and no password was given`],
        good: null,
      };
      for (const [name, want] of Object.entries(expected)) {
        const got = results[name];
        if (want === null) {
          expect(got, name).toEqual({ name, ok: true });
        } else {
          expect(got, name).toMatchObject({ ok: false, error: "SSLError", reason: want[0] });
          expect(got.message?.startsWith(want[1]), `${name}: ${got.message}`).toBe(true);
          expect(got.message, name).not.toMatch(/\n/);
        }
      }
    });
  });

  for (const server of ["plain", "threading"] as const) {
    describe(`stalled TLS handshakes never block other clients (${server === "plain" ? "HTTPServer" : "ThreadingHTTPServer"}) [${rt.name}]`, () => {
      let srv: RunningServer;
      beforeAll(async () => {
        // A handshake timeout far beyond the test: the stalled clients stay pending however slowly
        // the 50 others are served on a loaded machine.
        srv = await startTLS(rt, () => ({ certfile: pki.ecChain, keyfile: pki.ecKeySec1, handshakeTimeout: 600 }), {
          server,
          protocol: "HTTP/1.0",
        });
      });
      afterAll(() => srv?.stop());

      test("50 concurrent TLS clients all complete while one client sent nothing and another half a ClientHello", async () => {
        const silent = await stalledClient(srv.port);
        const half = await stalledClient(srv.port, HALF_CLIENT_HELLO);
        const results = await Promise.all(Array.from({ length: 50 }, (_, i) => tlsGet(srv.port, `/c${i}`)));
        expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
        expect(results.map((r) => json(r.body).path)).toEqual(Array.from({ length: 50 }, (_, i) => `/c${i}`));
        // The stalled handshakes were pending the whole time.
        expect(silent.closed).toBe(false);
        expect(half.closed).toBe(false);
        silent.close();
        half.close();
      });
    });
  }

  describe(`handshake timeout [${rt.name}]`, () => {
    let srv: RunningServer;
    beforeAll(async () => {
      srv = await startTLS(rt, () => ({ certfile: pki.ecChain, keyfile: pki.ecKeySec1, handshakeTimeout: 0.5 }), { server: "plain" });
    });
    afterAll(() => srv?.stop());

    test("a handshake that never completes is closed after handshakeTimeout and logged", async () => {
      const silent = await stalledClient(srv.port);
      await srv.waitFor("stderr", handshakeLog("TLS handshake timed out after 0\\.5 s"));
      if (stack.abortsStalledHandshake) expect(await silent.waitClosed(15_000)).toBe(true);
      silent.close();
    });

    test("the timeout counts from the accept: a client sending a byte now and then is closed too", async () => {
      // 443 of the 517 bytes announced, one every 100 ms: 44 s of trickle, never idle for 0.5 s.
      const bytes = Buffer.concat([HALF_CLIENT_HELLO, randomBytes(400)]);
      const dribble = await stalledClient(srv.port);
      let i = 0;
      const timer = setInterval(() => {
        if (!dribble.closed && i < bytes.length) dribble.send(bytes.subarray(i, ++i));
      }, 100);
      try {
        if (stack.abortsStalledHandshake) expect(await dribble.waitClosed(15_000)).toBe(true);
        else await srv.waitFor("stderr", /TLS handshake timed out after 0\.5 s[\s\S]*TLS handshake timed out after 0\.5 s/);
      } finally {
        clearInterval(timer);
        dribble.close();
      }
      expect((await tlsGet(srv.port, "/after-timeouts")).status).toBe(200);
    });
  });

  describe(`httpserver --tls-cert [${rt.name}]`, () => {
    const SIZE = 100 * 1024 * 1024;
    let www: string;
    let digest: string;
    beforeAll(() => {
      www = path.join(pki.dir, "www");
      fs.mkdirSync(www, { recursive: true });
      if (fs.existsSync(path.join(www, "big.bin"))) {
        digest = fs.readFileSync(path.join(www, "big.sha256"), "utf8");
        return;
      }
      const hash = createHash("sha256");
      const fd = fs.openSync(path.join(www, "big.bin"), "w");
      const chunk = randomBytes(1024 * 1024);
      for (let i = 0; i < 100; i++) {
        chunk[0] = i; // every MiB differs
        hash.update(chunk);
        fs.writeSync(fd, chunk);
      }
      fs.closeSync(fd);
      digest = hash.digest("hex");
      fs.writeFileSync(path.join(www, "big.sha256"), digest);
    });

    test("prints `Serving HTTPS on 127.0.0.1 port N (https://127.0.0.1:N/) ...` and sends a 100 MiB file byte-exact", async () => {
      const cli = startCLI(rt, ["--tls-cert", pki.rsaChain, "--tls-key", pki.rsaKeyPkcs8, "-b", "127.0.0.1", "-d", www, "0"]);
      try {
        const { line, port } = await cli.started;
        expect(line).toBe(`Serving HTTPS on 127.0.0.1 port ${port} (https://127.0.0.1:${port}/) ...\n`);
        const { length, sha256, status } = await new Promise<{ length: string | undefined; sha256: string; status: number | undefined }>(
          (resolve, reject) => {
            const req = https.get(
              { host: "127.0.0.1", port, servername: "localhost", path: "/big.bin", ca: fs.readFileSync(pki.ca) },
              (res) => {
                const hash = createHash("sha256");
                res.on("data", (c: Buffer) => hash.update(c));
                res.on("end", () => resolve({ length: res.headers["content-length"], sha256: hash.digest("hex"), status: res.statusCode }));
                res.on("error", reject);
              },
            );
            req.on("error", reject);
          },
        );
        expect(status).toBe(200);
        expect(length).toBe(String(SIZE));
        expect(sha256).toBe(digest);
        // SimpleHTTPRequestHandler's log line.
        await expect.poll(() => cli.stderr()).toMatch(/"GET \/big\.bin HTTP\/1\.1" 200 -/);
      } finally {
        expect(await cli.stop()).toBe(0);
      }
    });

    test("--tls-password-file decrypts a key kept inside the certificate file; -p HTTP/1.1 keeps the connection", async () => {
      fs.writeFileSync(path.join(www, "small.txt"), "small\n");
      const cli = startCLI(rt, [
        "--tls-cert",
        pki.keycertEncrypted,
        "--tls-password-file",
        pki.passwordFile,
        "-p",
        "HTTP/1.1",
        "-b",
        "127.0.0.1",
        "-d",
        www,
        "0",
      ]);
      try {
        const { port } = await cli.started;
        const url = `https://localhost:${port}/small.txt`;
        const { code, stdout, stderr } = await curl(["--cacert", pki.ca, url, url]);
        expect(code, stderr).toBe(0);
        expect(stdout.toString()).toBe("small\nsmall\n");
        const session = await openTLS(port, pki.ca);
        session.send("GET /small.txt HTTP/1.1\r\nHost: a\r\n\r\nHEAD /small.txt HTTP/1.1\r\nHost: a\r\n\r\n");
        expect((await session.response()).body.toString()).toBe("small\n");
        expect((await session.response({ head: true })).status).toBe(200);
        session.close();
      } finally {
        await cli.stop();
      }
    });

    test("unusable files and passwords: one line on stderr, no stack trace, exit 1", async () => {
      const cases: [string[], RegExp][] = [
        [
          ["--tls-cert", pki.missing],
          /^httpserver: error: cannot read the TLS certificate file: \[Errno 2\] No such file or directory: '.*does-not-exist\.pem'\n$/,
        ],
        [
          ["--tls-cert", pki.rsaChain, "--tls-key", pki.missing],
          /^httpserver: error: cannot read the TLS key file: \[Errno 2\] No such file or directory: '.*'\n$/,
        ],
        [
          ["--tls-cert", pki.rsaChain, "--tls-key", pki.otherKey],
          /^httpserver: error: the private key in '.*other\.key' does not match the certificate in '.*rsa-chain\.pem'\n$/,
        ],
        [
          ["--tls-cert", pki.rsaChain, "--tls-key", pki.rsaKeyEncrypted, "--tls-password-file", pki.wrongPasswordFile],
          /^httpserver: error: wrong password for the private key in '.*rsa-enc\.key'\n$/,
        ],
        [
          ["--tls-cert", pki.rsaChain, "--tls-key", pki.rsaKeyEncrypted],
          /^httpserver: error: the private key in '.*rsa-enc\.key' is encrypted and no password was given\n$/,
        ],
        [
          ["--tls-cert", pki.badCert, "--tls-key", pki.rsaKeyPkcs8],
          /^httpserver: error: cannot use the certificate in '.*badcert\.pem': .+\n$/,
        ],
        [["--tls-cert", pki.rsaChain], /^httpserver: error: no private key in '.*rsa-chain\.pem', and no key file was given .*\n$/],
      ];
      const results = await Promise.all(cases.map(([args]) => runCLI(rt, [...args, "-b", "127.0.0.1", "0"])));
      results.forEach(({ code, stdout, stderr }, i) => {
        expect(stderr, cases[i][0].join(" ")).toMatch(cases[i][1]);
        expect(code, stderr).toBe(1);
        expect(stdout.toString()).toBe("");
      });
    });
  });
}
