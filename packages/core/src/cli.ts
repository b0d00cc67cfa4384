/**
 * The `httpserver` command: `python -m http.server` as `main(argv, platform) -> exit code`.
 * Each adapter's bin calls {@link main} with its platform and exits with the result.
 * @module
 */

import { parseCliArgs } from "./cliargs.ts";
import { type Address, type Platform, type Socket, definePlatform } from "./platform/types.ts";
import { SSLError, ThreadingHTTPSServer } from "./server/https.ts";
import { ThreadingHTTPServer } from "./server/server.ts";
import { CGIHTTPRequestHandler, warnCGIDeprecated } from "./server/cgi.ts";
import { SimpleHTTPRequestHandler } from "./server/simple.ts";
import { runWorkers, serveUntilStopped } from "./workers.ts";

/** Errno numbers of the errors a bind or directory check reports (Linux values). */
const ERRNO: Record<string, [number, string]> = {
  EADDRINUSE: [98, "Address already in use"],
  EADDRNOTAVAIL: [99, "Cannot assign requested address"],
  EACCES: [13, "Permission denied"],
  EPERM: [1, "Operation not permitted"],
  ENOENT: [2, "No such file or directory"],
  ENOTDIR: [20, "Not a directory"],
  ENOTFOUND: [-2, "Name or service not known"],
  EAI_AGAIN: [-3, "Temporary failure in name resolution"],
};

/** A free port on `host`, found by listening on port 0 for a moment (for workers that share it). */
async function freePort(platform: Platform, host: string): Promise<number> {
  const listener = await platform.listen({ host, port: 0, backlog: 1, reusePort: false, onAcceptError: () => {} }, (socket) =>
    socket.destroy(),
  );
  const port = listener.address[1];
  await listener.close();
  return port;
}

