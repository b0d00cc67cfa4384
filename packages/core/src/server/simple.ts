/**
 * `SimpleHTTPRequestHandler`: Python's `http.server.SimpleHTTPRequestHandler` in TypeScript.
 * @module
 */

import type { Address, FileStat, Platform, Socket } from "../platform/types.ts";
import { DEFAULT_EXTENSIONS_MAP, guessType } from "../python/mimetypes.ts";
import { ConnectionClosedError, SendTimeoutError, SocketTimeoutError } from "./errors.ts";
import { FileCache } from "./filecache.ts";
import { type FileServing, listDirectory, sendFile, sendHead, translatePath } from "./fileserving.ts";
import { BaseHTTPRequestHandler, type HandlerServer } from "./handler.ts";
import { BytesIO, type ReadableSource } from "./sources.ts";

/** Options of a {@link SimpleHTTPRequestHandler} (Python's keyword-only arguments). */
export interface SimpleHTTPRequestHandlerOptions {
  /** Directory to serve; the current directory when omitted (read per connection, as Python). */
  directory?: string | null;
  /** `[name, value]` fields added to every 200 response (Python 3.15's `extra_response_headers`). */
  extraResponseHeaders?: Iterable<readonly [string, string]> | null;
}

/** The {@link SimpleHTTPRequestHandler.fileCache} handlers share unless told otherwise. */
const SHARED_FILE_CACHE = new FileCache();

/** The {@link SimpleHTTPRequestHandler.listingCache} handlers share unless told otherwise. */
const SHARED_LISTING_CACHE = new FileCache(1024 * 1024, 8 * 1024 * 1024);

/** Bytes per read when copying a file to the client (CPython's `shutil.COPY_BUFSIZE` is 64 KiB). */
const COPY_CHUNK = 256 * 1024;

/**
 * Serves files from {@link directory} and below, mapping the URL path onto the file system, with
 * directory listings and `If-Modified-Since` (Python's `http.server.SimpleHTTPRequestHandler`,
 * 3.15). `doGET` and `doHEAD` are implemented; other methods get 501 (`OPTIONS` too unless
 * {@link cors} is on).
 *
 * Beyond Python, as browsers and static servers expect (docs/deviations.md, "Static files"):
 * byte ranges (RFC 9110 §14) and entity tags with conditional requests (§13) on files, on by
 * default; precompressed variants ({@link precompressed}), compression as files are sent
 * ({@link compress}), CORS ({@link cors}) and `Cache-Control` ({@link cacheControl}), off by
 * default. A request without `Range`, `If-Range`, `If-None-Match`, `If-Match` or
 * `If-Unmodified-Since` gets Python's status and body; its file responses carry `Accept-Ranges`
 * and `ETag` besides.
 *
 * No request can reach outside {@link directory} through its path (`..`, encoded or not, is
 * resolved lexically); symbolic links inside the directory are followed, as in Python.
 *
 * Source: Python docs, `http.server.SimpleHTTPRequestHandler`; docs/cpython.md §4.
 */
