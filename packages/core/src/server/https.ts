/**
 * `HTTPSServer` and `ThreadingHTTPSServer` (Python 3.14+): the HTTP servers over TLS, with the
 * certificate loading of `ssl.SSLContext.load_cert_chain`, on the platform's TLS listener.
 * @module
 */

import { utf8Decode } from "../http/chars.ts";
import { pyRepr } from "../http/repr.ts";
import { pemBlocks } from "../platform/tls.ts";
import type { Address, ListenOptions, TLSConfigErrorCode } from "../platform/types.ts";
import { osErrorText } from "../python/oserror.ts";
import type { BaseHTTPRequestHandler, RequestHandlerClass } from "./handler.ts";
import { HTTPServer, ThreadingMixIn, type ThreadingServer } from "./server.ts";

/**
 * What went wrong in an {@link SSLError} (after Python's `ssl.SSLError.reason`, which names
 * OpenSSL's reason codes; the two that exist there keep their names):
 * - `FILE_ERROR`: a certificate or key file cannot be read (Python raises `OSError` there);
 *   {@link SSLError.code} holds the runtime's code (`ENOENT`, `EACCES` …).
 * - `NO_CERTIFICATE`: no PEM `CERTIFICATE` block in the certificate file.
 * - `NO_PRIVATE_KEY`: no PEM private-key block in the key file (or, without a key file, in the
 *   certificate file).
 * - `BAD_CERTIFICATE`: a certificate block does not parse, or the TLS library refuses it (a key
 *   too small for its security level …).
 * - `BAD_KEY`: the key block does not parse.
 * - `PASSWORD_REQUIRED`: the key is encrypted and no password was given (Python would prompt on
 *   the terminal).
 * - `BAD_DECRYPT`: the password does not decrypt the key.
 * - `KEY_VALUES_MISMATCH`: the key is not the private key of the (first) certificate.
 */
export type SSLErrorReason =
  | "FILE_ERROR"
  | "NO_CERTIFICATE"
  | "NO_PRIVATE_KEY"
  | "BAD_CERTIFICATE"
  | "BAD_KEY"
  | "PASSWORD_REQUIRED"
  | "BAD_DECRYPT"
  | "KEY_VALUES_MISMATCH";

/**
 * A certificate, key or password that cannot be used (Python's `ssl.SSLError` from
 * `load_cert_chain`). The message is one line naming the file, e.g.
 * `the private key in 'key.pem' does not match the certificate in 'cert.pem'`.
 *
 * Source: Python docs, `ssl.SSLError` (`reason`); the messages are ours (docs/deviations.md).
 */
export class SSLError extends Error {
  override readonly name = "SSLError";
  /** The kind of failure. */
  readonly reason: SSLErrorReason;
  /** With `FILE_ERROR`: the runtime's error code (`ENOENT` …). */
  readonly code: string | undefined;

