/**
 * `SimpleHTTPRequestHandler`: Python's `http.server.SimpleHTTPRequestHandler` in TypeScript.
 * @module
 */

import { concatBytes, latin1Encode } from "../http/chars.ts";
import { type Validators, evaluatePreconditions, formatEntityTag, ifRangeMatches } from "../http/conditional.ts";
import { protocolVersionNumber } from "../http/framing.ts";
import { chooseEncoding } from "../http/negotiation.ts";
import { type RangeOutcome, contentRange, evaluateRange, unsatisfiedRange } from "../http/ranges.ts";
import type { Address, ContentCoding, FileHandle, FileStat, FileSystem, Socket } from "../platform/types.ts";
import { fsencode } from "../python/codecs.ts";
import { parseHTTPDate } from "../python/dates.ts";
import { DEFAULT_EXTENSIONS_MAP, guessType } from "../python/mimetypes.ts";
import { outOfDescriptors } from "../python/oserror.ts";
import { htmlEscape } from "../python/pyformat.ts";
import { joinPath, normpath, quote, redirectPath, unquoteLenient, urlsplit, urlunsplit } from "../python/urls.ts";
import { ConnectionClosedError, SendTimeoutError, SocketTimeoutError } from "./errors.ts";
import { BaseHTTPRequestHandler, type HandlerServer } from "./handler.ts";
import { BytesHandle, FileCache } from "./filecache.ts";
import { COMPRESS_MIN_BYTES, ON_THE_FLY, PRECOMPRESSED, entityTag, isCompressible } from "./representation.ts";
import { BytesIO, ChunkedSource, CompressedSource, FileSource, MultipartSource, type ReadableSource } from "./sources.ts";

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

/** The end of every listing. */
const LISTING_END = latin1Encode("</ul>\n<hr>\n</body>\n</html>\n");

/** Seconds a client is asked to wait (`Retry-After`) when no file descriptor is left. */
const RETRY_AFTER_SECONDS = "1";

/** A file's representation chosen for a request: the file itself or a variant, and its coding. */
interface Representation {
  path: string;
  stat: FileStat;
  /** The content coding of the bytes sent, `null` for none. */
  coding: ContentCoding | null;
  /** Compressed as it is sent (then `stat` is the file's, and the length is not known). */
  onTheFly: boolean;
}

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
export class SimpleHTTPRequestHandler extends BaseHTTPRequestHandler {
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

  /**
   * Sends the status and fields for GET and HEAD and returns the body to copy, or `null` when
   * the answer is complete already: 301 to add a slash to a directory (its `Location` made safe by
   * {@link redirectPath}), 304, 404 (Python's `send_head`); 503 with `Retry-After: 1` when the
   * file cannot be opened because no descriptor is left (`EMFILE`, `ENFILE`; Python answers 404).
   * For a file, also 206, 412 and 416 (see {@link sendFile}).
   */
  async sendHead(): Promise<ReadableSource | null> {
    let path = this.translatePath(this.path);
    const fs = this.server.platform.fs;
    if (path.includes("\0")) {
      // A NUL can name no file (CPython raises ValueError and drops the connection).
      this.sendError(404, "File not found");
      return null;
    }
    // One stat answers "a directory?", "a regular file?" and gives the size and time sent: no
    // fstat after open (CPython's third call). A file replaced in between still gets a framed
    // answer: at most `size` bytes are sent, and a shorter file closes the connection.
    let stat = await statOrNull(fs, path);
    if (stat?.isDirectory) {
      const parts = urlsplit(this.path);
      if (!(parts.path.endsWith("/") || parts.path.endsWith("%2f") || parts.path.endsWith("%2F"))) {
        this.sendResponse(301);
        this.sendHeader("Location", urlunsplit({ ...parts, path: redirectPath(parts.path + "/") }));
        this.sendHeader("Content-Length", "0");
        this.endHeaders();
        return null;
      }
      let index: string | null = null;
      for (const name of this.indexPages) {
        const candidate = joinPath(path, name);
        const candidateStat = await statOrNull(fs, candidate);
        if (candidateStat?.isFile) {
          index = candidate;
          stat = candidateStat;
          break;
        }
      }
      if (index === null) return this.listDirectory(path);
      path = index;
    }
    const ctype = this.guessType(path);
    if (path.endsWith("/")) {
      this.sendError(404, "File not found");
      return null;
    }
    // Only regular files: opening a FIFO or device would block (docs/deviations.md).
    if (!stat?.isFile) {
      this.sendError(404, "File not found");
      return null;
    }
    return this.sendFile(path, stat, ctype);
  }