function describe(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === "string" && code in ERRNO) {
    const [errno, text] = ERRNO[code];
    return `[Errno ${errno}] ${text}`;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs the command line: parses `argv` (the arguments after the program name) as
 * `python -m http.server` 3.15 does (plus 3.13's `--cgi`), serves the directory with a
 * `ThreadingHTTPServer` and `SimpleHTTPRequestHandler`, and resolves with the exit code once the
 * server stopped.
 *
 * - Usage errors print the usage line and `<prog>: error: …` on standard error: exit 2; `-h`
 *   prints help: exit 0.
 * - A port in use, an address that cannot be bound, or a directory that does not exist: one
 *   line on standard error, exit 1.
 * - With `--tls-cert` it serves HTTPS with a `ThreadingHTTPSServer` (key from `--tls-key` or the
 *   certificate file, password from `--tls-password-file`). A certificate or key file that cannot
 *   be read, holds no certificate or key, or does not parse, a key that does not match the
 *   certificate, a missing or wrong password: one line on standard error (the `SSLError`'s
 *   message), exit 1.
 * - With `--cgi` it serves with `CGIHTTPRequestHandler` (scripts below `/cgi-bin` and `/htbin`)
 *   and first prints its `DeprecationWarning` line on standard error.
 * - Otherwise prints `Serving HTTP on <host> port <port> (http://<host>:<port>/) ...` (`HTTPS` and
 *   `https://` with TLS) on standard output and serves until Ctrl-C
 *   (`\nKeyboard interrupt received, exiting.`, exit 0) or SIGTERM (exit 0). Either stops accepting,
 *   closes idle connections and lets requests in progress finish for up to `--shutdown-timeout`
 *   seconds (`HTTPServer.serverClose`); a second signal exits at once.
 * - `--headers-timeout`, `--keep-alive-timeout`, `--request-timeout`, `--send-timeout`,
 *   `--max-connections` and `--shutdown-timeout` set the server attributes of the same names;
 *   `--precompressed`, `--compress`, `--cors` and `--cache-control` the handler's.
 * - With `--workers N` (`auto`: one per CPU) it starts N workers serving the same port and looks
 *   after them (see `runWorkers`).
 *
 * Source: docs/cpython.md §7; Python docs, "Command-line interface" of `http.server`.
 * @param platform the runtime (it is also registered with {@link definePlatform}).
 * @param prog program name for usage and error lines.
 */
export async function main(argv: string[], platform: Platform, prog = "httpserver"): Promise<number> {
  definePlatform(platform);
  const parsed = parseCliArgs(
    argv,
    {
      stdout: (text) => platform.stdout(text),
      stderr: (text) => platform.stderr(text),
      readFile: (path) => platform.fs.readFileSync(path),
      cwd: platform.cwd(),
    },
    prog,
  );
  if ("exitCode" in parsed) return parsed.exitCode;
  const { options, tlsPassword } = parsed;
  const fail = (message: string, code: number) => {
    platform.stderr(`${prog}: error: ${message}\n`);
    return code;
  };
  try {
    const stat = await platform.fs.stat(options.directory);
    if (!stat.isDirectory) throw Object.assign(new Error("not a directory"), { code: "ENOTDIR" });
  } catch (error) {
    return fail(`cannot serve ${JSON.stringify(options.directory)}: ${describe(error)}`, 1);
  }

  // --workers: this instance starts the workers and looks after them; each worker runs the rest.
  const worker = platform.worker;
  const workers = options.workers === "auto" ? platform.cpuCount() : options.workers;
  if (options.cgi) warnCGIDeprecated(platform);
  if (workers > 1 && worker === null) {
    let port = options.port;
    if (port === 0) {
      try {
        port = await freePort(platform, options.bind ?? "");
      } catch (error) {
        return fail(`cannot listen on ${options.bind || "all interfaces"} port 0: ${describe(error)}`, 1);
      }
    }
    try {
      return await runWorkers(platform, argv, { count: workers, port, shutdownTimeout: options.shutdownTimeout });
    } catch (error) {
      return fail(describe(error), 1);
    }
  }

  const extraResponseHeaders = options.headers.length > 0 ? options.headers : null;
  const Base = options.cgi ? CGIHTTPRequestHandler : SimpleHTTPRequestHandler;
  class Handler extends Base {
    override protocolVersion = options.protocol;
    override defaultContentType = options.contentType;
    override precompressed = options.precompressed;
    override compress = options.compress;
    override cors = options.cors;
    override cacheControl = options.cacheControl;
  }
  class Server extends ThreadingHTTPServer {
    override async finishRequest(request: Socket, clientAddress: Address): Promise<void> {
      await new Handler(request, clientAddress, this, { directory: options.directory, extraResponseHeaders }).handled;
    }
  }
  class SecureServer extends ThreadingHTTPSServer {
    override async finishRequest(request: Socket, clientAddress: Address): Promise<void> {
      await new Handler(request, clientAddress, this, { directory: options.directory, extraResponseHeaders }).handled;
    }
  }
  // CPython tests `if args.tls_cert`: an empty path means plain HTTP.
  const address: Address = [options.bind ?? "", worker?.port ?? options.port];
  const httpd = options.tlsCert
    ? new SecureServer(address, Handler, { certfile: options.tlsCert, keyfile: options.tlsKey, password: tlsPassword })
    : new Server(address, Handler);
  // Read when connections are handled and (maxConnections) when the server binds, a microtask on.
  httpd.headersTimeout = options.headersTimeout;
  httpd.keepAliveTimeout = options.keepAliveTimeout;
  httpd.requestTimeout = options.requestTimeout;
  httpd.sendTimeout = options.sendTimeout;
  if (options.maxConnections !== null) httpd.maxConnections = options.maxConnections;
  httpd.shutdownTimeout = options.shutdownTimeout;
  try {
    await httpd.ready;
  } catch (error) {
    if (error instanceof SSLError) return fail(error.message, 1);
    return fail(`cannot listen on ${options.bind || "all interfaces"} port ${options.port}: ${describe(error)}`, 1);
  }
  return serveUntilStopped(platform, httpd, (error) => {
    platform.stderr(`${prog}: error: ${describe(error)}\n`);
  });
}
