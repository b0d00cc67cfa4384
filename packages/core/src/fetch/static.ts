/**
 * `serveDir` and `serveFile`: `SimpleHTTPRequestHandler`'s file serving as functions from a
 * `Request` to a `Response` (Deno std's names), for any server that speaks fetch handlers — our
 * `serve`, Bun.serve, Deno.serve, srvx, Hono. The answers are made by the same code as the
 * handler's (server/fileserving.ts), collected here instead of written to a socket.
 * @module
 */

import { type Platform, type FileStat, getPlatform } from "../platform/types.ts";
import { formatHTTPDate } from "../python/dates.ts";
import { DEFAULT_ERROR_CONTENT_TYPE, DEFAULT_ERROR_MESSAGE, errorHasBody, renderErrorBody } from "../python/errorpage.ts";
import { DEFAULT_EXTENSIONS_MAP, guessType } from "../python/mimetypes.ts";
import { pyFormat } from "../python/pyformat.ts";
import { STATUS_TEXT } from "../python/status.ts";
import { FileCache } from "../server/filecache.ts";
import { type FileServing, listDirectory, sendFile, sendHead, statOrNull, translatePath } from "../server/fileserving.ts";
import { BytesIO, FileSource, type ReadableSource } from "../server/sources.ts";
import { LazyResponse } from "./lazyresponse.ts";
import { exchangeOf } from "./request.ts";
import type { DirectReply } from "./respond.ts";

/** Options of {@link serveDir} and {@link serveFile}: Deno std's names where the meaning is the same, Python's and ours otherwise. */
export interface ServeDirOptions {
  /** The directory served (default: the current directory). Deno std's `fsRoot` is a synonym. */
  directory?: string;
  /** Deno std's name of {@link directory}. */
  fsRoot?: string;
  /**
   * A URL path prefix that is not part of the file path (`"static"` serves `/static/a.txt` from
   * `<directory>/a.txt`); requests outside it get 404. Matched at a `/` boundary; redirects and
   * listings keep it.
   */
  urlRoot?: string;
  /** File names served for a directory, in order (Python's `index_pages`; default `index.html`, `index.htm`). */
  indexPages?: readonly string[];
  /** List directories without an index page, as Python does (default `true`; `false`: 404). */
  showDirListing?: boolean;
  /** Suffix → MIME type overrides (Python's `extensions_map`). */
  extensionsMap?: Record<string, string>;
  /** Type of files whose type cannot be guessed (default `application/octet-stream`). */
  defaultContentType?: string;
  /** Answer `Range` requests (default `true`). */
  acceptRanges?: boolean;
  /** Most ranges one request may ask for (default 100). */
  maxRanges?: number;
  /** Most ranges that may overlap or touch another (default 2). */
  maxRangeOverlaps?: number;
  /** Serve `FILE.br`, `FILE.zst`, `FILE.gz` in place of `FILE` to clients that take them (default `false`). */
  precompressed?: boolean;
  /** Compress text, JSON, JavaScript, SVG, XML and WebAssembly files of 1 KiB or more as they are sent (default `false`). */
  compress?: boolean;
  /** `Access-Control-Allow-Origin: *` on every response, and answer CORS preflight `OPTIONS` with 204 (default `false`). */
  cors?: boolean;
  /** A `Cache-Control` value for file responses (default none). */
  cacheControl?: string | null;
  /** Fields added to 200 responses, as `[name, value]` pairs (Python 3.15's `extra_response_headers`). */
  extraResponseHeaders?: Iterable<readonly [string, string]> | null;
  /** Deno std's form of extra fields: `"Name: value"` strings. */
  headers?: readonly string[];
  /** Where small files' bytes are kept (default: one cache for the process; `null`: none). */
  fileCache?: FileCache | null;
  /** Where listings' entries are kept (default: one cache for the process; `null`: none). */
  listingCache?: FileCache | null;
}

const SHARED_FILE_CACHE = new FileCache();
const SHARED_LISTING_CACHE = new FileCache(1024 * 1024, 8 * 1024 * 1024);

