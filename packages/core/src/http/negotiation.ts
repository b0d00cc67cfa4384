/**
 * Content-coding negotiation (RFC 9110 §12.5.3 `Accept-Encoding`, §12.4.2 quality values): which
 * of the codings a server has a representation in the client accepts, honouring `q=0` and the
 * `identity` and `*` entries. Pure.
 * @module
 */

/** A quality value in thousandths: 0 (not acceptable) to 1000 (`q=1`, the default). */
type Weight = number;

/** `Accept-Encoding` read into weights by coding name (lower case); `null` if not valid. */
export function parseAcceptEncoding(value: string): Map<string, Weight> | null {
  const weights = new Map<string, Weight>();
  for (const raw of value.split(",")) {
    const element = raw.trim();
    if (element === "") continue;
    const [name, ...params] = element.split(";");
    const coding = name.trim().toLowerCase();
    if (!/^[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(coding)) return null;
    let weight = 1000;
    for (const param of params) {
      const m = /^\s*q\s*=\s*(?:(0(?:\.\d{0,3})?)|(1(?:\.0{0,3})?))\s*$/i.exec(param);
      if (m === null) return null;
      weight = m[1] !== undefined ? Math.round(Number(m[1]) * 1000) : 1000;
    }
    // x-gzip is gzip (RFC 9110 §8.4.1.3); the first entry for a coding counts.
    const key = coding === "x-gzip" ? "gzip" : coding;
    if (!weights.has(key)) weights.set(key, weight);
  }
  return weights;
}

/**
 * The content coding to send: the acceptable one of `available` (in the server's order of
 * preference) with the highest weight, `"identity"` when none is better than no coding, or `null`
 * when the client accepts neither (then 406 Not Acceptable may be sent). No field, or one that
 * does not parse: `"identity"` (a client that says nothing gets what CPython sends).
 *
 * A coding the field does not name takes the weight of `*`, else 0. `identity` is acceptable
 * unless named with `q=0`, or `*;q=0` came without an `identity` entry (§12.5.3); unless named
 * with a weight it comes after every acceptable coding.
 */
export function chooseEncoding(field: string | null, available: readonly string[]): string | null {
  if (field === null) return "identity";
  const weights = parseAcceptEncoding(field);
  if (weights === null) return "identity";
  const star = weights.get("*");
  let best: string | null = null;
  let bestWeight = 0;
  for (const coding of available) {
    const weight = weights.get(coding) ?? star ?? 0;
    if (weight > bestWeight) {
      best = coding;
      bestWeight = weight;
    }
  }
  const identity = weights.get("identity") ?? (star === 0 ? 0 : 1);
  if (best !== null && bestWeight >= identity) return best;
  return identity > 0 ? "identity" : best;
}
