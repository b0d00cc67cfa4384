/**
 * `CGIHTTPRequestHandler`: Python 3.13's `http.server.CGIHTTPRequestHandler` (deprecated in 3.13,
 * removed in 3.15) in TypeScript, running scripts through the platform's process runner.
 * @module
 */

import { latin1Decode, utf8Decode } from "../http/chars.ts";
import { isAscii, pySplit } from "../python/str.ts";
import { ProtocolError } from "../http/errors.ts";
import { pyRepr } from "../http/repr.ts";
import type { Address, Platform, Socket, SpawnOptions, Subprocess } from "../platform/types.ts";
import { outOfDescriptors } from "../python/oserror.ts";
import { decodeBase64Lenient } from "../python/base64.ts";
import { joinPath, unquote, urlCollapsePath } from "../python/urls.ts";
import { ConnectionClosedError, asError } from "./errors.ts";
import type { HandlerServer } from "./handler.ts";
import { SimpleHTTPRequestHandler, type SimpleHTTPRequestHandlerOptions } from "./simple.ts";
import { statOrNull } from "./fileserving.ts";
import type { ReadableSource } from "./sources.ts";

/** Bytes of a script's standard error logged per request; the rest is counted, not logged. */
const STDERR_LOG_LIMIT = 64 * 1024;
/** Longest stderr line logged as one line; longer ones are logged in pieces of this size. */
const STDERR_LINE_LIMIT = 4096;
/** Bytes of request body read at a time for the script's standard input. */
const STDIN_CHUNK = 64 * 1024;
/**
 * Milliseconds to keep reading a script's output after it exited, while more keeps arriving: only
 * a process it left running in the background can still write (CPython closes the connection when
 * the script exits).
 */
const AFTER_EXIT_IDLE_MS = 1000;

/** Linux numbers of the signals CPython's `waitstatus_to_exitcode` reports as `-N`. */
const SIGNAL_NUMBERS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGXCPU: 24,
  SIGXFSZ: 25,
};

/** The uid and gid of `nobody` from /etc/passwd, else 65534 (cached per platform). */
const nobodyCache = new WeakMap<Platform, { uid: number; gid: number }>();
function nobodyIds(platform: Platform): { uid: number; gid: number } {
  let ids = nobodyCache.get(platform);
  if (ids === undefined) {
    ids = { uid: 65534, gid: 65534 };
    try {
      for (const line of utf8Decode(platform.fs.readFileSync("/etc/passwd")).split("\n")) {
        const fields = line.split(":");
        if (fields[0] === "nobody" && fields.length >= 4 && /^\d+$/.test(fields[2]) && /^\d+$/.test(fields[3])) {
          ids = { uid: Number(fields[2]), gid: Number(fields[3]) };
          break;
        }
      }
    } catch {
      // no /etc/passwd, or not readable (Deno without --allow-read for it): the usual ids
    }
    nobodyCache.set(platform, ids);
  }
  return ids;
}

/** Platforms on which starting a process as `nobody` was refused (ids unknown, not root). */
const setuidRefused = new WeakSet<Platform>();

let deprecationWarned = false;

/**
 * Writes the deprecation warning of {@link CGIHTTPRequestHandler} to standard error, once per
 * process: Python 3.13 deprecated the class and 3.15 removed it. The handler calls this when it is
 * first constructed; the `--cgi` command line calls it at startup. A `--workers` worker stays
 * quiet: the instance that started it has warned.
 */
export function warnCGIDeprecated(platform: Platform): void {
  if (deprecationWarned || (platform.worker ?? null) !== null) return;
  deprecationWarned = true;
  platform.stderr(
    "DeprecationWarning: CGIHTTPRequestHandler (--cgi) is deprecated: Python 3.13 deprecated it and " +
      "Python 3.15 removed it; httpserver keeps it for existing CGI scripts\n",
  );
}

const EXITED = Symbol("exited");
const IDLE = Symbol("idle");

