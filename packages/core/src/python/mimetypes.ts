/**
 * MIME type guessing for `SimpleHTTPRequestHandler`, as Python's `mimetypes` and
 * `SimpleHTTPRequestHandler.guess_type` do it (docs/cpython.md §4.5).
 *
 * The algorithm is CPython's (3.13 and 3.14 give the same answers wherever their tables agree):
 * `posixpath.splitext`, then `mimetypes.suffix_map` (`.tgz` → `.tar.gz` …), then one
 * `mimetypes.encodings_map` suffix (`.gz`, `.Z`, `.bz2`, `.xz`, `.br`, case-sensitive) is
 * stripped, then the remaining extension is looked up lowercased.
 *
 * The table is the `mime` package (mime-db) with `TYPE_OVERRIDES` on top, so that every
 * extension of CPython 3.14's built-in strict table (`mimetypes._types_map_default`, 198
 * entries, recorded in test/fixtures/cpython-mimetypes/cpython-3.14.json) gets CPython's answer, and extensions CPython does not know get mime-db's. CPython's
 * table is taken without system files: CPython also reads `/etc/mime.types` and the like, which
 * makes its answers depend on the host; httpserver's do not.
 *
 * Source: the Python documentation of `mimetypes.guess_file_type`, `os.path.splitext` and
 * `http.server.SimpleHTTPRequestHandler` (`extensions_map`, `guess_type`).
 * @module
 */
import mime from "mime";

/**
 * `SimpleHTTPRequestHandler.extensions_map`: suffix → MIME type entries consulted before the MIME
 * database. Since Python 3.9 it holds only these overrides, which give the compressed files
 * themselves a type where `mimetypes` would report only an encoding. `.Z` matches only in upper
 * case, because {@link guessType} tries the exact suffix and then the lowercased one.
 *
 * Frozen: copy it (`{ ...DEFAULT_EXTENSIONS_MAP }`) to change a handler's map.
 *
 * Source: the Python documentation of `http.server.SimpleHTTPRequestHandler.extensions_map`.
 */
export const DEFAULT_EXTENSIONS_MAP: Readonly<Record<string, string>> = Object.freeze({
  ".gz": "application/gzip",
  ".Z": "application/octet-stream",
  ".bz2": "application/x-bzip2",
  ".xz": "application/x-xz",
});

/**
 * `mimetypes.suffix_map`: suffixes that stand for two, rewritten before anything else. Keys are
 * matched against the lowercased suffix (`.TGZ` counts), and the rewrite repeats while the new
 * last suffix is a key.
 *
 * Source: the Python documentation of `mimetypes.suffix_map` (built-in defaults).
 */
export const SUFFIX_MAP: Readonly<Record<string, string>> = Object.freeze({
  ".svgz": ".svg.gz",
  ".tgz": ".tar.gz",
  ".taz": ".tar.gz",
  ".tz": ".tar.gz",
  ".tbz2": ".tar.bz2",
  ".txz": ".tar.xz",
});

/**
 * `mimetypes.encodings_map`: suffix → content coding. One such suffix is stripped before the type
 * is looked up, so `x.js.br` is `text/javascript` and `x.gz` alone has no type. Matched
 * case-sensitively: `x.GZ` is an ordinary extension.
 *
 * Source: the Python documentation of `mimetypes.encodings_map` (built-in defaults).
 */
export const ENCODINGS_MAP: Readonly<Record<string, string>> = Object.freeze({
  ".gz": "gzip",
  ".Z": "compress",
  ".bz2": "bzip2",
  ".xz": "xz",
  ".br": "br",
});

/**
 * Lowercased extension → MIME type entries that take precedence over the `mime` package: the 53
 * extensions of CPython 3.14's built-in strict table (`mimetypes._types_map_default`) for which
 * `mime` 4.1.2 has no answer or another one. Each entry is CPython's answer, commented with what
 * `mime` says. CPython wins everywhere, not only for common web types, so that httpserver and
 * `python -m http.server` (without system mime.types files) agree on every extension CPython
 * knows; `mime` answers only for extensions outside CPython's table.
 *
 * Source: CPython 3.14.2 `mimetypes` built-in table, captured in
 * `test/fixtures/cpython-mimetypes/cpython-3.14.json`.
 */