  /**
   * @param reason the kind of failure.
   * @param message one line, naming the file.
   * @param options `cause`: the underlying error; `code`: the file error's code.
   */
  constructor(reason: SSLErrorReason, message: string, options: { cause?: unknown; code?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
    this.code = options.code;
  }
}

/**
 * The password of an encrypted key, as Python's `password` argument: a string, bytes (decoded as
 * UTF-8), or a function returning either, called only when the key is encrypted.
 */
export type TLSPassword = string | Uint8Array | (() => string | Uint8Array);

/**
 * The TLS settings of {@link HTTPSServer}: Python's keyword-only arguments
 * `certfile, keyfile=None, password=None, alpn_protocols=None`.
 */
export interface HTTPSServerOptions {
  /**
   * Path of a PEM file holding the server's certificate followed by the intermediate CA
   * certificates that complete its chain (and, without `keyfile`, the private key too).
   */
  certfile: string;
  /**
   * Path of a PEM file holding the private key: PKCS#8 (`PRIVATE KEY`), PKCS#1
   * (`RSA PRIVATE KEY`) or SEC1 (`EC PRIVATE KEY`), possibly encrypted. Default: the key is
   * read from `certfile`.
   */
  keyfile?: string | null;
  /** The password of an encrypted key. */
  password?: TLSPassword | null;
  /** ALPN protocols offered, most preferred first (default `["http/1.1"]`). */
  alpnProtocols?: string[] | null;
}

/** What {@link loadCertChain} hands to the platform's TLS listener. */
export interface CertChain {
  /** The `CERTIFICATE` blocks of the certificate file, in order. */
  cert: string;
  /** The first private-key block of the key file. */
  key: string;
  /** The password, when the key is encrypted. */
  passphrase?: string;
}

function isKeyLabel(label: string): boolean {
  return label.endsWith("PRIVATE KEY");
}

function passwordText(password: string | Uint8Array): string {
  if (typeof password === "string") return password;
  if (password instanceof Uint8Array) return utf8Decode(password);
  throw new TypeError("password should be a string, a Uint8Array or a function returning one");
}

/**
 * Reads and checks a certificate chain and its key, as far as can be done without cryptography
 * (Python's `SSLContext.load_cert_chain(certfile, keyfile=None, password=None)`; whether the key
 * decrypts and matches the certificate is checked by the platform when it listens).
 * @param readFile reads a whole file (`platform.fs.readFileSync`).
 * @param certfile the certificate chain file (PEM).
 * @param keyfile the key file (PEM); `null` to take the key from `certfile`.
 * @param password the password of an encrypted key; a function is called only if the key is
 *   encrypted.
 * @throws {SSLError} `FILE_ERROR`, `NO_CERTIFICATE`, `NO_PRIVATE_KEY` or `PASSWORD_REQUIRED`.
 * @throws {TypeError} when `password` is not a string, bytes or a function returning one.
 *
 * Source: Python docs, `ssl.SSLContext.load_cert_chain`.
 */
export function loadCertChain(
  readFile: (path: string) => Uint8Array,
  certfile: string,
  keyfile: string | null = null,
  password: TLSPassword | null = null,
): CertChain {
  const read = (path: string, what: string): string => {
    try {
      return utf8Decode(readFile(path));
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      throw new SSLError("FILE_ERROR", `cannot read the TLS ${what} file: ${osErrorText(error, path)}`, {
        cause: error,
        code: typeof code === "string" ? code : undefined,
      });
    }
  };
  const certText = read(certfile, "certificate");
  const certBlocks = pemBlocks(certText).filter((b) => b.label === "CERTIFICATE");
  if (certBlocks.length === 0) {
    throw new SSLError("NO_CERTIFICATE", `no certificate in ${pyRepr(certfile)} (expected a PEM "-----BEGIN CERTIFICATE-----" block)`);
  }
  const keyPath = keyfile ?? certfile;
  const keyText = keyfile === null ? certText : read(keyfile, "key");
  const key = pemBlocks(keyText).find((b) => isKeyLabel(b.label));
  if (key === undefined) {
    const where = keyfile === null ? `${pyRepr(certfile)}, and no key file was given` : pyRepr(keyfile);
    throw new SSLError("NO_PRIVATE_KEY", `no private key in ${where} (expected a PEM "-----BEGIN PRIVATE KEY-----" block)`);
  }
  const chain: CertChain = { cert: certBlocks.map((b) => b.text).join(""), key: key.text };
  if (key.encrypted) {
    if (password === null || password === undefined) {
      throw new SSLError("PASSWORD_REQUIRED", `the private key in ${pyRepr(keyPath)} is encrypted and no password was given`);
    }
    chain.passphrase = passwordText(typeof password === "function" ? password() : password);
  } else if (password !== null && password !== undefined && typeof password !== "function") {
    passwordText(password); // type check only, as Python does
  }
  return chain;
}

/** The message of each platform error code, given the two file names. */
function configError(error: unknown, certfile: string, keyfile: string): unknown {
  const code = (error as { code?: unknown } | null)?.code as TLSConfigErrorCode | undefined;
  const detail = error instanceof Error && error.message ? `: ${error.message}` : "";
  const cert = pyRepr(certfile);
  const key = pyRepr(keyfile);
  switch (code) {
    case "ERR_TLS_BAD_CERTIFICATE":
      return new SSLError("BAD_CERTIFICATE", `cannot use the certificate in ${cert}${detail}`, { cause: error });
    case "ERR_TLS_BAD_KEY":
      return new SSLError("BAD_KEY", `cannot use the private key in ${key}${detail}`, { cause: error });
    case "ERR_TLS_BAD_PASSWORD":
      return new SSLError("BAD_DECRYPT", `wrong password for the private key in ${key}`, { cause: error });
    case "ERR_TLS_KEY_MISMATCH":
      return new SSLError("KEY_VALUES_MISMATCH", `the private key in ${key} does not match the certificate in ${cert}`, {
        cause: error,
      });
    default:
      return error;
  }
}

/**
 * An {@link HTTPServer} over TLS: Python's `http.server.HTTPSServer` (3.14+). It handles one
 * connection at a time; {@link ThreadingHTTPSServer} handles them concurrently.
 *
 * ```ts
 * await using httpd = new ThreadingHTTPSServer(["", 8443], SimpleHTTPRequestHandler, {
 *   certfile: "cert.pem",   // the certificate, then its intermediate CA certificates
 *   keyfile: "key.pem",     // PKCS#8, PKCS#1 or SEC1 PEM; omit when cert.pem holds the key
 *   password: "secret",     // for an encrypted key
 * });
 * await httpd.ready;        // rejects with SSLError for an unusable certificate, key or password
 * await httpd.serveForever();
 * ```
 *
 * The files are read through the platform when the server binds (in the constructor, unless
 * `bindAndActivate` is false). Problems reject {@link ready} (or {@link serverBind}) with an
 * {@link SSLError}: a file that cannot be read (`FILE_ERROR`), no certificate or no key in it,
 * a certificate or key that does not parse, an encrypted key without a password, a wrong
 * password, a key that does not match the certificate. Bind errors are not wrapped.
 *
 * Each TLS handshake runs on its own: the server only takes a connection once its handshake is
 * done, so a slow or stalled client never blocks another one, even with this one-at-a-time
 * server (unlike CPython, which handshakes inside `accept()`). A handshake still unfinished after
 * {@link handshakeTimeout} seconds, and one that fails (plain HTTP sent to the HTTPS port,
 * garbage, a client rejecting the certificate) closes that connection and is logged by
 * {@link handleHandshakeError}.
 *
 * Source: Python docs, `http.server.HTTPSServer`, `ssl.SSLContext.load_cert_chain`;
 * docs/cpython.md §6.1.
 */
export class HTTPSServer extends HTTPServer {
  /** Path of the certificate chain file (Python's `certfile`). */
  certfile: string;
  /** Path of the key file, or `null` when the key is in {@link certfile} (Python's `keyfile`). */
  keyfile: string | null;
  /** Password of an encrypted key (Python's `password`). */
  password: TLSPassword | null;
  /**
   * ALPN protocols offered, in order of preference (Python's `alpn_protocols`). Default
   * `["h2", "http/1.1"]` (Python's: `["http/1.1"]`); `"h2"` is left out while {@link http2} is
   * `false`.
   */
  alpnProtocols: string[];
  /**
   * Seconds a client has to complete the TLS handshake, counted from the TCP accept; then the
   * connection is closed. Set it on a subclass or right after construction (it is read when the
   * server binds). Not in Python, whose handshake has no time limit.
   */
  handshakeTimeout = 10;

