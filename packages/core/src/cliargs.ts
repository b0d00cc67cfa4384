/**
 * The argument half of the `httpserver` command line: the options of `python -m http.server`
 * (CPython 3.15, plus `--cgi` from 3.13/3.14, then httpserver's own), parsed and checked in CPython's order with CPython's
 * messages and exit codes. `cli.ts` calls {@link parseCliArgs} and starts the server.
 *
 * Parsing is done by the npm package `argparse` (3.x, a port of CPython 3.14's argparse), so the
 * usage line, the help layout, abbreviations (`--dir`), `-bADDR`/`--bind=ADDR` and every argparse
 * error read exactly as CPython's. That package `require`s `util`, `fs`, `path` and `assert` and
 * writes to `process.stdout`/`process.exit` by default; this module keeps it off every runtime API:
 * `prog` and `argv` are passed in, output goes to {@link CliIO} callbacks, an exit becomes a
 * returned code, colour is off, and the help width is fixed (see {@link parseCliArgs}).
 *
 * Source: docs/cpython.md §7.1; CPython `Lib/http/server.py` `_main()`;
 * the expectations in `test/fixtures/cpython-cli/` are produced by CPython (`generate.py`).
 * @module
 */
import { ArgumentParser, ArgumentTypeError, HelpFormatter, type HelpFormatterOptions } from "argparse";
import { utf8DecodeStrict } from "./http/chars.ts";
import { pyRepr } from "./http/repr.ts";
import { osErrorText } from "./python/oserror.ts";
import { VERSION } from "./version.ts";

/** The command line's settings once parsed and checked. */
export interface CliOptions {
  /** `[port]`: TCP port, 0–65535 (0 asks the system for a free port). Default 8000. */
  port: number;
  /** `-b/--bind ADDRESS`, verbatim; `null` when not given (all interfaces). */
  bind: string | null;
  /**
   * `-d/--directory DIRECTORY`, verbatim and unchecked (not made absolute, not required to
   * exist); default {@link CliIO.cwd}, as CPython's `os.getcwd()` at parse time.
   */
  directory: string;
  /** `-p/--protocol VERSION`, verbatim and unchecked (CPython does not check it). Default `HTTP/1.0`. */
  protocol: string;
  /** `--content-type CONTENT_TYPE`: type of files whose type cannot be guessed. Default `application/octet-stream`. */
  contentType: string;
  /**
   * `-H/--header 'Name: value'`, in command-line order, duplicates kept: `[name, value]` split at
   * the first `:`, both `str.strip()`ped as Python does. Empty when not given.
   */
  headers: [string, string][];
  /**
   * `--tls-cert PATH`; `null` when not given. Like CPython, an empty string is kept here but means
   * "no TLS" wherever CPython tests it for truth (`if args.tls_cert`), so test it the same way.
   */
  tlsCert: string | null;
  /** `--tls-key PATH`; `null` when not given (the key is then read from the certificate file). */
  tlsKey: string | null;
  /** `--tls-password-file PATH`; `null` when not given. Its content is returned as `tlsPassword`. */
  tlsPasswordFile: string | null;
  /** `--cgi`: serve with `CGIHTTPRequestHandler` (CPython 3.13/3.14; removed in 3.15). */
  cgi: boolean;
  /** `--headers-timeout SECONDS` (ours): `HTTPServer.headersTimeout`; 0 for no limit. Default 60. */
  headersTimeout: number;
  /** `--keep-alive-timeout SECONDS` (ours): `HTTPServer.keepAliveTimeout`; 0 for no limit. Default 5. */
  keepAliveTimeout: number;
  /** `--request-timeout SECONDS` (ours): `HTTPServer.requestTimeout`; 0 for no limit. Default 60. */
  requestTimeout: number;
  /** `--send-timeout SECONDS` (ours): `HTTPServer.sendTimeout`; 0 for no limit. Default 60. */
  sendTimeout: number;
  /**
   * `--max-connections N` (ours): `HTTPServer.maxConnections`; 0 for no limit, `null` when not
   * given (derived from the descriptor limit).
   */
  maxConnections: number | null;
  /** `--shutdown-timeout SECONDS` (ours): `HTTPServer.shutdownTimeout`. Default 5. */
  shutdownTimeout: number;
  /** `--precompressed` (ours): `SimpleHTTPRequestHandler.precompressed`. */
  precompressed: boolean;
  /** `--compress` (ours): `SimpleHTTPRequestHandler.compress`. */
  compress: boolean;
  /** `--cors` (ours): `SimpleHTTPRequestHandler.cors`. */
  cors: boolean;
  /** `--cache-control VALUE` (ours): `SimpleHTTPRequestHandler.cacheControl`; `null` when not given. */
  cacheControl: string | null;
  /** `--workers N` (ours): processes or threads serving the port, `"auto"` for one per CPU. Default 1. */
  workers: number | "auto";
}