export const TYPE_OVERRIDES: ReadonlyMap<string, string> = new Map([
  // Common web types where mime-db chose another type.
  [".xml", "text/xml"], // mime: application/xml
  [".yaml", "application/yaml"], // mime: text/yaml
  [".yml", "application/yaml"], // mime: text/yaml
  [".wav", "audio/vnd.wave"], // mime: audio/wav
  [".avi", "video/vnd.avi"], // mime: video/x-msvideo
  [".flac", "audio/flac"], // mime: audio/x-flac
  [".mkv", "video/matroska"], // mime: video/x-matroska
  [".mka", "audio/matroska"], // mime: audio/x-matroska
  [".mk3d", "video/matroska-3d"], // mime: video/x-matroska
  [".opus", "audio/opus"], // mime: audio/ogg
  [".m3u", "application/vnd.apple.mpegurl"], // mime: audio/x-mpegurl
  [".3gp", "audio/3gpp"], // mime: video/3gpp
  [".3gpp", "audio/3gpp"], // mime: video/3gpp
  [".3g2", "audio/3gpp2"], // mime: video/3gpp2
  [".rtf", "text/rtf"], // mime: application/rtf
  // Source and plain-text files CPython serves as text.
  [".c", "text/plain"], // mime: text/x-c
  [".h", "text/plain"], // mime: text/x-c
  [".pl", "text/plain"], // mime: application/x-perl
  [".bat", "text/plain"], // mime: application/x-msdownload
  [".srt", "text/plain"], // mime: application/x-subrip
  [".sgm", "text/x-sgml"], // mime: text/sgml
  [".sgml", "text/x-sgml"], // mime: text/sgml
  // Other types where mime-db differs.
  [".deb", "application/x-debian-package"], // mime: application/octet-stream
  [".rpm", "application/x-rpm"], // mime: application/x-redhat-package-manager
  [".obj", "application/octet-stream"], // mime: model/obj
  [".pyo", "application/x-python-code"], // mime: model/vnd.pytha.pyox
  [".rdf", "application/xml"], // mime: application/rdf+xml
  [".wsdl", "application/xml"], // mime: application/wsdl+xml
  [".mif", "application/x-mif"], // mime: application/vnd.mif
  [".ram", "application/x-pn-realaudio"], // mime: audio/x-pn-realaudio
  [".roff", "application/x-troff"], // mime: text/troff
  [".t", "application/x-troff"], // mime: text/troff
  [".tr", "application/x-troff"], // mime: text/troff
  [".man", "application/x-troff-man"], // mime: text/troff
  [".me", "application/x-troff-me"], // mime: text/troff
  [".ms", "application/x-troff-ms"], // mime: text/troff
  // Extensions mime-db does not know.
  [".py", "text/x-python"],
  [".pyc", "application/x-python-code"],
  [".rst", "text/x-rst"],
  [".ksh", "text/plain"],
  [".a", "application/octet-stream"],
  [".o", "application/octet-stream"],
  [".h5", "application/x-hdf5"],
  [".xpdl", "application/xml"],
  [".nws", "message/rfc822"],
  [".wiz", "application/msword"],
  [".xlb", "application/vnd.ms-excel"],
  [".ppa", "application/vnd.ms-powerpoint"],
  [".pwz", "application/vnd.ms-powerpoint"],
  [".3gpp2", "audio/3gpp2"],
  [".ass", "audio/aac"],
  [".loas", "audio/aac"],
  [".mpa", "video/mpeg"],
]);

/**
 * Python's `posixpath.splitext(path)`: `[root, ext]` with `root + ext === path`. `ext` runs from
 * the last `.` of the last `/`-separated component to the end, unless everything before that dot
 * in the component is dots: `.bashrc`, `..x` and `...` have no extension, `..x.txt` has `.txt`.
 * `ext` is `""` when there is none (also for a trailing `/`); a trailing dot gives `"."`.
 * A backslash is an ordinary character.
 *
 * Source: the Python documentation of `os.path.splitext` (POSIX).
 */