  /**
   * @param serverAddress `[host, port]` to bind; `""` or `"::"` for every interface.
   * @param RequestHandlerClass the handler class (e.g. `SimpleHTTPRequestHandler`).
   * @param options `{ certfile, keyfile?, password?, alpnProtocols? }`.
   */
  constructor(serverAddress: Address, RequestHandlerClass: RequestHandlerClass<BaseHTTPRequestHandler>, options: HTTPSServerOptions);
  /**
   * @param bindAndActivate bind and listen at once (default); otherwise call {@link serverBind}
   *   and {@link serverActivate} yourself.
   */
  constructor(
    serverAddress: Address,
    RequestHandlerClass: RequestHandlerClass<BaseHTTPRequestHandler>,
    bindAndActivate: boolean,
    options: HTTPSServerOptions,
  );
  constructor(
    serverAddress: Address,
    RequestHandlerClass: RequestHandlerClass<BaseHTTPRequestHandler>,
    bindOrOptions: boolean | HTTPSServerOptions,
    maybeOptions?: HTTPSServerOptions,
  ) {
    const options = typeof bindOrOptions === "boolean" ? maybeOptions : bindOrOptions;
    if (options === undefined || options === null || typeof options.certfile !== "string") {
      throw new TypeError("HTTPSServer needs options with a certfile: { certfile, keyfile?, password?, alpnProtocols? }");
    }
    super(serverAddress, RequestHandlerClass, typeof bindOrOptions === "boolean" ? bindOrOptions : true);
    this.certfile = options.certfile;
    this.keyfile = options.keyfile ?? null;
    this.password = options.password ?? null;
    this.alpnProtocols = options.alpnProtocols ?? ["h2", "http/1.1"];
  }