/**
 * Runs CGI scripts (RFC 3875) below {@link cgiDirectories} for GET, HEAD and POST, and serves
 * other paths as {@link SimpleHTTPRequestHandler} does; POST elsewhere gets
 * `501 Can only POST to CGI scripts`. Python's `http.server.CGIHTTPRequestHandler` as in 3.13 on
 * POSIX (its last version): the script is executed directly (a `#!` line names its interpreter),
 * gets the request body on standard input and CGI variables in its environment, and its standard
 * output follows `HTTP/1.0 200 Script output follows`, `Server` and `Date`: the script prints its
 * own header fields, an empty line, then the body. The connection closes after it.
 *
 * Differences from CPython (docs/deviations.md): of the server's environment only `PATH` is
 * passed to scripts; a script runs in its own directory; a script that cannot be started gets a
 * 500 (CPython has sent 200 by then); HEAD gets the script's header fields without its body; a
 * client that disconnects ends the script (SIGKILL); `..` above the root is answered with 400.
 *
 * When the server runs as root, scripts run as `nobody` (uid and gid from /etc/passwd, else
 * 65534). Deprecated: constructing one prints a `DeprecationWarning` line once per process.
 *
 * Source: Python 3.13 docs, `http.server.CGIHTTPRequestHandler`; docs/cpython.md §5.
 */
export class CGIHTTPRequestHandler extends SimpleHTTPRequestHandler {
  /**
   * URL path prefixes whose files are scripts, each starting with `/` and without a trailing
   * slash (Python's `cgi_directories`; an instance field here, so changing it in one handler does
   * not change the others).
   */
  cgiDirectories: string[] = ["/cgi-bin", "/htbin"];
  /**
   * `[directory, rest]` of the last path {@link isCGI} accepted, e.g. `["/cgi-bin", "x.py?q=1"]`
   * (Python's `cgi_info`); `null` before.
   */
  cgiInfo: [string, string] | null = null;

  /** @param options `directory` (default: the current directory), as {@link SimpleHTTPRequestHandler}'s. */
  constructor(request: Socket, clientAddress: Address, server: HandlerServer, options: SimpleHTTPRequestHandlerOptions = {}) {
    super(request, clientAddress, server, options);
    warnCGIDeprecated(this.server.platform);
  }