export function splitext(path: string): [root: string, ext: string] {
  const sepIndex = path.lastIndexOf("/");
  const dotIndex = path.lastIndexOf(".");
  if (dotIndex > sepIndex) {
    for (let i = sepIndex + 1; i < dotIndex; i++) {
      if (path[i] !== ".") return [path.slice(0, dotIndex), path.slice(dotIndex)];
    }
  }
  return [path, ""];
}

/** The type of a lowercased extension (`".html"`): `TYPE_OVERRIDES`, then `mime`. */
function typeOfExtension(ext: string): string | null {
  const override = TYPE_OVERRIDES.get(ext);
  if (override !== undefined) return override;
  const bare = ext.slice(1);
  // mime.getType() takes a path and keeps what follows the last "/", "\" or "."; a suffix holding
  // a backslash ("a.b\c" → ".b\c") would be cut, and no known extension has one.
  if (bare === "" || bare.includes("\\")) return null;
  return mime.getType(bare);
}

/**
 * Python's `mimetypes.guess_file_type(path)[0]` (strict): the MIME type of a file from its name,
 * or `null` when it cannot be guessed. Steps:
 *
 * 1. `splitext`; while the lowercased extension is a `SUFFIX_MAP` key, replace it
 *    (`x.tgz` → `x.tar.gz`, `x.svgz` → `x.svg.gz`) and split again;
 * 2. if the extension is an `ENCODINGS_MAP` key (exact case), drop it and split again, once;
 * 3. look the lowercased extension up: `TYPE_OVERRIDES`, then the `mime` package.
 *
 * So `x.tar.gz` and `x.tgz` are `application/x-tar`, `x.js.br` is `text/javascript`,
 * `UPPER.TXT` is `text/plain`, and `x.gz`, `x.Z`, `.bashrc`, `noext` and `x.` are `null` (for
 * `x.gz` CPython reports only the encoding). Only the file name matters, never the file.
 *
 * Differences from CPython, which knows only its built-in table (and system files): extensions
 * outside that table get mime-db's type (`x.ts` → `video/mp2t`, `x.toml` → `application/toml`,
 * `x.BZ2` → `application/x-bzip2`) where CPython 3.14 answers `None`.
 *
 * Source: the Python documentation of `mimetypes.guess_file_type`.
 */
export function guessFileType(path: string): string | null {
  let [base, ext] = splitext(path);
  while (Object.hasOwn(SUFFIX_MAP, ext.toLowerCase())) [base, ext] = splitext(base + SUFFIX_MAP[ext.toLowerCase()]);
  if (Object.hasOwn(ENCODINGS_MAP, ext)) ext = splitext(base)[1];
  return typeOfExtension(ext.toLowerCase());
}

/**
 * Python's `SimpleHTTPRequestHandler.guess_type(path)`: the `Content-Type` of a file served from
 * `path`. The extension (`splitext`) is looked up in `extensionsMap` exactly, then
 * lowercased; then {@link guessFileType} is asked; then `defaultType` is returned. A map value is
 * returned as it is, even `""`; the `""` key matches files without an extension.
 *
 * @param path The file's path; only its last component's suffixes matter.
 * @param extensionsMap Suffix (with its dot) → MIME type; own properties only. Usually a copy of
 *   {@link DEFAULT_EXTENSIONS_MAP}, which makes `x.gz` `application/gzip` and `x.tar.gz` too.
 * @param defaultType The type when nothing matches: `'application/octet-stream'` in CPython up to
 *   3.14, `SimpleHTTPRequestHandler.default_content_type` in 3.15.
 *
 * Source: the Python documentation of `http.server.SimpleHTTPRequestHandler.guess_type`.
 */
export function guessType(path: string, extensionsMap: Readonly<Record<string, string>>, defaultType: string): string {
  const [, ext] = splitext(path);
  if (Object.hasOwn(extensionsMap, ext)) return extensionsMap[ext];
  const lower = ext.toLowerCase();
  if (Object.hasOwn(extensionsMap, lower)) return extensionsMap[lower];
  return guessFileType(path) ?? defaultType;
}
