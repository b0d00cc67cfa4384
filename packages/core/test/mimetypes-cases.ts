/**
 * The fixture cases of fixtures/cpython-mimetypes (written by generate.py there) and how
 * src/server/mimetypes.ts is run on them. Shared by mimetypes.test.ts (vitest, Node) and
 * fixtures/cpython-mimetypes/check-runtime.ts (Bun, Deno), so it imports no runtime API.
 */
import { DEFAULT_EXTENSIONS_MAP, guessFileType, guessType, splitext } from "../src/python/mimetypes.ts";

/** One path and what CPython answered for it. */
export interface MimeCase {
  path: string;
  /** `posixpath.splitext(path)` */
  splitext: [string, string];
  /** `mimetypes.guess_file_type(path)`: [type, encoding] */
  guess_file_type: [string | null, string | null];
  /** `SimpleHTTPRequestHandler.guess_type(path)` with its own `extensions_map` */
  guess_type: string;
  /** the same with the fixture's `custom_map` */
  guess_type_custom: string;
  /** the same with `{}` */
  guess_type_empty: string;
}

/** cpython-3.13.json / cpython-3.14.json */
export interface MimeFixture {
  python: string;
  platform: string;
  tables: {
    suffix_map: Record<string, string>;
    encodings_map: Record<string, string>;
    types_map: Record<string, string>;
    common_types: Record<string, string>;
  };
  extensions_map: Record<string, string>;
  custom_map: Record<string, string>;
  cases: MimeCase[];
}

/** CPython's `guess_type` fallback up to 3.14 (3.15: `default_content_type`'s default). */
export const FALLBACK = "application/octet-stream";

/**
 * The module is run with this `defaultType`, so that a fallback can be told from a type that
 * happens to be `application/octet-stream` (`.bin`, `.Z` in `extensions_map`).
 */
export const SENTINEL_DEFAULT = "x-test/default-type";

/**
 * The fixture paths for which the module answers a type where CPython 3.14 has none: extensions
 * outside CPython's built-in table that the `mime` package (mime-db) knows. These are the only
 * places where the module differs from CPython 3.14.
 */
export const PACKAGE_ONLY: Readonly<Record<string, string>> = {
  "x.ts": "video/mp2t",
  "x.toml": "application/toml",
  "x.cjs": "application/node",
  "x.map": "application/json",
  "x.BZ2": "application/x-bzip2", // .BZ2 is no encoding (case-sensitive); mime knows bz2
  "x.XZ": "application/x-xz",
  "x.svgz.br": "image/svg+xml", // .br stripped, then .svgz is looked up (suffix_map is not re-applied)
};

/** What the module answers for a case, in the fixture's shape; `fellBack` lists the maps whose lookup ended in `defaultType`. */
export interface Answers {
  splitext: [string, string];
  guess_file_type: string | null;
  guess_type: string;
  guess_type_custom: string;
  guess_type_empty: string;
  fellBack: string[];
}

/** Runs the module on `c.path`: splitext, guessFileType, and guessType with the three maps. */
export function answersOf(fixture: MimeFixture, c: MimeCase): Answers {
  const fellBack: string[] = [];
  const typeWith = (name: string, map: Readonly<Record<string, string>>): string => {
    const t = guessType(c.path, map, SENTINEL_DEFAULT);
    if (t !== SENTINEL_DEFAULT) return t;
    fellBack.push(name);
    return FALLBACK;
  };
  return {
    splitext: splitext(c.path),
    guess_file_type: guessFileType(c.path),
    guess_type: typeWith("guess_type", DEFAULT_EXTENSIONS_MAP),
    guess_type_custom: typeWith("guess_type_custom", fixture.custom_map),
    guess_type_empty: typeWith("guess_type_empty", {}),
    fellBack,
  };
}

/**
 * What the module must answer for a case of the CPython 3.14 fixture: CPython's answers, except
 * that a {@link PACKAGE_ONLY} path has mime-db's type wherever CPython had none and fell back. A
 * lookup may fall back only where CPython's `guess_file_type` found no type.
 */
export function expectedOf(c: MimeCase): Answers {
  const extra = PACKAGE_ONLY[c.path];
  const cpythonFellBack = (answer: string) => c.guess_file_type[0] === null && answer === FALLBACK;
  const type = (answer: string) => (extra !== undefined && cpythonFellBack(answer) ? extra : answer);
  return {
    splitext: c.splitext,
    guess_file_type: extra ?? c.guess_file_type[0],
    guess_type: type(c.guess_type),
    guess_type_custom: type(c.guess_type_custom),
    guess_type_empty: type(c.guess_type_empty),
    fellBack: [],
  };
}

/**
 * Differences between the module's answers and the expected ones for one case, as readable
 * strings (empty when they agree). A fallback to `defaultType` is checked too: it must happen only
 * where CPython's `guess_file_type` found no type and CPython's answer is the fallback.
 */
export function mismatches(fixture: MimeFixture, c: MimeCase): string[] {
  const got = answersOf(fixture, c);
  const want = expectedOf(c);
  const out: string[] = [];
  for (const key of ["splitext", "guess_file_type", "guess_type", "guess_type_custom", "guess_type_empty"] as const) {
    if (JSON.stringify(got[key]) !== JSON.stringify(want[key])) {
      out.push(`${key}(${JSON.stringify(c.path)}): got ${JSON.stringify(got[key])}, CPython ${JSON.stringify(want[key])}`);
    }
  }
  for (const key of got.fellBack) {
    if (c.guess_file_type[0] !== null || c[key as keyof MimeCase] !== FALLBACK) {
      out.push(`${key}(${JSON.stringify(c.path)}) fell back to defaultType; CPython found ${JSON.stringify(c[key as keyof MimeCase])}`);
    }
  }
  return out;
}