  /**
   * Runs the script when the path is below a CGI directory, else answers
   * `501 Can only POST to CGI scripts` (Python's `do_POST`).
   */
  async doPOST(): Promise<void> {
    if (this.#isCGIOrReject()) await this.runCGI();
    else if (!this.#rejected) this.sendError(501, "Can only POST to CGI scripts");
  }

  /**
   * Runs the script for GET and HEAD when the path is below a CGI directory (the script's output
   * is then sent and `null` returned), else {@link SimpleHTTPRequestHandler.sendHead} (Python's
   * `send_head`).
   */
  override async sendHead(): Promise<ReadableSource | null> {
    if (this.#isCGIOrReject()) {
      await this.runCGI();
      return null;
    }
    if (this.#rejected) return null;
    return super.sendHead();
  }

  #rejected = false;

  /** {@link isCGI}, answering 400 for a path that climbs above the root. */
  #isCGIOrReject(): boolean {
    this.#rejected = false;
    try {
      return this.isCGI();
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      // CPython: IndexError, a traceback and no answer. Serving the file instead could show a
      // script's source, so the request is refused.
      this.#rejected = true;
      this.sendError(400, "Bad request path", "The path climbs above the served directory.");
      return false;
    }
  }

  /**
   * True when {@link path} names something below one of {@link cgiDirectories}; sets
   * {@link cgiInfo} to `[directory, rest]` then (Python's `is_cgi`). The path is collapsed first
   * ({@link urlCollapsePath}), so `/cgi-bin%2fx.py` and `/a/../cgi-bin/x.py` count. A fragment
   * (`#…`, which no client should send) is dropped first, as {@link translatePath} drops it.
   * @throws {RangeError} when `..` climbs above the root.
   */
  isCGI(): boolean {
    const collapsed = urlCollapsePath(this.path.split("#", 1)[0]);
    let dirSep = collapsed.indexOf("/", 1);
    while (dirSep > 0 && !this.cgiDirectories.includes(collapsed.slice(0, dirSep))) {
      dirSep = collapsed.indexOf("/", dirSep + 1);
    }
    if (dirSep > 0) {
      this.cgiInfo = [collapsed.slice(0, dirSep), collapsed.slice(dirSep + 1)];
      return true;
    }
    return false;
  }

  /** True if the server may execute `path` (`access(X_OK)`; Python's `is_executable`). */
  isExecutable(path: string): Promise<boolean> {
    return this.server.platform.fs.isExecutable(path);
  }

  /**
   * True for a `.py` or `.pyw` file (Python's `is_python`). CPython runs such scripts with its own
   * interpreter only where it cannot fork (Windows); on POSIX, as here, every script is executed
   * directly and must be executable.
   */
  isPython(path: string): boolean {
    const base = path.slice(path.lastIndexOf("/") + 1);
    const dot = base.lastIndexOf(".");
    if (dot <= 0 || /^\.+$/.test(base.slice(0, dot))) return false;
    const ext = base.slice(dot).toLowerCase();
    return ext === ".py" || ext === ".pyw";
  }

  /**
   * Runs the script {@link cgiInfo} names (Python's `run_cgi`, 3.13 POSIX):
   *
   * 1. Walks down nested directories, splits off the query (`QUERY_STRING`) and the extra path
   *    (`PATH_INFO`). A missing script gets `404 No such CGI script ('/cgi-bin/x')`, a directory
   *    or special file `403 CGI script is not a plain file (…)`, a file the server may not
   *    execute `403 CGI script is not executable (…)`.
   * 2. Starts it with the CGI variables (RFC 3875 §4.1, as CPython sets them) plus the server's
   *    `PATH`, in the script's directory, as `nobody` when the server runs as root; arguments
   *    are the query with `+` as space when it holds no `=`, as CPython passes them. A script that
   *    cannot be started gets a 500 and a log line.
   * 3. Sends `200 Script output follows` (status line, `Server`, `Date`, no empty line), copies the
   *    request body to the script's standard input and its standard output to the client as it
   *    comes (both with backpressure), and logs its standard error line by line (the first
   *    64 KiB) and a nonzero exit as `CGI script exit code N` (`-N` for signal N). With a
   *    request body, the status line waits until the body has arrived whole (or the script
   *    writes or exits first).
   *
   * A client that disconnects ends the script (SIGKILL). A request body that is malformed, cut
   * short or stalls (`requestTimeout`) ends it too, before it can read the end of its input: the
   * reason is logged and, when nothing was sent yet, the client gets 400 (408 for a stall). A
   * script that cannot be started because no descriptor is left gets 503 with `Retry-After`. The
   * connection closes after the response.
   */
  async runCGI(): Promise<void> {
    const platform = this.server.platform;
    const fs = platform.fs;
    this.closeConnection = true;
    let [dir, rest] = this.cgiInfo ?? ["", ""];
    const path = `${dir}/${rest}`;
    let i = path.indexOf("/", dir.length + 1);
    while (i >= 0) {
      const nextdir = path.slice(0, i);
      const nextrest = path.slice(i + 1);
      if (!(await statOrNull(fs, this.translatePath(nextdir)))?.isDirectory) break;
      dir = nextdir;
      rest = nextrest;
      i = path.indexOf("/", dir.length + 1);
    }
    const q = rest.indexOf("?");
    const query = q < 0 ? "" : rest.slice(q + 1);
    if (q >= 0) rest = rest.slice(0, q);
    const slash = rest.indexOf("/");
    const script = slash < 0 ? rest : rest.slice(0, slash);
    rest = slash < 0 ? "" : rest.slice(slash);

    const scriptname = `${dir}/${script}`;
    // Absolute, since the script runs in its own directory (a relative `directory` is relative
    // to the server's working directory).
    const scriptfile = this.#absolute(this.translatePath(scriptname));
    const stat = await statOrNull(fs, scriptfile);
    if (stat === null) {
      this.sendError(404, `No such CGI script (${pyRepr(scriptname)})`);
      return;
    }
    if (!stat.isFile) {
      this.sendError(403, `CGI script is not a plain file (${pyRepr(scriptname)})`);
      return;
    }
    if (!(await this.isExecutable(scriptfile))) {
      this.sendError(403, `CGI script is not executable (${pyRepr(scriptname)})`);
      return;
    }
    const uqrest = unquote(rest);
    if (uqrest.includes("\0")) {
      // No environment can hold it (CPython's child fails in execve after 200 was sent).
      this.sendError(400, "Bad request path", "PATH_INFO cannot contain a NUL character.");
      return;
    }

    const env = this.#environment(scriptname, uqrest, query);
    const decodedQuery = query.replaceAll("+", " ");
    const options: SpawnOptions = {
      file: scriptfile,
      args: decodedQuery.includes("=") ? [] : [decodedQuery],
      env,
      cwd: scriptfile.slice(0, scriptfile.lastIndexOf("/")) || "/",
    };
    let proc: Subprocess;
    try {
      proc = await this.#spawn(options);
    } catch (error) {
      const code = (error as { code?: unknown })?.code;
      const reason = error instanceof Error ? error.message : String(error);
      this.logError(
        "CGI script %s could not be started: %s",
        scriptname,
        typeof code === "string" && !reason.includes(code) ? `${code}: ${reason}` : reason,
      );
      if (outOfDescriptors(error))
        this.sendError(503, null, "The server has no file descriptor left; retry in a moment.", [["Retry-After", "1"]]);
      else this.sendError(500, "CGI script could not be started");
      return;
    }
    await this.#communicate(proc);
  }

  /** The CGI variables for the script, as CPython 3.13's `run_cgi` sets them, plus `PATH`. */
  #environment(scriptname: string, uqrest: string, query: string): Record<string, string> {
    const env: Record<string, string> = {};
    const path = this.server.platform.getenv("PATH");
    if (path !== undefined) env.PATH = path;
    env.SERVER_SOFTWARE = this.versionString();
    env.SERVER_NAME = this.server.serverName;
    env.GATEWAY_INTERFACE = "CGI/1.1";
    env.SERVER_PROTOCOL = this.protocolVersion;
    env.SERVER_PORT = String(this.server.serverPort);
    env.REQUEST_METHOD = this.command ?? "";
    env.PATH_INFO = uqrest;
    env.PATH_TRANSLATED = this.#absolute(this.translatePath(uqrest));
    env.SCRIPT_NAME = scriptname;
    env.QUERY_STRING = query;
    env.REMOTE_ADDR = this.clientAddress[0];
    const authorization = this.headers.get("authorization");
    if (authorization) {
      const words = pySplit(authorization);
      if (words.length === 2) {
        env.AUTH_TYPE = words[0];
        if (words[0].toLowerCase() === "basic") {
          const decoded = isAscii(words[1]) ? decodeBase64Lenient(words[1]) : null;
          if (decoded !== null && decoded.every((b) => b < 0x80)) {
            const parts = latin1Decode(decoded).split(":");
            if (parts.length === 2) env.REMOTE_USER = parts[0];
          }
        }
      }
    }
    const contentType = this.headers.get("content-type");
    env.CONTENT_TYPE = contentType === undefined ? this.headers.getContentType() : contentType;
    const length = this.headers.get("content-length");
    if (length) env.CONTENT_LENGTH = length;
    const referer = this.headers.get("referer");
    if (referer) env.HTTP_REFERER = referer;
    env.HTTP_ACCEPT = this.headers.getAll("accept", []).join(",");
    const ua = this.headers.get("user-agent");
    if (ua) env.HTTP_USER_AGENT = ua;
    const cookie = this.headers
      .getAll("cookie", [])
      .filter((c) => c !== "")
      .join(", ");
    if (cookie) env.HTTP_COOKIE = cookie;
    for (const k of ["QUERY_STRING", "REMOTE_HOST", "CONTENT_LENGTH", "HTTP_USER_AGENT", "HTTP_COOKIE", "HTTP_REFERER"]) {
      env[k] ??= "";
    }
    return env;
  }

  /** `path` made absolute against the server's working directory. */
  #absolute(path: string): string {
    return path.startsWith("/") ? path : joinPath(this.server.platform.cwd(), path);
  }

