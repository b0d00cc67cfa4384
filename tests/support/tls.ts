/**
 * A throw-away PKI made with the `openssl` command for the HTTPS tests, and TLS clients.
 *
 * The chain is root CA → intermediate CA → server certificate (`localhost`, `127.0.0.1`, `::1`):
 * clients trust only the root, so the server must send the intermediate from its chain file.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tls from "node:tls";
import { promisify } from "node:util";
import { RawSession, run } from "./clients.js";

const execFileAsync = promisify(execFile);

/** Password of the encrypted keys (not ASCII, to check that it travels as UTF-8). */
export const KEY_PASSWORD = "sécret pass";

/** Paths of the files {@link makePKI} writes. */
export interface PKI {
  dir: string;
  /** The root CA certificate: what clients trust. */
  ca: string;
  /** RSA server certificate + intermediate (a chain file); its keys in every format below. */
  rsaChain: string;
  /** PKCS#8 (`BEGIN PRIVATE KEY`). */
  rsaKeyPkcs8: string;
  /** PKCS#1 (`BEGIN RSA PRIVATE KEY`). */
  rsaKeyPkcs1: string;
  /** Encrypted PKCS#8 (`BEGIN ENCRYPTED PRIVATE KEY`), {@link KEY_PASSWORD}. */
  rsaKeyEncrypted: string;
  /** PKCS#1 with OpenSSL's legacy encryption (`Proc-Type: 4,ENCRYPTED`), {@link KEY_PASSWORD}. */
  rsaKeyEncryptedPkcs1: string;
  /** The PKCS#8 key followed by the chain, in one file (CPython's keycert.pem layout). */
  keycert: string;
  /** The encrypted key followed by the chain. */
  keycertEncrypted: string;
  /** EC (P-256) server certificate + intermediate. */
  ecChain: string;
  /** Its SEC1 key (`BEGIN EC PARAMETERS` then `BEGIN EC PRIVATE KEY`). */
  ecKeySec1: string;
  /** A key of no certificate here. */
  otherKey: string;
  /** A file holding {@link KEY_PASSWORD} and a newline. */
  passwordFile: string;
  /** A file holding a wrong password. */
  wrongPasswordFile: string;
  /** A certificate block of garbage (CPython's badcert.pem idea). */
  badCert: string;
  /** An empty file (CPython's nullcert.pem). */
  emptyFile: string;
  /** A path that does not exist. */
  missing: string;
}

async function openssl(dir: string, args: string[], env: Record<string, string> = {}): Promise<void> {
  await execFileAsync("openssl", args, { cwd: dir, env: { ...process.env, ...env } });
}

