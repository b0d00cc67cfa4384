/**
 * Entity tags and conditional requests (RFC 9110 §8.8.3, §13): parsing the validators a client
 * sends, comparing them, and the order in which the preconditions are evaluated (§13.2.2). Pure:
 * the handler passes the request's fields and the representation's validators in.
 * @module
 */

/** An entity-tag (RFC 9110 §8.8.3): its opaque-tag with the quotes, and whether it is weak. */
export interface EntityTag {
  readonly weak: boolean;
  /** The opaque-tag including its double quotes, e.g. `"5f3a-1c"`. */
  readonly opaque: string;
}

/** A list of entity-tags as `If-Match`/`If-None-Match` carry, or `"*"` (any representation). */
export type EntityTagList = readonly EntityTag[] | "*";

/** `etagc` (RFC 9110 §8.8.3): `%x21 / %x23-7E / obs-text`. */
function isEtagc(c: number): boolean {
  return c === 0x21 || (c >= 0x23 && c <= 0x7e) || (c >= 0x80 && c <= 0xff);
}

/** Parses one entity-tag at `s[i]`; returns it and the index after it, or `null`. */
function entityTagAt(s: string, i: number): [EntityTag, number] | null {
  let weak = false;
  if (s.startsWith("W/", i)) {
    weak = true;
    i += 2;
  }
  if (s.charCodeAt(i) !== 0x22) return null;
  let j = i + 1;
  while (j < s.length && isEtagc(s.charCodeAt(j))) j++;
  if (s.charCodeAt(j) !== 0x22) return null;
  return [{ weak, opaque: s.slice(i, j + 1) }, j + 1];
}

/** Parses a single entity-tag (as `ETag` or `If-Range` carries one), or `null`. */
export function parseEntityTag(value: string): EntityTag | null {
  const s = value.replace(/^[ \t]+|[ \t]+$/g, "");
  const at = entityTagAt(s, 0);
  return at !== null && at[1] === s.length ? at[0] : null;
}

/**
 * Parses `If-Match` / `If-None-Match` (`"*" / #entity-tag`, RFC 9110 §13.1.1–2), or `null` when
 * the value is not valid (then the condition is not evaluated, as if the field were absent).
 */
export function parseEntityTagList(value: string): EntityTagList | null {
  const s = value.replace(/^[ \t]+|[ \t]+$/g, "");
  if (s === "*") return "*";
  const tags: EntityTag[] = [];
  let i = 0;
  for (;;) {
    while (i < s.length && (s[i] === " " || s[i] === "\t" || s[i] === ",")) i++;
    if (i >= s.length) break;
    const at = entityTagAt(s, i);
    if (at === null) return null;
    tags.push(at[0]);
    i = at[1];
    while (i < s.length && (s[i] === " " || s[i] === "\t")) i++;
    if (i < s.length && s[i] !== ",") return null;
  }
  return tags.length === 0 ? null : tags;
}

/** Strong comparison (RFC 9110 §8.8.3.2): both strong and their opaque-tags identical. */
export function strongMatch(a: EntityTag, b: EntityTag): boolean {
  return !a.weak && !b.weak && a.opaque === b.opaque;
}

/** Weak comparison (RFC 9110 §8.8.3.2): the opaque-tags identical, weak or not. */
export function weakMatch(a: EntityTag, b: EntityTag): boolean {
  return a.opaque === b.opaque;
}

/** An entity-tag as a field-value: `W/"…"` or `"…"`. */
export function formatEntityTag(tag: EntityTag): string {
  return tag.weak ? `W/${tag.opaque}` : tag.opaque;
}

/** The request's preconditions, as the handler read them (`null`: the field is absent). */
export interface Preconditions {
  ifMatch: string | null;
  ifNoneMatch: string | null;
  ifModifiedSince: string | null;
  ifUnmodifiedSince: string | null;
}

/** The selected representation's validators. */
export interface Validators {
  etag: EntityTag | null;
  /** Last modification, whole seconds since the epoch (as `Last-Modified` gives it). */
  lastModified: number;
}

/**
 * The outcome of the preconditions (RFC 9110 §13.2.2): `"proceed"`, `"not-modified"` (304 for
 * GET and HEAD) or `"failed"` (412 Precondition Failed).
 *
 * Order: `If-Match`, else `If-Unmodified-Since`; then `If-None-Match`, else `If-Modified-Since`
 * (GET and HEAD only). A field whose value does not parse is ignored. `If-Modified-Since` keeps
 * CPython's rule (docs/cpython.md): it is looked at only when no `If-None-Match` field came, and
 * the representation is not modified when its modification second is not after the date.
 *
 * @param parseDate parses an HTTP-date to seconds since the epoch, or `null` (Python's
 *   `email.utils.parsedate_to_datetime` as `SimpleHTTPRequestHandler` applies it).
 */
export function evaluatePreconditions(
  method: string,
  fields: Preconditions,
  validators: Validators,
  parseDate: (value: string) => number | null,
): "proceed" | "not-modified" | "failed" {
  const { etag, lastModified } = validators;
  const ifMatch = fields.ifMatch === null ? null : parseEntityTagList(fields.ifMatch);
  if (ifMatch !== null) {
    if (ifMatch !== "*" && (etag === null || !ifMatch.some((t) => strongMatch(t, etag)))) return "failed";
  } else if (fields.ifUnmodifiedSince !== null) {
    const since = parseDate(fields.ifUnmodifiedSince);
    if (since !== null && lastModified > since) return "failed";
  }
  const safe = method === "GET" || method === "HEAD";
  const ifNoneMatch = fields.ifNoneMatch === null ? null : parseEntityTagList(fields.ifNoneMatch);
  if (ifNoneMatch !== null) {
    const matched = ifNoneMatch === "*" || (etag !== null && ifNoneMatch.some((t) => weakMatch(t, etag)));
    if (matched) return safe ? "not-modified" : "failed";
  } else if (safe && fields.ifModifiedSince !== null && fields.ifNoneMatch === null) {
    const since = parseDate(fields.ifModifiedSince);
    if (since !== null && lastModified <= since) return "not-modified";
  }
  return "proceed";
}

/**
 * Whether `If-Range` lets the `Range` field apply (RFC 9110 §13.1.5): an entity-tag must match
 * the current one strongly; an HTTP-date must equal the `Last-Modified` second exactly. Anything
 * else, or a value that does not parse, means the whole representation is sent.
 */
export function ifRangeMatches(value: string, validators: Validators, parseDate: (value: string) => number | null): boolean {
  const trimmed = value.replace(/^[ \t]+|[ \t]+$/g, "");
  if (trimmed.startsWith('"') || trimmed.startsWith("W/")) {
    const tag = parseEntityTag(trimmed);
    return tag !== null && validators.etag !== null && strongMatch(tag, validators.etag);
  }
  const date = parseDate(trimmed);
  return date !== null && date === validators.lastModified;
}