  /**
   * The TCP options plus TLS: reads the files ({@link loadCertChain}) and adds
   * {@link alpnProtocols}, {@link handshakeTimeout} and {@link handleHandshakeError}.
   * @throws {SSLError} see {@link loadCertChain}.
   */
  override async listenOptions(): Promise<ListenOptions> {
    const options = await super.listenOptions();
    const timeout = this.handshakeTimeout;
    if (!(typeof timeout === "number" && timeout > 0 && Number.isFinite(timeout))) {
      throw new RangeError(`handshakeTimeout must be a positive number of seconds, not ${String(timeout)}`);
    }
    const chain = loadCertChain((path) => this.platform.fs.readFileSync(path), this.certfile, this.keyfile, this.password);
    return {
      ...options,
      tls: {
        ...chain,
        alpnProtocols: this.alpnProtocols.filter((name) => name !== "h2" || this.http2),
        handshakeTimeoutMs: timeout * 1000,
        onHandshakeError: (remoteAddress, error) => {
          // Called from the runtime's event handlers: an exception here must not end the process.
          try {
            this.handleHandshakeError(remoteAddress, error);
          } catch (failure) {
            this.platform.stderr(`${failure instanceof Error ? (failure.stack ?? failure.message) : String(failure)}\n`);
          }
        },
      },
    };
  }

  /**
   * Loads the certificate and key, binds and listens (Python's `server_bind` and the loading part
   * of `server_activate`).
   * @throws {SSLError} for an unusable certificate, key or password; the platform's bind error
   *   otherwise.
   */
  override async serverBind(): Promise<void> {
    try {
      await super.serverBind();
    } catch (error) {
      throw configError(error, this.certfile, this.keyfile ?? this.certfile);
    }
  }

  /**
   * Called when a connection was closed because its TLS handshake failed or timed out. Logs
   * `<client> - - [<date>] TLS handshake failed: <reason>` (or `TLS handshake timed out after
   * <n> s`) on standard error, in the format of the handler's `logMessage`; a client that closed
   * the connection before completing the handshake is not logged. Not in Python, which drops
   * such connections silently.
   * @param clientAddress the client's `[host, port]`.
   * @param error `code` is `ERR_TLS_HANDSHAKE_TIMEOUT`, `ERR_TLS_HTTP_REQUEST` (plain HTTP),
   *   `ECONNRESET`, or the runtime's; `message` is a short reason.
   */
  handleHandshakeError(clientAddress: Address, error: Error & { code?: string }): void {
    let message: string;
    switch (error.code) {
      case "ECONNRESET":
        return;
      case "ERR_TLS_HANDSHAKE_TIMEOUT":
        message = `TLS handshake timed out after ${this.handshakeTimeout} s`;
        break;
      case "ERR_TLS_HTTP_REQUEST":
        message = "TLS handshake failed: plain HTTP request sent to the HTTPS port";
        break;
      default:
        message = `TLS handshake failed: ${error.message || error.code || "unknown error"}`;
    }
    this.logServerEvent(clientAddress[0], message);
  }
}

// A named base, so that the class's type is explicit (JSR's fast type check).
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the mixin pattern requires any[]
const ThreadingHTTPSServerBase: typeof HTTPSServer & (new (...args: any[]) => ThreadingServer) = ThreadingMixIn(HTTPSServer);

/**
 * {@link HTTPSServer} that handles connections concurrently (Python's
 * `http.server.ThreadingHTTPSServer`, 3.14+); what `httpserver --tls-cert` uses.
 */
export class ThreadingHTTPSServer extends ThreadingHTTPSServerBase {}