/** What {@link parseCliArgs} needs from the runtime. */
export interface CliIO {
  /** Writes text to standard output (help). Called at most once per parse. */
  stdout(text: string): void;
  /** Writes text to standard error (usage and `error:` lines). Called at most twice per parse. */
  stderr(text: string): void;
  /**
   * Reads a whole file (the TLS password file) and returns its bytes. Relative paths are relative
   * to the process's working directory.
   * @throws an `Error` with node:fs's string `code` (`'ENOENT'`, `'EACCES'`, `'EISDIR'` …) on
   *   failure; it becomes `error: Failed to read TLS password file: [Errno 2] No such file or
   *   directory: 'path'` as CPython prints it.
   */
  readFile(path: string): Uint8Array;
  /** The working directory: the default of `-d/--directory`. */
  cwd: string;
}

/**
 * The outcome of {@link parseCliArgs}: either the settings and the TLS key password (the stripped
 * content of `--tls-password-file`, or `null` without that option), or the exit code the process
 * must end with because help or an error has already been written (0 after `-h`, 2 after an error).
 */
export type CliParseResult = { options: CliOptions; tlsPassword: string | null } | { exitCode: number };

const DEFAULT_PROG = "httpserver";
/**
 * Help is wrapped as CPython wraps it for an 80-column terminal (`COLUMNS - 2`): what
 * `python -m http.server --help` prints with COLUMNS unset and stdout not a terminal (or
 * COLUMNS=80). Fixed so that output does not depend on the environment.
 */
const HELP_WIDTH = 78;
const PORT_MAX = 65535;

/** Thrown by {@link CliParser.exit} and caught by {@link parseCliArgs}: never escapes. */
class ExitRequest extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** argparse's default formatter at a fixed width and without colour (no `process.env`/TTY probe). */
class CliHelpFormatter extends HelpFormatter {
  constructor(options: HelpFormatterOptions) {
    super({ ...options, width: HELP_WIDTH, color: false });
  }
}

/**
 * argparse's `ArgumentParser` writing through {@link CliIO} and exiting by throwing
 * {@link ExitRequest}. Every path by which argparse prints or exits goes through these methods
 * (`-h` calls `print_help()` then `exit()`; errors call `error()`); `_print_message()` is left alone
 * because only `--version` and deprecation warnings use it, and this parser has neither.
 */
class CliParser extends ArgumentParser {
  private readonly io: CliIO;

  constructor(io: CliIO, prog: string) {
    super({ prog, formatter_class: CliHelpFormatter, color: false });
    this.io = io;
  }

  override print_help(): void {
    this.io.stdout(this.format_help());
  }

  override print_usage(): void {
    this.io.stdout(this.format_usage());
  }

  /** Where argparse writes `--version` (to `process.stdout` otherwise). */
  _print_message(message: string): void {
    if (message) this.io.stdout(message);
  }

  override exit(status = 0, message?: string): never {
    if (message) this.io.stderr(message);
    throw new ExitRequest(status);
  }

  override error(message: string): never {
    this.io.stderr(this.format_usage());
    return this.exit(2, `${this.prog}: error: ${message}\n`);
  }
}

/**
 * Python's `str.isspace()` characters: what `str.strip()` and `int()` remove. Wider than
 * JavaScript's `trim()` (adds U+001C–U+001F and U+0085; lacks U+FEFF).
 */
const PY_SPACE =
  "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";

/** Python's `str.strip()` without arguments. */
function pyStrip(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && PY_SPACE.includes(s[start])) start++;
  while (end > start && PY_SPACE.includes(s[end - 1])) end--;
  return s.slice(start, end);
}

const PY_INT = /^[+-]?\p{Nd}+(?:_\p{Nd}+)*$/u;
const DECIMAL_DIGIT = /^\p{Nd}$/u;
/** CPython's `sys.get_int_max_str_digits()` default: longer decimal strings are a ValueError. */
const PY_INT_MAX_STR_DIGITS = 4300;

/**
 * Python's `int(text)` for base 10: surrounding white space, a sign, `_` between digits, and any
 * Unicode decimal digit (category Nd, e.g. `'٣'` is 3). Returns a bigint, so that a huge value is
 * reported exactly by the port range check.
 * @throws {ArgumentTypeError} `invalid int value: 'text'` (CPython's argparse message for
 *   `type=int`; argparse-js would say `invalid 'int' value` and use `util.inspect` for the repr).
 */
