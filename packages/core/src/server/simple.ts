/**
 * `SimpleHTTPRequestHandler`: Python's `http.server.SimpleHTTPRequestHandler` in TypeScript.
 * @module
 */

import { utf8Encode } from "../http/chars.js";
import type { Address, FileHandle, FileStat, FileSystem, Socket } from "../platform/types.js";
import { parseHTTPDate } from "../python/dates.js";
import { DEFAULT_EXTENSIONS_MAP, guessType } from "../python/mimetypes.js";
import { outOfDescriptors } from "../python/oserror.js";
import { htmlEscape } from "../python/pyformat.js";
import { joinPath, normpath, quote, redirectPath, unquoteLenient, urlsplit, urlunsplit } from "../python/urls.js";
import { ConnectionClosedError, SendTimeoutError, SocketTimeoutError } from "./errors.js";
import { BaseHTTPRequestHandler, type HandlerServer } from "./handler.js";

/** Something `copyfile` can copy from: an open file or an in-memory page. */
export interface ReadableSource {
  /** Reads up to `size` bytes; an empty array at the end. */
  read(size: number): Promise<Uint8Array>;
  /** Releases the source. */
  close(): Promise<void>;
}

/** Bytes in memory as a {@link ReadableSource} (Python's `io.BytesIO` as `list_directory` uses it). */
export class BytesIO implements ReadableSource {
  #data: Uint8Array;
  #pos = 0;
  constructor(data: Uint8Array) {
    this.#data = data;
  }
  /** Total size in bytes. */
  get length(): number {
    return this.#data.length;
  }
  async read(size: number): Promise<Uint8Array> {
    const out = this.#data.subarray(this.#pos, Math.min(this.#data.length, this.#pos + size));
    this.#pos += out.length;
    return out;
  }
  async close(): Promise<void> {}
}

/**
 * An open file read from the start up to the size its `stat` gave (the size sent as
 * `Content-Length`), so that a file growing while it is sent never overruns it.
 */
export class FileSource implements ReadableSource {
  readonly #handle: FileHandle;
  /** The file's `stat`, made before it was opened (the size and time sent). */
  readonly stat: FileStat;
  #pos = 0;
  constructor(handle: FileHandle, stat: FileStat) {
    this.#handle = handle;
    this.stat = stat;
  }
  /**
   * Reads up to `size` bytes; an empty array once the size the file had at open time is reached.
   * @throws Error when the file ends before that size (it was truncated while being sent): the
   *   `Content-Length` sent can no longer be met, and an early end must not pass for the end.
   */
  async read(size: number): Promise<Uint8Array> {
    const want = Math.min(size, this.stat.size - this.#pos);
    if (want <= 0) return new Uint8Array(0);
    const bytes = await this.#handle.read(this.#pos, want);
    this.#pos += bytes.length;
    if (bytes.length < want) {
      throw new Error(`file shrank while being sent: ended after ${this.#pos} of ${this.stat.size} bytes`);
    }
    return bytes;
  }
  close(): Promise<void> {
    return this.#handle.close();
  }
}

/** Options of a {@link SimpleHTTPRequestHandler} (Python's keyword-only arguments). */
export interface SimpleHTTPRequestHandlerOptions {
  /** Directory to serve; the current directory when omitted (read per connection, as Python). */
  directory?: string | null;
  /** `[name, value]` fields added to every 200 response (Python 3.15's `extra_response_headers`). */
  extraResponseHeaders?: Iterable<readonly [string, string]> | null;
}

/** Bytes per read when copying a file to the client (CPython's `shutil.COPY_BUFSIZE` is 64 KiB). */
const COPY_CHUNK = 256 * 1024;

/** Seconds a client is asked to wait (`Retry-After`) when no file descriptor is left. */
const RETRY_AFTER_SECONDS = "1";

/**
 * Serves files from {@link directory} and below, mapping the URL path onto the file system, with
 * directory listings and `If-Modified-Since` (Python's `http.server.SimpleHTTPRequestHandler`,
 * 3.15). `doGET` and `doHEAD` are implemented; other methods get 501.
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
   * Sends the status and fields for GET and HEAD and returns the body to copy, or `null` when
   * the answer is complete already: 301 to add a slash to a directory (its `Location` made safe by
   * {@link redirectPath}), 304, 404 (Python's `send_head`); 503 with `Retry-After: 1` when the
   * file cannot be opened because no descriptor is left (`EMFILE`, `ENFILE`; Python answers 404).
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
    let handle: FileHandle;
    try {
      handle = await fs.open(path);
    } catch (error) {
      if (outOfDescriptors(error)) this.#sendOutOfDescriptors();
      else this.sendError(404, "File not found");
      return null;
    }
    try {
      if (this.headers.has("If-Modified-Since") && !this.headers.has("If-None-Match")) {
        const ims = parseHTTPDate(this.headers.get("If-Modified-Since")!);
        if (ims !== null && Math.floor(stat.mtimeMs / 1000) <= ims) {
          this.sendResponse(304);
          this.endHeaders();
          await handle.close();
          return null;
        }
      }
      this.sendResponse(200);
      this.sendHeader("Content-type", ctype);
      this.sendHeader("Content-Length", String(stat.size));
      this.sendHeader("Last-Modified", this.dateTimeString(stat.mtimeMs / 1000));
      this.#sendExtraResponseHeaders();
      this.endHeaders();
      return new FileSource(handle, stat);
    } catch (error) {
      await handle.close();
      throw error;
    }
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
    const fs = this.server.platform.fs;
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
    let displaypath = this.path.split("#", 1)[0].split("?", 1)[0];
    displaypath = htmlEscape(unquoteLenient(displaypath), false);
    const title = `Directory listing for ${displaypath}`;
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
      if (entry.isSymbolicLink) displayname = name + "@";
      lines.push(`<li><a href="${quote(linkname)}">${htmlEscape(displayname, false)}</a></li>`);
    }
    lines.push("</ul>\n<hr>\n</body>\n</html>\n");
    const encoded = utf8Encode(lines.join("\n"));
    this.sendResponse(200);
    this.sendHeader("Content-type", "text/html; charset=utf-8");
    this.sendHeader("Content-Length", String(encoded.length));
    this.#sendExtraResponseHeaders();
    this.endHeaders();
    return new BytesIO(encoded);
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
      const chunk = await source.read(COPY_CHUNK);
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