/** The answers `serveDir` and `serveFile` made, for our own `serve` to write without the `Response`. */
const replies = new WeakMap<Response, DirectReply>();

/** The reply behind a `Response` made by {@link serveDir} or {@link serveFile}, if it is one. */
export function directReply(response: Response): DirectReply | undefined {
  const reply = replies.get(response);
  if (reply !== undefined) replies.delete(response);
  return reply;
}

/** A request's fields as Python's `headers` (`get`, `has`): a `Headers`, or the parsed head's own. */
class RequestFields {
  readonly #headers: Headers | null;
  readonly #fields: readonly string[];
  constructor(request: Request) {
    const head = exchangeOf(request)?.head;
    this.#fields = head?.fields ?? [];
    this.#headers = head === undefined ? request.headers : null;
  }
  get(name: string): string | undefined {
    if (this.#headers !== null) return this.#headers.get(name) ?? undefined;
    let value: string | undefined;
    const fields = this.#fields;
    for (let i = 0; i < fields.length; i += 2) {
      if (fields[i].length === name.length && fields[i].toLowerCase() === name.toLowerCase())
        value = value === undefined ? fields[i + 1] : `${value}, ${fields[i + 1]}`;
    }
    return value;
  }
  has(name: string): boolean {
    return this.get(name) !== undefined;
  }
}

/** Collects an answer from the shared file-serving code, as the handler would send it. */
class Collector implements FileServing {
  readonly command: string;
  readonly path: string;
  readonly headers: RequestFields;
  readonly requestVersion = "HTTP/1.1";
  readonly protocolVersion = "HTTP/1.1";
  closeConnection = false;
  readonly framesBody = false;
  readonly platform: Platform;
  readonly directory: string;
  readonly indexPages: readonly string[];
  readonly acceptRanges: boolean;
  readonly maxRanges: number;
  readonly maxRangeOverlaps: number;
  readonly precompressed: boolean;
  readonly compress: boolean;
  readonly cors: boolean;
  readonly cacheControl: string | null;
  readonly fileCache: FileCache | null;
  readonly listingCache: FileCache | null;
  readonly extraResponseHeaders: (readonly [string, string])[] | null;
  readonly #options: ServeDirOptions;

  status = 200;
  reason: string | undefined;
  fields: string[] = [];

  constructor(request: Request, target: string, options: ServeDirOptions, platform: Platform) {
    this.command = request.method;
    this.path = target;
    this.headers = new RequestFields(request);
    this.platform = platform;
    this.#options = options;
    this.directory = options.directory ?? options.fsRoot ?? platform.cwd();
    this.indexPages = options.indexPages ?? ["index.html", "index.htm"];
    this.acceptRanges = options.acceptRanges ?? true;
    this.maxRanges = options.maxRanges ?? 100;
    this.maxRangeOverlaps = options.maxRangeOverlaps ?? 2;
    this.precompressed = options.precompressed ?? false;
    this.compress = options.compress ?? false;
    this.cors = options.cors ?? false;
    this.cacheControl = options.cacheControl ?? null;
    this.fileCache = options.fileCache === undefined ? SHARED_FILE_CACHE : options.fileCache;
    this.listingCache = options.listingCache === undefined ? SHARED_LISTING_CACHE : options.listingCache;
    const extra = [...(options.extraResponseHeaders ?? [])];
    for (const line of options.headers ?? []) {
      const colon = line.indexOf(":");
      if (colon > 0) extra.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
    }
    this.extraResponseHeaders = extra.length > 0 ? extra : null;
  }

  sendResponse(code: number, message?: string | null): void {
    this.status = code;
    this.reason = message ?? undefined;
    this.fields = [];
    if (this.cors) this.fields.push("Access-Control-Allow-Origin", "*");
  }

  sendHeader(keyword: string, value: string | number): void {
    this.fields.push(keyword, String(value));
  }

  endHeaders(): void {}