function pyInt(text: string): bigint {
  const s = pyStrip(text);
  if (PY_INT.test(s)) {
    let ascii = "";
    for (const ch of s) ascii += ch === "_" ? "" : ch === "+" || ch === "-" ? ch : String(decimalValue(ch));
    if (ascii.replace(/^[+-]/, "").length <= PY_INT_MAX_STR_DIGITS) return BigInt(ascii);
  }
  throw new ArgumentTypeError(`invalid int value: ${pyRepr(text)}`);
}

/**
 * The value of a Unicode decimal digit. Unicode assigns Nd characters in contiguous runs of ten,
 * 0 to 9 (a stability guarantee), so the value is the distance to the start of the run, mod 10.
 */
function decimalValue(ch: string): number {
  const cp = ch.codePointAt(0)!;
  let start = cp;
  while (DECIMAL_DIGIT.test(String.fromCodePoint(start - 1))) start--;
  return (cp - start) % 10;
}

const PY_FLOAT = /^[+-]?(?:(?:\p{Nd}(?:_?\p{Nd})*)?\.\p{Nd}(?:_?\p{Nd})*|\p{Nd}(?:_?\p{Nd})*\.?)(?:[eE][+-]?\p{Nd}(?:_?\p{Nd})*)?$/u;

/** Python's `float(text)` for finite decimal text (any Unicode decimal digit, `_` between digits); `null` otherwise. */
function pyFloat(text: string): number | null {
  const s = pyStrip(text);
  if (!PY_FLOAT.test(s)) return null;
  let ascii = "";
  for (const ch of s) ascii += DECIMAL_DIGIT.test(ch) ? String(decimalValue(ch)) : ch === "_" ? "" : ch;
  return Number(ascii);
}

/**
 * A time limit in seconds (httpserver's options): Python's `float()`, finite and not negative.
 * @throws {ArgumentTypeError} `invalid seconds value: 'text'` (what argparse says for a `type`
 *   function named `seconds` that raises `ValueError`, as generate.py declares it).
 */
function seconds(text: string): number {
  const value = pyFloat(text);
  if (value === null || !(value >= 0) || value === Infinity) throw new ArgumentTypeError(`invalid seconds value: ${pyRepr(text)}`);
  return value;
}

/**
 * A number of connections: Python's `int()`, not negative.
 * @throws {ArgumentTypeError} `invalid count value: 'text'`.
 */
function count(text: string): number {
  return intAtLeast(text, 0n, "count");
}

/**
 * `--workers`: `auto`, or Python's `int()` of at least 1.
 * @throws {ArgumentTypeError} `invalid workers value: 'text'`.
 */
function workers(text: string): number | "auto" {
  return text === "auto" ? text : intAtLeast(text, 1n, "workers");
}

/**
 * Python's `int()` of `text`, at least `min` (numbers beyond `Number.MAX_SAFE_INTEGER` are that).
 * @throws {ArgumentTypeError} `invalid <kind> value: 'text'`.
 */
function intAtLeast(text: string, min: bigint, kind: string): number {
  let value: bigint;
  try {
    value = pyInt(text);
  } catch {
    throw new ArgumentTypeError(`invalid ${kind} value: ${pyRepr(text)}`);
  }
  if (value < min) throw new ArgumentTypeError(`invalid ${kind} value: ${pyRepr(text)}`);
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}

/**
 * A field-value httpserver can send: no CR, LF or NUL, and ISO-8859-1 text.
 * @throws {ArgumentTypeError} `invalid field value: 'text'`.
 */
function field(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0d || c === 0x0a || c === 0 || c > 0xff) throw new ArgumentTypeError(`invalid field value: ${pyRepr(text)}`);
  }
  return text;
}

/**
 * Reads the TLS password file as CPython's `open(path, "r", encoding="utf-8").read().strip()`:
 * strict UTF-8 (a leading BOM is kept as U+FEFF, as the `utf-8` codec does), universal newlines
 * (`\r\n` and `\r` become `\n`), then `str.strip()`.
 * @returns the password, or the text that follows `Failed to read TLS password file: `.
 */
