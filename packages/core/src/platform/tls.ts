/**
 * TLS material for adapters and the core: PEM blocks, and the check every platform makes of a TLS
 * configuration before it listens (the contract of `TLSListenOptions`), written once: each
 * problem gets its own code, so the core reports the same `SSLError` on every runtime. The
 * runtime's crypto module is passed in (Node, Bun and Deno all provide `node:crypto`), keeping
 * this module free of runtime APIs.
 * @module
 */

import type { TLSConfigErrorCode, TLSListenOptions } from "./types.ts";

/** One PEM block: `-----BEGIN <label>-----` … `-----END <label>-----`. */
export interface PEMBlock {
  /** The label, e.g. `CERTIFICATE`, `PRIVATE KEY`, `EC PRIVATE KEY`. */
  label: string;
  /** The block, from its BEGIN line to its END line, with a final newline. */
  text: string;
  /** An encrypted private key (`ENCRYPTED PRIVATE KEY`, or `Proc-Type: 4,ENCRYPTED` inside). */
  encrypted: boolean;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

/**
 * The PEM blocks of `text`, in order; text between blocks (comments, `Bag Attributes`) is
 * skipped. Runtime-agnostic; adapters may use it to split a certificate chain.
 */
export function pemBlocks(text: string): PEMBlock[] {
  const blocks: PEMBlock[] = [];
  for (const m of text.matchAll(PEM_BLOCK)) {
    const label = m[1];
    blocks.push({
      label,
      text: m[0].replace(/\r\n/g, "\n") + "\n",
      encrypted: label === "ENCRYPTED PRIVATE KEY" || /^Proc-Type:\s*4,\s*ENCRYPTED/m.test(m[2]),
    });
  }
  return blocks;
}

/** The parts of `node:crypto` the check uses. */
export interface TLSCheckCrypto {
  /** `node:crypto`'s `X509Certificate`: parses a PEM certificate (throws when it does not parse). */
  X509Certificate: new (pem: string) => {
    /** True when `key` is the private key of this certificate's public key. */
    checkPrivateKey(key: never): boolean;
  };
  /** `node:crypto`'s `createPrivateKey`: parses (and decrypts) a PEM key, or throws. */
  createPrivateKey(options: { key: string; passphrase?: string; format: "pem" }): unknown;
}

/**
 * An `Error` with a `code`, as the core expects from a refused TLS configuration; the message is
 * OpenSSL's reason when the cause carries one.
 */
export function tlsConfigError(code: TLSConfigErrorCode, cause: unknown): Error & { code: TLSConfigErrorCode } {
  const reason = (cause as { reason?: unknown } | null)?.reason;
  const message = typeof reason === "string" ? reason : cause instanceof Error ? cause.message : String(cause);
  return Object.assign(new Error(message, { cause }), { code });
}

/**
 * Checks the certificate chain and the key of `options`: every `CERTIFICATE` block parses, the key
 * parses (with its passphrase when encrypted), and it is the private key of the first certificate.
 * @throws an error whose `code` is `ERR_TLS_BAD_CERTIFICATE`, `ERR_TLS_BAD_KEY`,
 *   `ERR_TLS_BAD_PASSWORD` or `ERR_TLS_KEY_MISMATCH` (see `TLSConfigErrorCode`).
 */
export function checkTLSConfig(options: TLSListenOptions, crypto: TLSCheckCrypto): void {
  let leaf: { checkPrivateKey(key: never): boolean } | undefined;
  for (const block of pemBlocks(options.cert)) {
    try {
      const certificate = new crypto.X509Certificate(block.text);
      leaf ??= certificate;
    } catch (error) {
      throw tlsConfigError("ERR_TLS_BAD_CERTIFICATE", error);
    }
  }
  let key: unknown;
  try {
    key = crypto.createPrivateKey({ key: options.key, passphrase: options.passphrase, format: "pem" });
  } catch (error) {
    // A wrong password can also decrypt to bytes that do not parse.
    const encrypted = pemBlocks(options.key).some((block) => block.encrypted);
    throw tlsConfigError(encrypted ? "ERR_TLS_BAD_PASSWORD" : "ERR_TLS_BAD_KEY", error);
  }
  if (leaf !== undefined && !leaf.checkPrivateKey(key as never)) {
    throw tlsConfigError("ERR_TLS_KEY_MISMATCH", new Error("key values mismatch"));
  }
}
