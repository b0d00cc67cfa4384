/**
 * Serving files from a directory, once for both faces of the server: Python's
 * `SimpleHTTPRequestHandler` (`send_head`, `list_directory`, `translate_path`) and the fetch
 * functions `serveDir`/`serveFile`. Each function answers through a {@link FileServing} — the
 * handler itself, or the fetch face's collector — so that an answer is the same bytes whichever
 * asked: CPython's listing, its redirects and error pages, and what static servers add (ranges,
 * entity tags and preconditions, precompressed variants, compression as files are sent).
 * @module
 */

import { concatBytes, latin1Encode } from "../http/chars.ts";
import { type Validators, evaluatePreconditions, formatEntityTag, ifRangeMatches } from "../http/conditional.ts";
import { protocolVersionNumber } from "../http/framing.ts";
import { chooseEncoding } from "../http/negotiation.ts";
import { type RangeOutcome, contentRange, evaluateRange, unsatisfiedRange } from "../http/ranges.ts";
import type { ContentCoding, FileHandle, FileStat, FileSystem, Platform } from "../platform/types.ts";
import { fsencode } from "../python/codecs.ts";
import { parseHTTPDate } from "../python/dates.ts";
import { outOfDescriptors } from "../python/oserror.ts";
import { htmlEscape } from "../python/pyformat.ts";
import { joinPath, normpath, quote, redirectPath, unquoteLenient, urlsplit, urlunsplit } from "../python/urls.ts";
import { BytesHandle, type FileCache } from "./filecache.ts";
import { COMPRESS_MIN_BYTES, ON_THE_FLY, PRECOMPRESSED, entityTag, isCompressible } from "./representation.ts";
import { BytesIO, ChunkedSource, CompressedSource, FileSource, MultipartSource, type ReadableSource } from "./sources.ts";

/** The end of every listing. */
const LISTING_END = latin1Encode("</ul>\n<hr>\n</body>\n</html>\n");

/** Seconds a client is asked to wait (`Retry-After`) when no file descriptor is left. */
const RETRY_AFTER_SECONDS = "1";

/**
 * What serving a file needs of the one it answers for: the request, the settings, the way to
 * answer (Python's `send_response`, `send_header`, `end_headers`, `send_error`), and the steps a
 * Python subclass may override. `SimpleHTTPRequestHandler` is one; `serveDir`'s collector is the
 * other.
 */
export interface FileServing {
  /** The request method (Python's `command`). */
  readonly command: string | null;
  /** The request-target (Python's `path`). */
  readonly path: string;
  /** The request's fields. */
  readonly headers: {
    /** A field's value (repeated fields joined with `, `), `undefined` when absent. */
    get(name: string): string | undefined;
    /** True when the field is present. */
    has(name: string): boolean;
  };
  /** The request's version (`"HTTP/1.1"`), and the one answers are sent with. */
  readonly requestVersion: string;
  readonly protocolVersion: string;
  /** Set when the response can only be delimited by closing the connection. */
  closeConnection: boolean;
  /**
   * True when the answer's body is framed here (the chunked coding when its length is unknown on
   * HTTP/1.1), as Python's handler writes raw bytes; false when the server underneath frames it
   * (a fetch `Response`).
   */
  readonly framesBody: boolean;
  /** The runtime (files, compression, random boundaries, the clock). */
  readonly platform: Platform;

  /** The directory served (Python's `directory`). */
  readonly directory: string;
  /** File names served for a directory, in order (Python's `index_pages`). */
  readonly indexPages: readonly string[];
  /** Answer `Range` requests. */
  readonly acceptRanges: boolean;
  /** Most ranges one request may ask for. */
  readonly maxRanges: number;
  /** Most ranges that may overlap or touch another. */
  readonly maxRangeOverlaps: number;
  /** Serve `FILE.br`, `FILE.zst`, `FILE.gz` in place of `FILE`. */
  readonly precompressed: boolean;
  /** Compress compressible files as they are sent. */
  readonly compress: boolean;
  /** A `Cache-Control` value for file responses, or `null`. */
  readonly cacheControl: string | null;
  /** Where small files' bytes are kept, or `null`. */
  readonly fileCache: FileCache | null;
  /** Where listings' entries are kept, or `null`. */
  readonly listingCache: FileCache | null;
  /** Fields added to 200 responses, or `null` (Python's `extra_response_headers`). */
  readonly extraResponseHeaders: readonly (readonly [string, string])[] | null;

