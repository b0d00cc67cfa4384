/**
 * Helpers of the SimpleHTTPRequestHandler tests: starting the fixture, one-shot raw requests,
 * Python's `quote`, and the listing and error page as CPython writes them
 * (docs/cpython.md §2.4, §4.4).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { SimpleOptions } from "../fixtures/simple.js";
import { type ParsedResponse, parseResponse, rawExchange } from "./clients.js";
import { python313 } from "./cpython.js";
import { ROOT, type Runtime, type RunningServer, startProcess } from "./runtimes.js";

const FIXTURE = fileURLToPath(new URL("../fixtures/simple.ts", import.meta.url));
/** The `httpserver` command as a fixture (`main(argv, platform)` on the runtime's adapter). */
export const CLI_FIXTURE = fileURLToPath(new URL("../fixtures/cli.ts", import.meta.url));
/** The startup line of `httpserver` and `python -m http.server`; group 1 is the port. */
export const SERVING = /^Serving HTTPS? on \S+ port (\d+) \(\S+\) \.\.\.\n/m;

/**
 * Starts `httpserver <args>` under `rt` and resolves once it printed its startup line (pass
 * port `0` in `args` for a free port: the line gives the real one).
 */
export function startCli(rt: Runtime, args: string[], cwd = ROOT): Promise<RunningServer> {
  return startProcess(rt, CLI_FIXTURE, args, cwd, SERVING);
}

/** CPython 3.13.0's `python -m http.server` (unbuffered) as a {@link Runtime} for {@link startCPythonCli}. */
const cpythonCli: Runtime = {
  name: "cpython",
  sysVersion: /^Python\/3\.13\.0$/,
  command: (_file, args) => ({ cmd: python313(), args: ["-u", "-m", "http.server", ...args], env: {} }),
};

/** Starts `python3.13 -m http.server <args>` and resolves once it printed its startup line. */
export function startCPythonCli(args: string[], cwd = ROOT): Promise<RunningServer> {
  return startProcess(cpythonCli, "", args, cwd, SERVING);
}

/** Starts `SimpleHTTPRequestHandler` (tests/fixtures/simple.ts) under `rt`. */
export function startSimple(rt: Runtime, options: SimpleOptions): Promise<RunningServer> {
  return startProcess(rt, FIXTURE, [JSON.stringify(options)]);
}

/**
 * Sends one request on its own connection (HTTP/1.0 unless `version` says otherwise) and parses
 * the answer once the server closed. `target` is sent byte for byte (latin-1), unencoded.
 */
export async function request(
  port: number,
  target: string,
  options: { method?: string; headers?: Record<string, string>; version?: string; host?: string } = {},
): Promise<ParsedResponse & { closed: boolean }> {
  const method = options.method ?? "GET";
  const fields = Object.entries(options.headers ?? {})
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("");
  const head = `${method} ${target} ${options.version ?? "HTTP/1.0"}\r\n${fields}\r\n`;
  const { data, closed } = await rawExchange(port, Buffer.from(head, "latin1"), { host: options.host, timeoutMs: 10_000 });
  return { ...parseResponse(data, method === "HEAD"), closed };
}

/** Python's `urllib.parse.quote(s)` (safe `/`): UTF-8, upper-case hex. */
export function pyQuote(s: string, safe = "/"): string {
  let out = "";
  for (const b of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9_.\-~]/.test(c) || (b < 0x80 && safe.includes(c)) ? c : "%" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/** Python's `html.escape(s, quote=False)`. */
export function htmlEscape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * The listing CPython 3.14+ sends for directory `dir` requested as `displayPath` (already
 * unquoted, without query and fragment), built from the directory as Node sees it:
 * `os.listdir` sorted by `str.lower()`, `name/` for directories (links followed), `name@` for
 * links, hrefs by `quote`, texts by `html.escape(quote=False)` (docs/cpython.md §4.4).
 */
export function expectedListing(displayPath: string, dir: string): string {
  const names = fs.readdirSync(dir);
  const key = (s: string) => [...s.toLowerCase()].map((c) => c.codePointAt(0)!);
  names.sort((a, b) => {
    const x = key(a);
    const y = key(b);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
    return x.length - y.length;
  });
  const title = `Directory listing for ${htmlEscape(displayPath)}`;
  const lines = [
    "<!DOCTYPE HTML>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<style type="text/css">\n:root {\ncolor-scheme: light dark;\n}\n</style>',
    `<title>${title}</title>\n</head>`,
    `<body>\n<h1>${title}</h1>`,
    "<hr>\n<ul>",
  ];
  for (const name of names) {
    const full = path.join(dir, name);
    let display = name;
    let link = name;
    let isDir = false;
    try {
      isDir = fs.statSync(full).isDirectory();
    } catch {
      // a dangling link
    }
    if (isDir) display = link = name + "/";
    if (fs.lstatSync(full).isSymbolicLink()) display = name + "@";
    lines.push(`<li><a href="${pyQuote(link)}">${htmlEscape(display)}</a></li>`);
  }
  lines.push("</ul>\n<hr>\n</body>\n</html>\n");
  return lines.join("\n");
}

/** The error page of CPython 3.14+ (`DEFAULT_ERROR_MESSAGE`, docs/cpython.md §2.4). */
export function errorPage(code: number, message: string, explain: string): string {
  return `<!DOCTYPE HTML>
<html lang="en">
    <head>
        <meta charset="utf-8">
        <style type="text/css">
            :root {
                color-scheme: light dark;
            }
        </style>
        <title>Error response</title>
    </head>
    <body>
        <h1>Error response</h1>
        <p>Error code: ${code}</p>
        <p>Message: ${htmlEscape(message)}.</p>
        <p>Error code explanation: ${code} - ${explain}.</p>
    </body>
</html>
`;
}

/** `Last-Modified` for a file: `email.utils.formatdate(st_mtime, usegmt=True)`, seconds truncated. */
export function lastModified(file: string): string {
  return new Date(Math.floor(fs.statSync(file).mtimeMs / 1000) * 1000).toUTCString();
}

/** A log line `<client> - - [dd/Mon/yyyy hh:mm:ss] <message>` (docs/cpython.md §3). */
export function logLine(message: string, client = "127\\.0\\.0\\.1"): RegExp {
  return new RegExp(`^${client} - - \\[\\d\\d/[A-Z][a-z]{2}/\\d{4} \\d\\d:\\d\\d:\\d\\d\\] ${escapeRegExp(message)}$`, "m");
}

/** `s` with every RegExp metacharacter escaped, to match it literally. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