  /** Spawns as `nobody` when the server runs as root (or may, when its ids are unknown). */
  async #spawn(options: SpawnOptions): Promise<Subprocess> {
    const platform = this.server.platform;
    const ids = platform.processIds();
    if (ids !== null && ids.uid !== 0) return platform.spawn(options);
    if (ids === null && setuidRefused.has(platform)) return platform.spawn(options);
    const nobody = nobodyIds(platform);
    try {
      return await platform.spawn({ ...options, uid: nobody.uid, gid: nobody.gid });
    } catch (error) {
      // Ids unknown and setuid refused: the server is not root, so the script runs as its user.
      if (ids !== null || (error as { code?: unknown })?.code !== "EPERM") throw error;
      setuidRefused.add(platform);
      return platform.spawn(options);
    }
  }

  /**
   * Streams body → stdin and stdout → client, logs stderr and the exit status. The response head
   * goes out at once for a request without a body; with one, once the body is whole or the script
   * writes or exits, so that a body that fails first can still be answered with its error.
   */
  async #communicate(proc: Subprocess): Promise<void> {
    const platform = this.server.platform;
    let exited = false;
    const exit = proc.exited.then((status) => {
      exited = true;
      return status;
    });
    let headSent = false;
    const sendHead = () => {
      if (headSent) return;
      headSent = true;
      this.sendResponse(200, "Script output follows");
      this.flushHeaders();
    };
    // The client went away (reset or closed): nobody reads the output any more.
    const channel = this.exchange;
    const unlisten = channel.onClose(() => proc.kill());
    if (channel.request?.bodyKind !== "length" && channel.request?.bodyKind !== "chunked") sendHead();
    let bodyError: Error | null = null;
    const stdinDone = this.#pumpBody(proc, exit, sendHead).then((error) => {
      bodyError = error;
    });
    const stderrDone = this.#logStderr(proc);

    const idle = (ms: number) => {
      let cancel = () => {};
      const promise = new Promise<typeof IDLE>((resolve) => {
        const timer = platform.setTimer(ms, () => resolve(IDLE));
        cancel = () => timer.cancel();
      });
      return { promise, cancel };
    };

    let failure: Error | null = null;
    const iterator = proc.stdout[Symbol.asyncIterator]();
    const head = this.command === "HEAD" ? new HeadScanner() : null;
    try {
      let pending = iterator.next();
      for (;;) {
        let result: IteratorResult<Uint8Array> | typeof EXITED | typeof IDLE;
        if (!exited) {
          result = await Promise.race([pending, exit.then((): typeof EXITED => EXITED)]);
          if (result === EXITED) continue;
        } else {
          const timer = idle(AFTER_EXIT_IDLE_MS);
          result = await Promise.race([pending, timer.promise]);
          timer.cancel();
          if (result === IDLE) break;
        }
        if (result.done) break;
        let chunk = result.value;
        if (head !== null) {
          // HEAD: the script's header fields and empty line, not its body.
          if (head.done) chunk = chunk.subarray(0, 0);
          else chunk = chunk.subarray(0, head.scan(chunk));
        }
        if (chunk.length > 0) {
          sendHead();
          await this.wfile.write(chunk);
        }
        pending = iterator.next();
      }
    } catch (error) {
      // The client is gone (or too slow for the handler's timeout): end the script.
      proc.kill();
      if (!(error instanceof ConnectionClosedError)) failure = asError(error);
    } finally {
      void iterator.return?.();
      unlisten();
    }

    const status = await exit;
    await stdinDone;
    const timer = idle(AFTER_EXIT_IDLE_MS);
    await Promise.race([stderrDone, timer.promise]);
    timer.cancel();
    // Set by the body pump's callback: TypeScript cannot see that assignment here.
    const failed = bodyError as Error | null;
    if (failed instanceof ProtocolError) {
      this.logError("CGI script killed: %s (%s)", failed.message, failed.explain ?? "");
      if (!headSent) this.sendError(failed.status, failed.message, failed.explain);
    } else if (failed === null) {
      sendHead(); // a script that wrote nothing
    }
    if (status.signal !== null) {
      const n = SIGNAL_NUMBERS[status.signal];
      this.logError("CGI script exit code %s", n === undefined ? status.signal : String(-n));
    } else if (status.code !== 0) {
      this.logError("CGI script exit code %s", String(status.code));
    }
    if (failure !== null) throw failure;
    // The handler's own timeout while reading the body (the script was killed).
    if (failed !== null && !(failed instanceof ProtocolError)) throw failed;
  }

  /**
   * Copies the request body to the script's standard input, then closes it; calls `bodyDone` once
   * the body has arrived whole. Stops when the script exits. A body that is malformed, cut short or
   * stalls kills the script first (its input is never closed, so it cannot take what came for the
   * whole body) and resolves with the error, as does any other failure to read it; else with
   * `null`. Never rejects.
   */
  async #pumpBody(proc: Subprocess, exit: Promise<unknown>, bodyDone: () => void): Promise<Error | null> {
    const stop = exit.then((): typeof EXITED => EXITED);
    try {
      for (;;) {
        const chunk = await Promise.race([this.rfile.read1(STDIN_CHUNK), stop]);
        if (chunk === EXITED) break;
        if (chunk.length === 0) {
          bodyDone();
          break;
        }
        if ((await Promise.race([proc.writeStdin(chunk), stop])) === EXITED) break;
      }
    } catch (error) {
      proc.kill();
      return asError(error);
    }
    await Promise.race([proc.closeStdin(), stop]);
    return null;
  }

  /** Logs the script's standard error line by line, up to {@link STDERR_LOG_LIMIT} bytes. */
  async #logStderr(proc: Subprocess): Promise<void> {
    let logged = 0;
    let dropped = 0;
    let line: Uint8Array[] = [];
    let lineBytes = 0;
    const emit = () => {
      const bytes = new Uint8Array(lineBytes);
      let at = 0;
      for (const part of line) {
        bytes.set(part, at);
        at += part.length;
      }
      line = [];
      lineBytes = 0;
      let text = utf8Decode(bytes);
      if (text.endsWith("\n")) text = text.slice(0, -1);
      this.logError("%s", text);
    };
    try {
      for await (const chunk of proc.stderr) {
        let start = 0;
        while (start < chunk.length) {
          if (logged >= STDERR_LOG_LIMIT) {
            dropped += chunk.length - start;
            break;
          }
          const lf = chunk.indexOf(0x0a, start);
          const room = Math.min(STDERR_LINE_LIMIT - lineBytes, STDERR_LOG_LIMIT - logged);
          const end = Math.min(lf < 0 ? chunk.length : lf + 1, start + room);
          line.push(chunk.subarray(start, end));
          lineBytes += end - start;
          logged += end - start;
          start = end;
          if (chunk[end - 1] === 0x0a || lineBytes >= STDERR_LINE_LIMIT || logged >= STDERR_LOG_LIMIT) emit();
        }
      }
    } catch {
      // the pipe failed; what was read is logged below
    }
    if (lineBytes > 0) emit();
    if (dropped > 0) this.logError("CGI script stderr: %s more bytes not logged", String(dropped));
  }
}

/**
 * Finds the end of a CGI script's header section in its output: the first empty line (LF or
 * CRLF), possibly the very first line.
 */
class HeadScanner {
  /** 0: inside a line, 1: at the start of a line, 2: after a CR at the start of a line. */
  #state = 1;
  /** True once the empty line was seen. */
  done = false;

  /** Scans `chunk`; returns how many of its bytes belong to the header section. */
  scan(chunk: Uint8Array): number {
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (this.#state === 0) {
        if (b === 0x0a) this.#state = 1;
      } else if (b === 0x0a) {
        this.done = true;
        return i + 1;
      } else if (this.#state === 1 && b === 0x0d) {
        this.#state = 2;
      } else {
        this.#state = 0;
      }
    }
    return chunk.length;
  }
}