  /** Python's `send_response`: the status line (and, for Python's handler, `Server` and `Date`). */
  sendResponse(code: number, message?: string | null): void;
  /** Python's `send_header`. */
  sendHeader(keyword: string, value: string | number): void;
  /** Python's `end_headers`. */
  endHeaders(): void;
  /** Python's `send_error`, with extra fields. */
  sendError(code: number, message?: string | null, explain?: string | null, fields?: Iterable<readonly [string, string]>): void;
  /** Python's `date_time_string`. */
  dateTimeString(timestamp?: number | null): string;
  /** Python's `log_error`. */
  logError(format: string, ...args: (string | number)[]): void;

  /** Python's `translate_path`. */
  translatePath(path: string): string;
  /** Python's `guess_type`. */
  guessType(path: string): string;
  /** Python's `list_directory`. */
  listDirectory(path: string): Promise<ReadableSource | null>;
  /** The file part of `send_head` (ours). */
  sendFile(path: string, stat: FileStat, ctype: string): Promise<ReadableSource | null>;
}

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
 * Python's `send_head` (3.15): sends the status and fields for GET and HEAD and returns the body
 * to copy, or `null` when the answer is complete already: 301 to add a slash to a directory (its
 * `Location` made safe by `redirectPath`), a listing, 404; 503 with `Retry-After: 1` when no
 * descriptor is left (`EMFILE`, `ENFILE`; Python answers 404). A file goes to `sendFile`.
 */
export async function sendHead(ctx: FileServing): Promise<ReadableSource | null> {
  let path = ctx.translatePath(ctx.path);
  const fs = ctx.platform.fs;
  if (path.includes("\0")) {
    // A NUL can name no file (CPython raises ValueError and drops the connection).
    ctx.sendError(404, "File not found");
    return null;
  }
  // One stat answers "a directory?", "a regular file?" and gives the size and time sent: no
  // fstat after open (CPython's third call). A file replaced in between still gets a framed
  // answer: at most `size` bytes are sent, and a shorter file closes the connection.
  let stat = await statOrNull(fs, path);
  if (stat?.isDirectory) {
    const parts = urlsplit(ctx.path);
    if (!(parts.path.endsWith("/") || parts.path.endsWith("%2f") || parts.path.endsWith("%2F"))) {
      ctx.sendResponse(301);
      ctx.sendHeader("Location", urlunsplit({ ...parts, path: redirectPath(parts.path + "/") }));
      ctx.sendHeader("Content-Length", "0");
      ctx.endHeaders();
      return null;
    }
    let index: string | null = null;
    for (const name of ctx.indexPages) {
      const candidate = joinPath(path, name);
      const candidateStat = await statOrNull(fs, candidate);
      if (candidateStat?.isFile) {
        index = candidate;
        stat = candidateStat;
        break;
      }
    }
    if (index === null) return ctx.listDirectory(path);
    path = index;
  }
  const ctype = ctx.guessType(path);
  if (path.endsWith("/")) {
    ctx.sendError(404, "File not found");
    return null;
  }
  // Only regular files: opening a FIFO or device would block (docs/deviations.md).
  if (!stat?.isFile) {
    ctx.sendError(404, "File not found");
    return null;
  }
  return ctx.sendFile(path, stat, ctype);
}

/**
 * Sends the head for the regular file at `path` and returns its body. In order: the
 * representation (a precompressed variant, or compression as it is sent, by `Accept-Encoding`;
 * 406 if the client takes none), the preconditions (RFC 9110 §13.2.2: 412, or 304 with the
 * fields a 200 would carry, no body), then `Range` (206, 416, or the whole file when it is
 * invalid, over a limit or `If-Range` does not match), else 200.
 */