/** Writes a fresh PKI into a new temporary directory (about a second). */
export async function makePKI(): Promise<PKI> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "httpserver-tls-"));
  const p = (name: string) => path.join(dir, name);
  const pass = { PASS: KEY_PASSWORD };
  fs.writeFileSync(p("ca.cnf"), "[v3]\nbasicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n");
  fs.writeFileSync(
    p("leaf.cnf"),
    "[v3]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n" +
      "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n",
  );
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  // Root and intermediate CAs (EC: quick to generate).
  await openssl(dir, [
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "root.key",
    "-out",
    "root.pem",
    "-days",
    "2",
    "-subj",
    "/CN=httpserver test root CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  await openssl(dir, ["req", "-new", ...ec, "-keyout", "inter.key", "-out", "inter.csr", "-subj", "/CN=httpserver test intermediate CA"]);
  await openssl(dir, [
    "x509",
    "-req",
    "-in",
    "inter.csr",
    "-CA",
    "root.pem",
    "-CAkey",
    "root.key",
    "-set_serial",
    "2",
    "-days",
    "2",
    "-extfile",
    "ca.cnf",
    "-extensions",
    "v3",
    "-out",
    "inter.pem",
  ]);
  const leaf = async (name: string, key: string) => {
    await openssl(dir, ["req", "-new", "-key", key, "-subj", "/CN=localhost", "-out", `${name}.csr`]);
    await openssl(dir, [
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "inter.pem",
      "-CAkey",
      "inter.key",
      "-set_serial",
      String(Date.now()),
      "-days",
      "2",
      "-extfile",
      "leaf.cnf",
      "-extensions",
      "v3",
      "-out",
      `${name}.pem`,
    ]);
    fs.writeFileSync(p(`${name}-chain.pem`), fs.readFileSync(p(`${name}.pem`), "utf8") + fs.readFileSync(p("inter.pem"), "utf8"));
  };
  await Promise.all([
    (async () => {
      await openssl(dir, ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa.key"]);
      await Promise.all([
        leaf("rsa", "rsa.key"),
        openssl(dir, ["rsa", "-in", "rsa.key", "-traditional", "-out", "rsa-pkcs1.key"]),
        openssl(dir, ["pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", "rsa.key", "-passout", "env:PASS", "-out", "rsa-enc.key"], pass),
        openssl(dir, ["rsa", "-in", "rsa.key", "-traditional", "-aes256", "-passout", "env:PASS", "-out", "rsa-enc-pkcs1.key"], pass),
      ]);
    })(),
    (async () => {
      await openssl(dir, ["ecparam", "-name", "prime256v1", "-genkey", "-out", "ec.key"]);
      await leaf("ec", "ec.key");
    })(),
    openssl(dir, ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "other.key"]),
  ]);
  fs.writeFileSync(p("keycert.pem"), fs.readFileSync(p("rsa.key"), "utf8") + fs.readFileSync(p("rsa-chain.pem"), "utf8"));
  fs.writeFileSync(p("keycert-enc.pem"), fs.readFileSync(p("rsa-enc.key"), "utf8") + fs.readFileSync(p("rsa-chain.pem"), "utf8"));
  fs.writeFileSync(p("password.txt"), `${KEY_PASSWORD}\n`);
  fs.writeFileSync(p("wrong-password.txt"), "not the password\n");
  fs.writeFileSync(p("badcert.pem"), "-----BEGIN CERTIFICATE-----\nJust bad cert data\n-----END CERTIFICATE-----\n");
  fs.writeFileSync(p("empty.pem"), "");
  return {
    dir,
    ca: p("root.pem"),
    rsaChain: p("rsa-chain.pem"),
    rsaKeyPkcs8: p("rsa.key"),
    rsaKeyPkcs1: p("rsa-pkcs1.key"),
    rsaKeyEncrypted: p("rsa-enc.key"),
    rsaKeyEncryptedPkcs1: p("rsa-enc-pkcs1.key"),
    keycert: p("keycert.pem"),
    keycertEncrypted: p("keycert-enc.pem"),
    ecChain: p("ec-chain.pem"),
    ecKeySec1: p("ec.key"),
    otherKey: p("other.key"),
    passwordFile: p("password.txt"),
    wrongPasswordFile: p("wrong-password.txt"),
    badCert: p("badcert.pem"),
    emptyFile: p("empty.pem"),
    missing: p("does-not-exist.pem"),
  };
}

/** Opens a TLS connection trusting `ca`, as a {@link RawSession} (plaintext after the handshake). */
export function openTLS(port: number, ca: string, options: tls.ConnectionOptions = {}): Promise<RawSession & { tls: tls.TLSSocket }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ port, host: "127.0.0.1", servername: "localhost", ca: fs.readFileSync(ca), ...options });
    socket.once("secureConnect", () => {
      socket.off("error", reject);
      resolve(Object.assign(RawSession.wrap(socket), { tls: socket }));
    });
    socket.once("error", reject);
  });
}

/**
 * Runs Node's `fetch` in a child process that trusts `ca` through `NODE_EXTRA_CA_CERTS` (the
 * global fetch takes no CA option without the undici package). Resolves with what the script
 * printed: `{ status, headers, body }` as JSON.
 */
export async function fetchTrusting(
  ca: string,
  url: string,
  init: { method?: string; body?: string } = {},
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const script = `
    const res = await fetch(${JSON.stringify(url)}, ${JSON.stringify(init)});
    const body = await res.text();
    console.log(JSON.stringify({ status: res.status, headers: Object.fromEntries(res.headers), body }));
  `;
  const { code, stdout, stderr } = await run(process.execPath, ["--input-type=module", "-e", script], {
    env: { NODE_EXTRA_CA_CERTS: ca },
  });
  if (code !== 0) throw new Error(`fetch failed (${code}): ${stderr}`);
  return JSON.parse(stdout.toString()) as { status: number; headers: Record<string, string>; body: string };
}