export class SimpleHTTPRequestHandler extends BaseHTTPRequestHandler implements FileServing {
  override serverVersion = "SimpleHTTP/0.6";
  /** File names served for a directory, in order (Python's `index_pages`). */
  indexPages: readonly string[] = ["index.html", "index.htm"];
  /** Suffix → MIME type overrides, consulted before the MIME database (Python's `extensions_map`). */
  extensionsMap: Record<string, string> = { ...DEFAULT_EXTENSIONS_MAP };
  /** Type of files whose type cannot be guessed (Python 3.15's `default_content_type`). */
  defaultContentType = "application/octet-stream";
  /** The directory served (Python's `directory`). */
  directory: string;
  /** Fields added to 200 responses, or `null` (Python's `extra_response_headers`). */
  extraResponseHeaders: (readonly [string, string])[] | null;
  /**
   * Answer `Range` requests for files (RFC 9110 §14): 206 with one range or a
   * `multipart/byteranges` body, 416 when none is satisfiable, `Accept-Ranges: bytes` on files.
   * Default `true`. Not in Python.
   */
  acceptRanges = true;
  /** Most ranges one request may ask for; more get the whole file (200). Default 100. */
  maxRanges = 100;
  /**
   * Most ranges of one request that may overlap or touch another; more get the whole file (200),
   * as do ranges adding up to more than the file. Default 2.
   */
  maxRangeOverlaps = 2;
  /**
   * Serve `foo.js.br`, `foo.js.zst` or `foo.js.gz`, when one lies beside `foo.js`, to a client
   * whose `Accept-Encoding` takes it, with `Content-Encoding` and `foo.js`'s type; every file
   * response then carries `Vary: Accept-Encoding`. Default `false`. Not in Python.
   */
  precompressed = false;
  /**
   * Compress files of a compressible type (text, JSON, JavaScript, SVG, XML, WebAssembly) of
   * 1 KiB or more as they are sent, with brotli or gzip as the client accepts: chunked on
   * HTTP/1.1, delimited by closing the connection on HTTP/1.0. Never for a `Range` request.
   * Default `false`. Not in Python.
   */
  compress = false;
  /**
   * Cross-origin access (the Fetch standard's CORS protocol): `Access-Control-Allow-Origin: *` on
   * every response, and `OPTIONS` preflight requests answered with 204. Default `false`. Not in
   * Python.
   */
  cors = false;
  /** A `Cache-Control` field-value for file responses (e.g. `"no-cache"`), or `null`. Not in Python. */
  cacheControl: string | null = null;
  /**
   * Where the bytes of small files are kept between requests, validated by the `stat` each
   * request makes (size, modification and change times, inode), or `null` for none. Default: one
   * cache shared by every handler of the process, files up to 64 KiB, 16 MiB in all. Not in
   * Python.
   */
  fileCache: FileCache | null = SHARED_FILE_CACHE;
  /**
   * Where the entries of directory listings are kept between requests, rendered as HTML and
   * validated by the directory's `stat` (entries added, removed or renamed change its
   * modification time); a listing with a symbolic link is never kept (its target may change
   * kind). `null` for none. Default: one cache shared by every handler of the process, listings
   * up to 1 MiB, 8 MiB in all. Not in Python.
   */
  listingCache: FileCache | null = SHARED_LISTING_CACHE;

  /**
   * @param options `directory` (default: the current directory) and `extraResponseHeaders`.
   */
  constructor(request: Socket, clientAddress: Address, server: HandlerServer, options: SimpleHTTPRequestHandlerOptions = {}) {
    super(request, clientAddress, server);
    this.directory = options.directory ?? server.platform.cwd();
    this.extraResponseHeaders = options.extraResponseHeaders == null ? null : [...options.extraResponseHeaders];
  }

  /**
   * Serves a GET: the head from {@link sendHead}, then the file or listing (Python's `do_GET`).
   * A file that cannot be read to the end (it vanished, shrank, or an I/O error) is logged and
   * the connection closes, since the `Content-Length` sent can no longer be met.
   */
  async doGET(): Promise<void> {
    const source = await this.sendHead();
    if (source === null) return;
    try {
      await this.copyfile(source, this.wfile);
    } catch (error) {
      // The client's side (gone, or not reading): handleOneRequest says what happened.
      if (error instanceof ConnectionClosedError || error instanceof SendTimeoutError || error instanceof SocketTimeoutError) {
        throw error;
      }
      this.logError("error reading %s: %s", this.path, error instanceof Error ? error.message : String(error));
      this.closeConnection = true;
    } finally {
      await source.close();
    }
  }

  /** Serves a HEAD: what GET would send, without the body (Python's `do_HEAD`). */
  async doHEAD(): Promise<void> {
    const source = await this.sendHead();
    if (source !== null) await source.close();
  }

  /**
   * With {@link cors}: answers a preflight request with `204 No Content`, allowing `GET`, `HEAD`
   * and `OPTIONS`, the request fields the client asks for, and caching the answer for a day.
   * Without it there is no `doOPTIONS` (`undefined`), so `OPTIONS` gets Python's 501.
   */
  get doOPTIONS(): (() => void) | undefined {
    return this.cors ? this.#preflight : undefined;
  }