export async function sendFile(ctx: FileServing, path: string, stat: FileStat, ctype: string): Promise<ReadableSource | null> {
  const vary = ctx.precompressed || (ctx.compress && isCompressible(ctype) && stat.size >= COMPRESS_MIN_BYTES);
  const rep = vary ? await negotiate(ctx, path, stat, ctype) : { path, stat, coding: null, onTheFly: false };
  if (rep === null) {
    ctx.sendError(406, null, null, [["Vary", "Accept-Encoding"]]);
    return null;
  }
  const validators: Validators = {
    etag: entityTag(rep.stat, rep.coding, rep.onTheFly),
    lastModified: Math.floor(rep.stat.mtimeMs / 1000),
  };
  /** The fields every answer about this representation carries (RFC 9110 §15.4.5 for 304). */
  const common = (): void => {
    ctx.sendHeader("Last-Modified", ctx.dateTimeString(rep.stat.mtimeMs / 1000));
    ctx.sendHeader("ETag", formatEntityTag(validators.etag!));
    if (vary) ctx.sendHeader("Vary", "Accept-Encoding");
    if (ctx.cacheControl !== null) ctx.sendHeader("Cache-Control", ctx.cacheControl);
    sendExtraResponseHeaders(ctx);
  };
  const h = ctx.headers;
  const condition = evaluatePreconditions(
    ctx.command!,
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
    const cached = ctx.fileCache?.get(rep.path, rep.stat) ?? null;
    if (cached !== null) handle = new BytesHandle(cached);
    else {
      try {
        handle = await ctx.platform.fs.open(rep.path);
      } catch (error) {
        if (outOfDescriptors(error)) sendOutOfDescriptors(ctx);
        else ctx.sendError(404, "File not found");
        return null;
      }
      handle = await cacheSmall(ctx, rep, handle);
    }
  }
  if (condition !== "proceed" || handle === null) {
    await handle?.close();
    if (condition === "failed") {
      ctx.sendError(412);
      return null;
    }
    ctx.sendResponse(304);
    common();
    ctx.endHeaders();
    return null;
  }
  try {
    const range = rangeOf(ctx, rep, ctype, validators);
    if (range?.type === "unsatisfiable") {
      await handle.close();
      ctx.sendError(416, null, null, [["Content-Range", unsatisfiedRange(rep.stat.size)]]);
      return null;
    }
    if (range?.type === "single" || range?.type === "multipart") {
      ctx.sendResponse(206);
      if (range.type === "single") {
        ctx.sendHeader("Content-type", ctype);
        ctx.sendHeader("Content-Range", contentRange(range.range, rep.stat.size));
        ctx.sendHeader("Content-Length", String(range.range.last - range.range.first + 1));
      } else {
        ctx.sendHeader("Content-Type", `multipart/byteranges; boundary=${range.boundary}`);
        ctx.sendHeader("Content-Length", String(range.contentLength));
      }
      if (rep.coding !== null) ctx.sendHeader("Content-Encoding", rep.coding);
      ctx.sendHeader("Accept-Ranges", "bytes");
      common();
      ctx.endHeaders();
      return range.type === "single"
        ? bodyOf(handle, rep, range.range.first, range.range.last)
        : new MultipartSource(handle, rep.stat, range.parts, range.closing);
    }
    ctx.sendResponse(200);
    ctx.sendHeader("Content-type", ctype);
    if (rep.onTheFly) return sendCompressed(ctx, handle, rep, common);
    ctx.sendHeader("Content-Length", String(rep.stat.size));
    if (rep.coding !== null) ctx.sendHeader("Content-Encoding", rep.coding);
    if (ctx.acceptRanges) ctx.sendHeader("Accept-Ranges", "bytes");
    common();
    ctx.endHeaders();
    return bodyOf(handle, rep);
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * The body from byte `first` through `last`: the bytes themselves when the file is in memory
 * (they then leave in the same write as the head), else read from the file.
 */
function bodyOf(handle: FileHandle, rep: Representation, first = 0, last = rep.stat.size - 1): ReadableSource {
  return handle instanceof BytesHandle
    ? new BytesIO(handle.bytes.subarray(first, last + 1))
    : new FileSource(handle, rep.stat, first, last, rep.path);
}

/**
 * Reads a file small enough for the file cache whole, keeps it there and closes `file`,
 * returning its bytes as a handle; else (or without a cache) returns `file` itself.
 */
async function cacheSmall(ctx: FileServing, rep: Representation, file: FileHandle): Promise<FileHandle> {
  const cache = ctx.fileCache;
  if (cache === null || rep.stat.size > cache.maxFileBytes) return file;
  let bytes: Uint8Array | null;
  try {
    bytes = await cache.load(rep.path, rep.stat, file, ctx.platform.now());
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
async function negotiate(ctx: FileServing, path: string, stat: FileStat, ctype: string): Promise<Representation | null> {
  const accept = ctx.headers.get("Accept-Encoding") ?? null;
  const identity: Representation = { path, stat, coding: null, onTheFly: false };
  if (accept === null) return identity;
  const options: Representation[] = [];
  if (ctx.precompressed) {
    for (const { coding, suffix } of PRECOMPRESSED) {
      const variant = await statOrNull(ctx.platform.fs, path + suffix);
      if (variant?.isFile) options.push({ path: path + suffix, stat: variant, coding, onTheFly: false });
    }
  }
  if (ctx.compress && isCompressible(ctype) && stat.size >= COMPRESS_MIN_BYTES && !ctx.headers.has("Range")) {
    const supported = ctx.platform.compressionCodings;
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
function rangeOf(ctx: FileServing, rep: Representation, ctype: string, validators: Validators): RangeOutcome | null {
  if (!ctx.acceptRanges || rep.onTheFly) return null;
  const field = ctx.headers.get("Range");
  if (field === undefined || (ctx.command !== "GET" && ctx.command !== "HEAD")) return null;
  const ifRange = ctx.headers.get("If-Range");
  if (ifRange !== undefined && !ifRangeMatches(ifRange, validators, parseHTTPDate)) return null;
  const boundary = Array.from(ctx.platform.randomBytes(12), (b) => b.toString(16).padStart(2, "0")).join("");
  const outcome = evaluateRange(field, rep.stat.size, { maxRanges: ctx.maxRanges, maxOverlaps: ctx.maxRangeOverlaps }, ctype, boundary);
  return outcome.type === "whole" ? null : outcome;
}

/**
 * Finishes a 200 whose body is compressed as it is sent: no `Content-Length` (not known yet). A
 * handler framing its own body sends it chunked when both sides speak HTTP/1.1, else delimited by
 * closing the connection (by the end of the stream on HTTP/2); under a server that frames
 * bodies, that server decides.
 */
function sendCompressed(ctx: FileServing, handle: FileHandle, rep: Representation, common: () => void): ReadableSource {
  const coding = rep.coding!;
  const [major, minor] = protocolVersionNumber(ctx.protocolVersion);
  const [reqMajor, reqMinor] = protocolVersionNumber(ctx.requestVersion);
  // HTTP/2 delimits every body by the end of its stream: no chunked coding there.
  const chunked = ctx.framesBody && (major > 1 || (major === 1 && minor >= 1)) && reqMajor === 1 && reqMinor >= 1;
  ctx.sendHeader("Content-Encoding", coding);
  if (chunked) ctx.sendHeader("Transfer-Encoding", "chunked");
  else if (ctx.framesBody) ctx.closeConnection = true;
  common();
  ctx.endHeaders();
  const platform = ctx.platform;
  const source = new CompressedSource(new FileSource(handle, rep.stat), (input) => platform.compress(coding, input, rep.stat.size));
  return chunked ? new ChunkedSource(source) : source;
}

/** 503: no descriptor left to open a file or list a directory; worth retrying shortly. */
function sendOutOfDescriptors(ctx: FileServing): void {
  ctx.sendError(503, null, "The server has no file descriptor left; retry in a moment.", [["Retry-After", RETRY_AFTER_SECONDS]]);
}

function sendExtraResponseHeaders(ctx: FileServing): void {
  if (ctx.extraResponseHeaders === null) return;
  for (const [name, value] of ctx.extraResponseHeaders) ctx.sendHeader(name, value);
}

/**
 * Python's `list_directory`: sends a 200 with the HTML listing of `path` and returns its body, or
 * sends `404 No permission to list directory` (503 when no descriptor is left) and returns
 * `null`. Entries are sorted case-insensitively; directories get a `/` suffix, symbolic links `@`.
 */
export async function listDirectory(ctx: FileServing, path: string): Promise<ReadableSource | null> {
  const items = await listingItems(ctx, path);
  if (items === null) return null;
  let displaypath = ctx.path.split("#", 1)[0].split("?", 1)[0];
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
  ctx.sendResponse(200);
  ctx.sendHeader("Content-type", "text/html; charset=utf-8");
  ctx.sendHeader("Content-Length", String(encoded.length));
  sendExtraResponseHeaders(ctx);
  ctx.endHeaders();
  return new BytesIO(encoded);
}

/**
 * The `<li>` lines of the listing of `path`, encoded, from the listing cache when the directory
 * is unchanged; `null` when it cannot be read (404 or 503 sent).
 */
async function listingItems(ctx: FileServing, path: string): Promise<Uint8Array | null> {
  const fs = ctx.platform.fs;
  const cache = ctx.listingCache;
  const stat = cache === null ? null : await statOrNull(fs, path);
  const cached = cache !== null && stat !== null ? cache.get(path, stat) : null;
  if (cached !== null) return cached;
  let entries;
  try {
    entries = await fs.scandir(path);
  } catch (error) {
    if (outOfDescriptors(error)) sendOutOfDescriptors(ctx);
    else ctx.sendError(404, "No permission to list directory");
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
  if (cache !== null && stat !== null && !hasLink) cache.keep(path, stat, items, ctx.platform.now());
  return items;
}

/**
 * Python's `translate_path` (3.14+): maps a URL path onto the file system below `directory`:
 * query and fragment dropped, percent-decoded, `.` and `..` resolved lexically and never above
 * the directory; a trailing slash (or `%2f`) is kept.
 */
export function translatePath(directory: string, path: string): string {
  let p = path.split("#", 1)[0].split("?", 1)[0];
  p = unquoteLenient(p);
  const trailingSlash = p.endsWith("/");
  p = normpath(p);
  let result = directory;
  for (const word of p.split("/")) {
    if (word === "" || word === "." || word === "..") continue;
    result = joinPath(result, word);
  }
  if (trailingSlash) result += "/";
  return result;
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
