/**
 * What a static file server adds to Python's for each file (RFC 9110 §3.2, §8.8): its entity tag,
 * the precompressed variants that may stand in for it, and whether its type is worth compressing.
 * @module
 */

import type { EntityTag } from "../http/conditional.ts";
import type { ContentCoding, FileStat } from "../platform/types.ts";

/**
 * The precompressed variants looked for beside a file (`foo.js.br` …), in the order preferred
 * when a client accepts several equally.
 */
export const PRECOMPRESSED: readonly { readonly coding: ContentCoding; readonly suffix: string }[] = [
  { coding: "br", suffix: ".br" },
  { coding: "zstd", suffix: ".zst" },
  { coding: "gzip", suffix: ".gz" },
];

/** The codings used to compress as a response is sent, in order of preference. */
export const ON_THE_FLY: readonly ContentCoding[] = ["br", "gzip"];

/** Files smaller than this (bytes) are sent as they are: compression would save next to nothing. */
export const COMPRESS_MIN_BYTES = 1024;

/**
 * The entity tag of a file (RFC 9110 §8.8.3): `"<mtime>-<size>"` in hexadecimal, the
 * modification time in milliseconds (the finest every runtime gives: Deno has no nanoseconds) —
 * nginx's form, which counts seconds. Strong, as the file's bytes are the representation; a
 * precompressed variant appends its coding (`"…-br"`), so no two representations share a tag.
 * Compressed as it is sent, the bytes depend on the compressor: the tag is weak (`W/"…-gzip"`).
 */
export function entityTag(stat: FileStat, coding: ContentCoding | null = null, weak = false): EntityTag {
  const suffix = coding === null ? "" : `-${coding}`;
  return { weak, opaque: `"${Math.floor(stat.mtimeMs).toString(16)}-${stat.size.toString(16)}${suffix}"` };
}

/** Media types that are text under another name. */
const COMPRESSIBLE_TYPES = new Set([
  "application/javascript",
  "application/json",
  "application/manifest+json",
  "application/wasm",
  "application/xml",
  "application/x-javascript",
  "image/svg+xml",
]);

/**
 * True for types that compress well: `text/*`, JSON, JavaScript, SVG, XML and WebAssembly
 * (`+json` and `+xml` types included). Images, audio, video and archives are compressed already.
 */
export function isCompressible(contentType: string): boolean {
  const type = contentType.split(";", 1)[0].trim().toLowerCase();
  return type.startsWith("text/") || COMPRESSIBLE_TYPES.has(type) || type.endsWith("+json") || type.endsWith("+xml");
}