  /**
   * Sends the head for the regular file at `path` and returns its body. In order: the
   * representation (a precompressed variant, or compression as it is sent, by `Accept-Encoding`;
   * 406 if the client takes none), the preconditions (RFC 9110 §13.2.2: 412, or 304 with the
   * fields a 200 would carry, no body), then `Range` (206, 416, or the whole file when it is
   * invalid, over a limit or `If-Range` does not match), else 200.
   */
  async sendFile(path: string, stat: FileStat, ctype: string): Promise<ReadableSource | null> {
    const vary = this.precompressed || (this.compress && isCompressible(ctype) && stat.size >= COMPRESS_MIN_BYTES);
    const rep = vary ? await this.#negotiate(path, stat, ctype) : { path, stat, coding: null, onTheFly: false };
    if (rep === null) {
      this.sendError(406, null, null, [["Vary", "Accept-Encoding"]]);
      return null;
    }
    const validators: Validators = {
      etag: entityTag(rep.stat, rep.coding, rep.onTheFly),
      lastModified: Math.floor(rep.stat.mtimeMs / 1000),
    };
    /** The fields every answer about this representation carries (RFC 9110 §15.4.5 for 304). */
    const common = (): void => {
      this.sendHeader("Last-Modified", this.dateTimeString(rep.stat.mtimeMs / 1000));
      this.sendHeader("ETag", formatEntityTag(validators.etag!));
      if (vary) this.sendHeader("Vary", "Accept-Encoding");
      if (this.cacheControl !== null) this.sendHeader("Cache-Control", this.cacheControl);
      this.#sendExtraResponseHeaders();
    };
    const h = this.headers;
    const condition = evaluatePreconditions(
      this.command!,
      {
        ifMatch: h.get("If-Match") ?? null,
        ifNoneMatch: h.get("If-None-Match") ?? null,
        ifModifiedSince: h.get("If-Modified-Since") ?? null,
        ifUnmodifiedSince: h.get("If-Unmodified-Since") ?? null,
      },
      validators,
      parseHTTPDate,
    );
    // An entity-tag or If-Unmodified-Since condition is answered from the stat alone, without
    // opening the file; If-Modified-Since alone keeps CPython's order (a file that cannot be
    // opened is 404 first).
    const fromStat = condition !== "proceed" && (h.has("If-None-Match") || h.has("If-Match") || h.has("If-Unmodified-Since"));
    let handle: FileHandle | null = null;
    if (!fromStat) {
      // A small file read before and unchanged since (same stat) needs no open, read or close.
      const cached = this.fileCache?.get(rep.path, rep.stat) ?? null;
      if (cached !== null) handle = new BytesHandle(cached);
      else {
        try {
          handle = await this.server.platform.fs.open(rep.path);
        } catch (error) {
          if (outOfDescriptors(error)) this.#sendOutOfDescriptors();
          else this.sendError(404, "File not found");
          return null;
        }
        handle = await this.#cacheSmall(rep, handle);
      }
    }
    if (condition !== "proceed" || handle === null) {
      await handle?.close();
      if (condition === "failed") {
        this.sendError(412);
        return null;
      }
      this.sendResponse(304);
      common();
      this.endHeaders();
      return null;
    }
    try {
      const range = this.#range(rep, ctype, validators);
      if (range?.type === "unsatisfiable") {
        await handle.close();
        this.sendError(416, null, null, [["Content-Range", unsatisfiedRange(rep.stat.size)]]);
        return null;
      }
      if (range?.type === "single" || range?.type === "multipart") {
        this.sendResponse(206);
        if (range.type === "single") {
          this.sendHeader("Content-type", ctype);
          this.sendHeader("Content-Range", contentRange(range.range, rep.stat.size));
          this.sendHeader("Content-Length", String(range.range.last - range.range.first + 1));
        } else {
          this.sendHeader("Content-Type", `multipart/byteranges; boundary=${range.boundary}`);
          this.sendHeader("Content-Length", String(range.contentLength));
        }
        if (rep.coding !== null) this.sendHeader("Content-Encoding", rep.coding);
        this.sendHeader("Accept-Ranges", "bytes");
        common();
        this.endHeaders();
        return range.type === "single"
          ? this.#body(handle, rep.stat, range.range.first, range.range.last)
          : new MultipartSource(handle, rep.stat, range.parts, range.closing);
      }
      this.sendResponse(200);
      this.sendHeader("Content-type", ctype);
      if (rep.onTheFly) return this.#sendCompressed(handle, rep, common);
      this.sendHeader("Content-Length", String(rep.stat.size));
      if (rep.coding !== null) this.sendHeader("Content-Encoding", rep.coding);
      if (this.acceptRanges) this.sendHeader("Accept-Ranges", "bytes");
      common();
      this.endHeaders();
      return this.#body(handle, rep.stat);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /**
   * The body from byte `first` through `last`: the bytes themselves when the file is in memory
   * (they then leave in the same write as the head, see {@link copyfile}), else read from the file.
   */
  #body(handle: FileHandle, stat: FileStat, first = 0, last = stat.size - 1): ReadableSource {
    return handle instanceof BytesHandle ? new BytesIO(handle.bytes.subarray(first, last + 1)) : new FileSource(handle, stat, first, last);
  }

  /**
   * Reads a file small enough for {@link fileCache} whole, keeps it there and closes `file`,
   * returning its bytes as a handle; else (or without a cache) returns `file` itself.
   */
  async #cacheSmall(rep: Representation, file: FileHandle): Promise<FileHandle> {
    const cache = this.fileCache;
    if (cache === null || rep.stat.size > cache.maxFileBytes) return file;
    let bytes: Uint8Array | null;
    try {
      bytes = await cache.load(rep.path, rep.stat, file, this.server.platform.now());
    } catch (error) {
      await file.close();
      throw error;
    }
    if (bytes === null) return file;
    await file.close();
    return new BytesHandle(bytes);
  }