  /** Python's `send_error`: the status and CPython's error page (no body for HEAD). */
  sendError(code: number, message?: string | null, explain?: string | null, fields: Iterable<readonly [string, string]> = []): void {
    const known = STATUS_TEXT.get(code);
    const msg = message ?? known?.[0] ?? "???";
    this.sendResponse(code, msg);
    for (const [name, value] of fields) this.sendHeader(name, value);
    if (errorHasBody(code)) {
      const page = renderErrorBody(DEFAULT_ERROR_MESSAGE, code, msg, explain ?? known?.[1] ?? "???");
      this.sendHeader("Content-Type", DEFAULT_ERROR_CONTENT_TYPE);
      this.sendHeader("Content-Length", String(page.length));
      this.errorPage = page;
    }
  }

  /** The error page {@link sendError} rendered, if any. */
  errorPage: Uint8Array | null = null;

  dateTimeString(timestamp?: number | null): string {
    return formatHTTPDate(timestamp ?? this.platform.now() / 1000);
  }

  logError(format: string, ...args: (string | number)[]): void {
    void pyFormat(format, args);
  }

  translatePath(path: string): string {
    return translatePath(this.directory, below(rootOf(this.#options.urlRoot), path) ?? "/");
  }

  guessType(path: string): string {
    return guessType(
      path,
      this.#options.extensionsMap ?? DEFAULT_EXTENSIONS_MAP,
      this.#options.defaultContentType ?? "application/octet-stream",
    );
  }

  listDirectory(path: string): Promise<ReadableSource | null> {
    if (this.#options.showDirListing === false) {
      this.sendError(404, "File not found");
      return Promise.resolve(null);
    }
    return listDirectory(this, path);
  }

  sendFile(path: string, stat: FileStat, ctype: string): Promise<ReadableSource | null> {
    return sendFile(this, path, stat, ctype);
  }

  /**
   * The answer as a `Response`, the body unread. One whose body is in memory (or none) is also
   * registered as a {@link DirectReply}, which our own `serve` writes without the `Response`.
   */
  toResponse(source: ReadableSource | null, ours: boolean): Response {
    let body = source;
    if (this.errorPage !== null && this.command !== "HEAD") body = new BytesIO(this.errorPage);
    if (this.command === "HEAD" && body !== null) {
      void body.close();
      body = null;
    }
    if (this.status === 304 || this.status === 204) body = null;
    const bytes = body instanceof BytesIO ? body.readNow(body.length) : null;
    const make = (): Response => {
      const headers = new Headers();
      for (let i = 0; i < this.fields.length; i += 2) headers.append(this.fields[i], this.fields[i + 1]);
      return new Response((bytes as Uint8Array<ArrayBuffer> | null) ?? (body === null ? null : responseBody(body, this.platform)), {
        status: this.status,
        statusText: this.reason ?? STATUS_TEXT.get(this.status)?.[0] ?? "",
        headers,
      });
    };
    if (body !== null && bytes === null) return make();
    const reply: DirectReply = {
      status: this.status,
      reason: this.reason,
      fields: this.fields,
      body: bytes === null ? null : new BytesIO(bytes),
    };
    // For our own serve, the Response is made only if the handler looks at it (else the reply is written as it is).
    const response: Response = ours ? (new LazyResponse(make, () => replies.delete(response)) as unknown as Response) : make();
    replies.set(response, reply);
    return response;
  }
}

/**
 * A body source read from a file as a `Response` body: a whole file or a range of it through the
 * runtime's file-body hook when it has one (Bun's `Bun.file().slice()`, sent
 * without passing through JavaScript, its length kept); anything else as a byte stream read as
 * it is consumed.
 */
function responseBody(source: ReadableSource, platform: Platform): Blob | ReadableStream<Uint8Array> {
  if (source instanceof FileSource && source.path !== undefined && platform.fileBody !== undefined) {
    const body = platform.fileBody(source.path, source.first, source.last, source.stat.size);
    if (body !== undefined) {
      void source.close();
      return body;
    }
  }
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const chunk = await source.read(64 * 1024);
          if (chunk.length === 0) {
            controller.close();
            await source.close();
          } else controller.enqueue(chunk);
        } catch (error) {
          await source.close();
          controller.error(error);
        }
      },
      cancel: () => source.close(),
    },
    { highWaterMark: 0 },
  );
}