function readPasswordFile(io: CliIO, path: string): { password: string } | { failure: string } {
  let bytes: Uint8Array;
  try {
    bytes = io.readFile(path);
  } catch (err) {
    return { failure: osErrorText(err, path) };
  }
  const text = utf8DecodeStrict(bytes);
  // CPython raises UnicodeDecodeError here, which _main() does not catch (a traceback, exit 1).
  if (text === null) return { failure: `'utf-8' codec can't decode ${pyRepr(path)}: invalid UTF-8` };
  // TextDecoder drops a leading BOM; Python's "utf-8" codec keeps it.
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? "\ufeff" : "";
  return { password: pyStrip((bom + text).replace(/\r\n?/g, "\n")) };
}

/** The option declarations, as CPython's `_main()` makes them (3.15 order, then `--cgi`). */
function buildParser(io: CliIO, prog: string): CliParser {
  const parser = new CliParser(io, prog);
  parser.add_argument("-b", "--bind", {
    metavar: "ADDRESS",
    help: "bind to this address (default: all interfaces)",
  });
  parser.add_argument("-d", "--directory", {
    default: io.cwd,
    help: "serve this directory (default: current directory)",
  });
  parser.add_argument("-p", "--protocol", {
    metavar: "VERSION",
    default: "HTTP/1.0",
    help: "conform to this HTTP version (default: %(default)s)",
  });
  // CPython 3.15 (gh-113471): long option only. Its help text was not seen; this one is ours.
  parser.add_argument("--content-type", {
    default: "application/octet-stream",
    help: "Content-Type of files whose type cannot be guessed (default: %(default)s)",
  });
  parser.add_argument("--tls-cert", { metavar: "PATH", help: "path to the TLS certificate chain file" });
  parser.add_argument("--tls-key", { metavar: "PATH", help: "path to the TLS key file" });
  parser.add_argument("--tls-password-file", { metavar: "PATH", help: "path to the password file for the TLS key" });
  parser.add_argument("-H", "--header", {
    action: "append",
    help: "Add a custom response header of the form Header: value (can be specified multiple times)",
  });
  parser.add_argument("--cgi", { action: "store_true", help: "run as CGI server" });
  // httpserver's own options, after Python's.
  parser.add_argument("--version", { action: "version", version: `%(prog)s ${VERSION}` });
  parser.add_argument("--precompressed", {
    action: "store_true",
    help: "serve FILE.br, FILE.zst or FILE.gz in place of FILE to clients that accept that encoding",
  });
  parser.add_argument("--compress", {
    action: "store_true",
    help: "compress text files of 1 KiB or more with brotli or gzip as they are sent",
  });
  parser.add_argument("--cors", {
    action: "store_true",
    help: "allow requests from pages of any origin (CORS) and answer their preflight OPTIONS requests",
  });
  parser.add_argument("--cache-control", { metavar: "VALUE", type: field, help: "send Cache-Control: VALUE with files" });
  parser.add_argument("--workers", {
    metavar: "N",
    type: workers,
    default: 1,
    help: "serve with N processes sharing the port (auto: one per CPU; default: %(default)s)",
  });
  parser.add_argument("--headers-timeout", {
    metavar: "SECONDS",
    type: seconds,
    default: 60,
    help: "close a connection whose request head is not complete SECONDS after it began (default: %(default)s; 0: no limit)",
  });
  parser.add_argument("--keep-alive-timeout", {
    metavar: "SECONDS",
    type: seconds,
    default: 5,
    help: "close a persistent connection idle for SECONDS (default: %(default)s; 0: no limit)",
  });
  parser.add_argument("--request-timeout", {
    metavar: "SECONDS",
    type: seconds,
    default: 60,
    help: "close a connection whose request body stalls for SECONDS (default: %(default)s; 0: no limit)",
  });
  parser.add_argument("--send-timeout", {
    metavar: "SECONDS",
    type: seconds,
    default: 60,
    help: "abort a response the client takes nothing of for SECONDS (default: %(default)s; 0: no limit)",
  });
  parser.add_argument("--max-connections", {
    metavar: "N",
    type: count,
    help: "close new connections while N are open (default: half the file descriptor limit; 0: no limit)",
  });
  parser.add_argument("--shutdown-timeout", {
    metavar: "SECONDS",
    type: seconds,
    default: 5,
    help: "on SIGTERM or Ctrl-C, let requests in progress finish for up to SECONDS (default: %(default)s)",
  });
  parser.add_argument("port", {
    default: 8000,
    type: pyInt,
    nargs: "?",
    help: "bind to this port (default: %(default)s)",
  });
  return parser;
}