  /**
   * The representation to send by `Accept-Encoding` (RFC 9110 §12.5.3): a precompressed variant
   * that exists, compression as it is sent, or the file itself; `null` when the client refuses
   * them all (`identity;q=0` and no coding it takes).
   */
  async #negotiate(path: string, stat: FileStat, ctype: string): Promise<Representation | null> {
    const accept = this.headers.get("Accept-Encoding") ?? null;
    const identity: Representation = { path, stat, coding: null, onTheFly: false };
    if (accept === null) return identity;
    const options: Representation[] = [];
    if (this.precompressed) {
      for (const { coding, suffix } of PRECOMPRESSED) {
        const variant = await statOrNull(this.server.platform.fs, path + suffix);
        if (variant?.isFile) options.push({ path: path + suffix, stat: variant, coding, onTheFly: false });
      }
    }
    if (this.compress && isCompressible(ctype) && stat.size >= COMPRESS_MIN_BYTES && !this.headers.has("Range")) {
      const supported = this.server.platform.compressionCodings;
      for (const coding of ON_THE_FLY) {
        if (supported.includes(coding) && !options.some((o) => o.coding === coding)) options.push({ ...identity, coding, onTheFly: true });
      }
    }
    const chosen = chooseEncoding(
      accept,
      options.map((o) => o.coding!),
    );
    if (chosen === null) return null;
    return options.find((o) => o.coding === chosen) ?? identity;
  }

  /** The `Range` outcome for a GET or HEAD of `rep`, or `null` to send the whole file. */
  #range(rep: Representation, ctype: string, validators: Validators): RangeOutcome | null {
    if (!this.acceptRanges || rep.onTheFly) return null;
    const field = this.headers.get("Range");
    if (field === undefined || (this.command !== "GET" && this.command !== "HEAD")) return null;
    const ifRange = this.headers.get("If-Range");
    if (ifRange !== undefined && !ifRangeMatches(ifRange, validators, parseHTTPDate)) return null;
    const boundary = Array.from(this.server.platform.randomBytes(12), (b) => b.toString(16).padStart(2, "0")).join("");
    const outcome = evaluateRange(field, rep.stat.size, { maxRanges: this.maxRanges, maxOverlaps: this.maxRangeOverlaps }, ctype, boundary);
    return outcome.type === "whole" ? null : outcome;
  }

  /**
   * Finishes a 200 whose body is compressed as it is sent: no `Content-Length` (not known yet), so
   * chunked when both sides speak HTTP/1.1, else delimited by closing the connection.
   */
  #sendCompressed(handle: FileHandle, rep: Representation, common: () => void): ReadableSource {
    const coding = rep.coding!;
    const [major, minor] = protocolVersionNumber(this.protocolVersion);
    const [reqMajor, reqMinor] = protocolVersionNumber(this.requestVersion);
    const chunked = (major > 1 || (major === 1 && minor >= 1)) && (reqMajor > 1 || (reqMajor === 1 && reqMinor >= 1));
    this.sendHeader("Content-Encoding", coding);
    if (chunked) this.sendHeader("Transfer-Encoding", "chunked");
    else this.closeConnection = true;
    common();
    this.endHeaders();
    const platform = this.server.platform;
    const source = new CompressedSource(new FileSource(handle, rep.stat), (input) => platform.compress(coding, input, rep.stat.size));
    return chunked ? new ChunkedSource(source) : source;
  }

  /** 503: no descriptor left to open a file or list a directory; worth retrying shortly. */
  #sendOutOfDescriptors(): void {
    this.sendError(503, null, "The server has no file descriptor left; retry in a moment.", [["Retry-After", RETRY_AFTER_SECONDS]]);
  }

  #sendExtraResponseHeaders(): void {
    if (this.extraResponseHeaders === null) return;
    for (const [name, value] of this.extraResponseHeaders) this.sendHeader(name, value);
  }

  /**
   * Sends a 200 with the HTML listing of `path` and returns its body, or sends
   * `404 No permission to list directory` (503 when no descriptor is left) and returns `null`
   * (Python's `list_directory`). Entries are sorted case-insensitively; directories get a `/`
   * suffix, symbolic links `@`.
   */
  async listDirectory(path: string): Promise<ReadableSource | null> {
    const items = await this.#listingItems(path);
    if (items === null) return null;
    let displaypath = this.path.split("#", 1)[0].split("?", 1)[0];
    displaypath = htmlEscape(unquoteLenient(displaypath), false);
    const title = `Directory listing for ${displaypath}`;
    const head = [
      "<!DOCTYPE HTML>",
      '<html lang="en">',
      "<head>",
      '<meta charset="utf-8">',
      '<style type="text/css">\n:root {\ncolor-scheme: light dark;\n}\n</style>',
      `<title>${title}</title>\n</head>`,
      `<body>\n<h1>${title}</h1>`,
      "<hr>\n<ul>\n",
    ].join("\n");
    // Names that are not UTF-8 go back to their bytes (Python's `surrogateescape`).
    const encoded = concatBytes([fsencode(head), items, LISTING_END]);
    this.sendResponse(200);
    this.sendHeader("Content-type", "text/html; charset=utf-8");
    this.sendHeader("Content-Length", String(encoded.length));
    this.#sendExtraResponseHeaders();
    this.endHeaders();
    return new BytesIO(encoded);
  }

  /**
   * The `<li>` lines of the listing of `path`, encoded, from {@link listingCache} when the
   * directory is unchanged; `null` when it cannot be read (404 or 503 sent).
   */
  async #listingItems(path: string): Promise<Uint8Array | null> {
    const fs = this.server.platform.fs;
    const cache = this.listingCache;
    const stat = cache === null ? null : await statOrNull(fs, path);
    const cached = cache !== null && stat !== null ? cache.get(path, stat) : null;
    if (cached !== null) return cached;
    let entries;
    try {
      entries = await fs.scandir(path);
    } catch (error) {
      if (outOfDescriptors(error)) this.#sendOutOfDescriptors();
      else this.sendError(404, "No permission to list directory");
      return null;
    }
    const keyed = entries.map((entry) => ({ entry, key: entry.name.toLowerCase() }));
    keyed.sort((a, b) => compareCodePoints(a.key, b.key));
    let lines = "";
    let hasLink = false;
    for (const { entry } of keyed) {
      const name = entry.name;
      let displayname = name;
      let linkname = name;
      // A link to a directory shows `name@` but links to `name/`, as in Python.
      const isDir = entry.isSymbolicLink ? ((await statOrNull(fs, joinPath(path, name)))?.isDirectory ?? false) : entry.isDirectory;
      if (isDir) {
        displayname = name + "/";
        linkname = name + "/";
      }
      if (entry.isSymbolicLink) {
        displayname = name + "@";
        hasLink = true;
      }
      lines += `<li><a href="${quote(linkname)}">${htmlEscape(displayname, false)}</a></li>\n`;
    }
    const items = fsencode(lines);
    if (cache !== null && stat !== null && !hasLink) cache.keep(path, stat, items, this.server.platform.now());
    return items;
  }

  /**
   * Maps a URL path onto the file system below {@link directory} (Python's `translate_path`,
   * 3.14+): query and fragment dropped, percent-decoded, `.` and `..` resolved lexically and
   * never above the directory; a trailing slash (or `%2f`) is kept.
   */
  translatePath(path: string): string {
    let p = path.split("#", 1)[0].split("?", 1)[0];
    p = unquoteLenient(p);
    const trailingSlash = p.endsWith("/");
    p = normpath(p);
    let result = this.directory;
    for (const word of p.split("/")) {
      if (word === "" || word === "." || word === "..") continue;
      result = joinPath(result, word);
    }
    if (trailingSlash) result += "/";
    return result;
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

/** `stat(path)`, or `null` when it fails (no such file, no permission, …). */
export async function statOrNull(fs: FileSystem, path: string): Promise<FileStat | null> {
  try {
    return await fs.stat(path);
  } catch {
    return null;
  }
}

/** Compares by Unicode code point, as Python compares strings (not by UTF-16 unit). */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}