/** `urlRoot` as a path prefix (`"/static"`), `""` for none. */
function rootOf(urlRoot: string | undefined): string {
  const root = (urlRoot ?? "").replace(/^\/+|\/+$/g, "");
  return root === "" ? "" : "/" + root;
}

/** The part of a URL path below `root`, or `null` when it lies outside. */
function below(root: string, path: string): string | null {
  if (root === "") return path;
  if (path !== root && !path.startsWith(root + "/")) return null;
  return path.slice(root.length) || "/";
}

/** `OPTIONS` with `cors`: the preflight answer; other methods than GET and HEAD: 501, as Python. */
function otherMethod(collector: Collector, ours: boolean): Response {
  if (collector.command === "OPTIONS" && collector.cors) {
    collector.sendResponse(204);
    collector.sendHeader("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
    const asked = collector.headers.get("Access-Control-Request-Headers");
    if (asked !== undefined) collector.sendHeader("Access-Control-Allow-Headers", asked);
    collector.sendHeader("Access-Control-Max-Age", "86400");
  } else {
    collector.sendError(501, pyFormat("Unsupported method (%r)", [collector.command]));
  }
  return collector.toResponse(null, ours);
}

/**
 * Answers `request` from the files of a directory, as `SimpleHTTPRequestHandler` does (the same
 * code): index pages, CPython's listing byte for byte, the 301 that adds a directory's slash,
 * `If-Modified-Since`, byte ranges (206, multipart, 416), entity tags and preconditions (304,
 * 412), precompressed variants and compression as it is sent, CORS, `Cache-Control`, extra
 * fields; no path leads outside the directory. `GET` and `HEAD` (and `OPTIONS` with `cors`);
 * other methods get 501 as in Python. Errors are CPython's pages. Unlike Deno std's `serveDir`,
 * a conditional `HEAD` can get 304, a malformed `%` is taken as it is (not 500), and several
 * ranges get a multipart answer.
 * @param request any `Request` (our `serve`'s, Bun.serve's, Deno.serve's, Hono's `c.req.raw`).
 */
export async function serveDir(request: Request, options: ServeDirOptions = {}): Promise<Response> {
  const platform = getPlatform();
  const ours = exchangeOf(request) !== undefined;
  const target = targetOf(request);
  // The path is the whole request path (redirects and the listing's title keep the prefix);
  // translatePath leaves urlRoot out.
  const collector = new Collector(request, target, options, platform);
  if (below(rootOf(options.urlRoot), target.split("?", 1)[0]) === null) {
    collector.sendError(404, "File not found");
    return collector.toResponse(null, ours);
  }
  if (collector.command !== "GET" && collector.command !== "HEAD") return otherMethod(collector, ours);
  return collector.toResponse(await sendHead(collector), ours);
}

/**
 * The request-target (path and query) of `request`: as it was sent when it came through our own
 * `serve` (the file code resolves `.` and `..` as CPython does), else from its URL.
 */
function targetOf(request: Request): string {
  const head = exchangeOf(request)?.head;
  if (head !== undefined && head.target.startsWith("/")) return head.target;
  const url = new URL(request.url);
  return url.pathname + url.search;
}

/**
 * Answers `request` with the file at `path` (Deno std's `serveFile`), with everything
 * {@link serveDir} does for a file: ranges, entity tags and preconditions, compression, CORS,
 * `Cache-Control`. A path that is not a regular file gets 404.
 * @param path the file's path on the file system (not a URL).
 */
export async function serveFile(request: Request, path: string, options: ServeDirOptions = {}): Promise<Response> {
  const platform = getPlatform();
  const ours = exchangeOf(request) !== undefined;
  const collector = new Collector(request, targetOf(request), options, platform);
  if (collector.command !== "GET" && collector.command !== "HEAD") return otherMethod(collector, ours);
  const stat = await statOrNull(platform.fs, path);
  if (stat === null || !stat.isFile) {
    collector.sendError(404, "File not found");
    return collector.toResponse(null, ours);
  }
  return collector.toResponse(await sendFile(collector, path, stat, collector.guessType(path)), ours);
}