  readonly #preflight = (): void => {
    this.sendResponse(204);
    this.sendHeader("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
    const asked = this.headers.get("Access-Control-Request-Headers");
    if (asked !== undefined) this.sendHeader("Access-Control-Allow-Headers", asked);
    this.sendHeader("Access-Control-Max-Age", "86400");
    this.endHeaders();
  };

  /** Python's `send_response`; with {@link cors}, followed by `Access-Control-Allow-Origin: *`. */
  override sendResponse(code: number, message?: string | null): void {
    super.sendResponse(code, message);
    if (this.cors) this.sendHeader("Access-Control-Allow-Origin", "*");
  }

  /** The runtime (`server.platform`), as file serving reaches it. */
  get platform(): Platform {
    return this.server.platform;
  }

  /** The handler writes raw bytes: a body of unknown length is framed here (chunked on HTTP/1.1). */
  get framesBody(): boolean {
    return true;
  }

  /**
   * Sends the status and fields for GET and HEAD and returns the body to copy, or `null` when
   * the answer is complete already: 301 to add a slash to a directory (its `Location` made safe, as
   * `redirectPath` does), 304, 404 (Python's `send_head`); 503 with `Retry-After: 1` when the
   * file cannot be opened because no descriptor is left (`EMFILE`, `ENFILE`; Python answers 404).
   * For a file, also 206, 412 and 416 (see {@link sendFile}). The same code answers `serveDir`.
   */
  sendHead(): Promise<ReadableSource | null> {
    return sendHead(this);
  }

  /**
   * Sends the head for the regular file at `path` and returns its body. In order: the
   * representation (a precompressed variant, or compression as it is sent, by `Accept-Encoding`;
   * 406 if the client takes none), the preconditions (RFC 9110 §13.2.2: 412, or 304 with the
   * fields a 200 would carry, no body), then `Range` (206, 416, or the whole file when it is
   * invalid, over a limit or `If-Range` does not match), else 200.
   */
  sendFile(path: string, stat: FileStat, ctype: string): Promise<ReadableSource | null> {
    return sendFile(this, path, stat, ctype);
  }

  /**
   * Sends a 200 with the HTML listing of `path` and returns its body, or sends
   * `404 No permission to list directory` (503 when no descriptor is left) and returns `null`
   * (Python's `list_directory`). Entries are sorted case-insensitively; directories get a `/`
   * suffix, symbolic links `@`.
   */
  listDirectory(path: string): Promise<ReadableSource | null> {
    return listDirectory(this, path);
  }

  /**
   * Maps a URL path onto the file system below {@link directory} (Python's `translate_path`,
   * 3.14+): query and fragment dropped, percent-decoded, `.` and `..` resolved lexically and
   * never above the directory; a trailing slash (or `%2f`) is kept.
   */
  translatePath(path: string): string {
    return translatePath(this.directory, path);
  }

  /**
   * The MIME type of `path`: {@link extensionsMap} by suffix (exact, then lower case), then the
   * MIME database, then {@link defaultContentType} (Python's `guess_type`).
   */
  guessType(path: string): string {
    return guessType(path, this.extensionsMap, this.defaultContentType);
  }

  /**
   * Copies `source` to `outputfile` in chunks, waiting for the client to take each (Python's
   * `copyfile`, `shutil.copyfileobj`). Memory stays bounded by one chunk plus the socket's
   * high-water mark whatever the file's size.
   */
  async copyfile(source: ReadableSource, outputfile: { write(data: Uint8Array): Promise<void> }): Promise<void> {
    for (;;) {
      // Bytes in memory are taken at once, so that a small body joins the head in one write.
      const chunk = source instanceof BytesIO ? source.readNow(COPY_CHUNK) : await source.read(COPY_CHUNK);
      if (chunk.length === 0) return;
      await outputfile.write(chunk);
    }
  }
}