/** The namespace argparse fills for {@link buildParser}'s options. */
interface Parsed {
  bind: string | null;
  directory: string;
  protocol: string;
  content_type: string;
  tls_cert: string | null;
  tls_key: string | null;
  tls_password_file: string | null;
  header: string[] | null;
  cgi: boolean;
  headers_timeout: number;
  keep_alive_timeout: number;
  request_timeout: number;
  send_timeout: number;
  max_connections: number | null;
  shutdown_timeout: number;
  precompressed: boolean;
  compress: boolean;
  cors: boolean;
  cache_control: string | null;
  workers: number | "auto";
  port: bigint | number;
}

/**
 * Parses the `httpserver` command line as CPython 3.15's `python -m http.server` does, in its order:
 *
 * 1. argparse parses everything: `-h/--help` writes help to `io.stdout` and gives exit code 0; an
 *    unknown option, a missing value, a bad port (`argument port: invalid int value: 'abc'`) …
 *    write the usage and `<prog>: error: <message>` to `io.stderr` and give exit code 2.
 * 2. `--tls-key` without `--tls-cert` → `error: --tls-key requires --tls-cert to be set`.
 * 3. `--tls-password-file` without `--tls-cert` → `error: --tls-password-file requires --tls-cert
 *    to be set`; else the file is read (`io.readFile`, strict UTF-8, universal newlines,
 *    `str.strip()`), a failure giving `error: Failed to read TLS password file: [Errno 2] No such
 *    file or directory: 'path'`.
 * 4. Each `-H` value is split at its first `:` → `error: Header novalue must be of the form
 *    Header: value`, `error: Header : v must have a non-empty name`.
 * 5. Not in CPython: the port must be 0–65535 → `error: argument port: 70000 is not in the range
 *    0-65535` (CPython passes it to getaddrinfo, which wraps 70000 to 4464 and fails on -1).
 *
 * Every error exits with 2 after the usage line, as argparse's `parser.error()`. Output is never
 * coloured, and help is always wrapped for 80 columns (CPython's width when COLUMNS is unset and
 * stdout is not a terminal; CPython follows COLUMNS or the terminal width instead).
 *
 * Runs no I/O but `io`'s, has no side effects, and does not throw (except what `io` throws from
 * `stdout`/`stderr`).
 *
 * @param argv the arguments after the program name (Python's `sys.argv[1:]`).
 * @param io where help and errors go, how the password file is read, and the working directory.
 * @param prog the program name in usage and error lines; default `httpserver`.
 */
export function parseCliArgs(argv: readonly string[], io: CliIO, prog: string = DEFAULT_PROG): CliParseResult {
  const parser = buildParser(io, prog);
  try {
    const args = parser.parse_args<Parsed>([...argv]);

    if (!args.tls_cert && args.tls_key) parser.error("--tls-key requires --tls-cert to be set");

    let tlsPassword: string | null = null;
    if (args.tls_password_file) {
      if (!args.tls_cert) parser.error("--tls-password-file requires --tls-cert to be set");
      const read = readPasswordFile(io, args.tls_password_file);
      if ("failure" in read) parser.error(`Failed to read TLS password file: ${read.failure}`);
      else tlsPassword = read.password;
    }

    const headers: [string, string][] = [];
    for (const header of args.header ?? []) {
      const colon = header.indexOf(":");
      if (colon === -1) parser.error(`Header ${header} must be of the form Header: value`);
      const name = pyStrip(header.slice(0, colon));
      if (!name) parser.error(`Header ${header} must have a non-empty name`);
      headers.push([name, pyStrip(header.slice(colon + 1))]);
    }

    const port = BigInt(args.port);
    if (port < 0n || port > BigInt(PORT_MAX)) {
      parser.error(`argument port: ${port} is not in the range 0-${PORT_MAX}`);
    }

    return {
      options: {
        port: Number(port),
        bind: args.bind ?? null,
        directory: args.directory,
        protocol: args.protocol,
        contentType: args.content_type,
        headers,
        tlsCert: args.tls_cert ?? null,
        tlsKey: args.tls_key ?? null,
        tlsPasswordFile: args.tls_password_file ?? null,
        cgi: args.cgi,
        headersTimeout: args.headers_timeout,
        keepAliveTimeout: args.keep_alive_timeout,
        requestTimeout: args.request_timeout,
        sendTimeout: args.send_timeout,
        maxConnections: args.max_connections ?? null,
        shutdownTimeout: args.shutdown_timeout,
        precompressed: args.precompressed,
        compress: args.compress,
        cors: args.cors,
        cacheControl: args.cache_control ?? null,
        workers: args.workers,
      },
      tlsPassword,
    };
  } catch (err) {
    if (err instanceof ExitRequest) return { exitCode: err.code };
    throw err;
  }
}
