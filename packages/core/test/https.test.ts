/**
 * The runtime-free half of HTTPS: PEM parsing and `loadCertChain` (what reaches the platform's
 * TLS listener, and the SSLErrors raised before it). The TLS half is in tests/https.test.ts.
 */
import { describe, expect, it } from "vitest";
import { pemBlocks } from "../src/platform/tls.js";
import { SSLError, loadCertChain } from "../src/server/https.js";

const block = (label: string, body = "QUJD", headers = "") => `-----BEGIN ${label}-----\n${headers}${body}\n-----END ${label}-----\n`;
const CERT = block("CERTIFICATE", "Q0VSVA==");
const INTER = block("CERTIFICATE", "SU5URVI=");
const KEY = block("PRIVATE KEY", "S0VZ");
const ENC8 = block("ENCRYPTED PRIVATE KEY", "RU5D");
const ENC1 = block("RSA PRIVATE KEY", "RU5D", "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00112233445566778899AABBCCDDEEFF\n\n");

function files(map: Record<string, string>) {
  const enc = new TextEncoder();
  return (path: string): Uint8Array => {
    if (!(path in map)) throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
    return enc.encode(map[path]);
  };
}

function sslError(fn: () => unknown): SSLError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SSLError);
    return error as SSLError;
  }
  throw new Error("no SSLError");
}

describe("pemBlocks", () => {
  it("finds every block in order, skipping text around them, with CRLF line ends normalized", () => {
    const text = `Bag Attributes\n    friendlyName: x\n${block("EC PARAMETERS", "BggqhkjOPQMBBw==")}${block("EC PRIVATE KEY")}junk\r\n${CERT.replace(/\n/g, "\r\n")}`;
    const blocks = pemBlocks(text);
    expect(blocks.map((b) => b.label)).toEqual(["EC PARAMETERS", "EC PRIVATE KEY", "CERTIFICATE"]);
    expect(blocks[2].text).toBe(CERT);
    expect(blocks.map((b) => b.encrypted)).toEqual([false, false, false]);
  });

  it("marks encrypted keys: ENCRYPTED PRIVATE KEY and OpenSSL's legacy Proc-Type: 4,ENCRYPTED", () => {
    expect(pemBlocks(ENC8 + ENC1 + KEY).map((b) => b.encrypted)).toEqual([true, true, false]);
  });

  it("ignores a BEGIN line without its matching END line", () => {
    expect(pemBlocks("-----BEGIN CERTIFICATE-----\nQUJD\n-----END PRIVATE KEY-----\n")).toEqual([]);
  });
});

describe("loadCertChain", () => {
  it("hands over the certificate blocks (chain order kept) and the first key block, without other text", () => {
    const read = files({
      "/c.pem": `subject=CN=x\n${CERT}${INTER}`,
      "/k.pem": `${block("EC PARAMETERS")}${KEY}${block("PRIVATE KEY", "T1RIRVI=")}`,
    });
    expect(loadCertChain(read, "/c.pem", "/k.pem")).toEqual({ cert: CERT + INTER, key: KEY });
  });

  it("takes the key from the certificate file without a keyfile, wherever it stands", () => {
    expect(loadCertChain(files({ "/kc.pem": KEY + CERT }), "/kc.pem")).toEqual({ cert: CERT, key: KEY });
    expect(loadCertChain(files({ "/kc.pem": CERT + KEY }), "/kc.pem", null)).toEqual({ cert: CERT, key: KEY });
  });

  it("passes the password only for an encrypted key, calling a password function only then", () => {
    let calls = 0;
    const fn = () => (calls++, "pw");
    expect(loadCertChain(files({ "/c": CERT, "/k": KEY }), "/c", "/k", fn)).toEqual({ cert: CERT, key: KEY });
    expect(calls).toBe(0);
    expect(loadCertChain(files({ "/c": CERT, "/k": ENC8 }), "/c", "/k", fn)).toEqual({ cert: CERT, key: ENC8, passphrase: "pw" });
    expect(calls).toBe(1);
    expect(loadCertChain(files({ "/c": CERT, "/k": ENC1 }), "/c", "/k", new TextEncoder().encode("sécret")).passphrase).toBe("sécret");
  });

  it("rejects a password that is not a string, bytes or a function returning one (TypeError)", () => {
    const read = files({ "/c": CERT, "/k": ENC8 });
    expect(() => loadCertChain(read, "/c", "/k", 42 as unknown as string)).toThrow(TypeError);
    expect(() => loadCertChain(read, "/c", "/k", (() => 42) as unknown as () => string)).toThrow(TypeError);
  });

  it("raises SSLError FILE_ERROR with CPython's OSError text and the code", () => {
    const e = sslError(() => loadCertChain(files({ "/k": KEY }), "/missing.pem", "/k"));
    expect([e.reason, e.code, e.message]).toEqual([
      "FILE_ERROR",
      "ENOENT",
      "cannot read the TLS certificate file: [Errno 2] No such file or directory: '/missing.pem'",
    ]);
    expect(sslError(() => loadCertChain(files({ "/c": CERT }), "/c", "/nokey")).message).toBe(
      "cannot read the TLS key file: [Errno 2] No such file or directory: '/nokey'",
    );
  });

  it("raises NO_CERTIFICATE, NO_PRIVATE_KEY and PASSWORD_REQUIRED before any cryptography", () => {
    expect(sslError(() => loadCertChain(files({ "/c": "", "/k": KEY }), "/c", "/k")).reason).toBe("NO_CERTIFICATE");
    expect(sslError(() => loadCertChain(files({ "/c": KEY }), "/c")).reason).toBe("NO_CERTIFICATE");
    const noKey = sslError(() => loadCertChain(files({ "/c": CERT }), "/c"));
    expect([noKey.reason, noKey.message]).toEqual([
      "NO_PRIVATE_KEY",
      `no private key in '/c', and no key file was given (expected a PEM "-----BEGIN PRIVATE KEY-----" block)`,
    ]);
    expect(sslError(() => loadCertChain(files({ "/c": CERT, "/k": CERT }), "/c", "/k")).message).toBe(
      `no private key in '/k' (expected a PEM "-----BEGIN PRIVATE KEY-----" block)`,
    );
    const locked = sslError(() => loadCertChain(files({ "/c": CERT, "/k": ENC1 }), "/c", "/k"));
    expect([locked.reason, locked.message]).toEqual([
      "PASSWORD_REQUIRED",
      "the private key in '/k' is encrypted and no password was given",
    ]);
  });
});
