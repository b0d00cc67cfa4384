/**
 * Python's `repr()` of a string, which CPython's error messages use (`Bad request version
 * ('FOO/1.0')`): the protocol's texts are CPython's.
 * @module
 */

/** True if Python's `str.isprintable()` holds for the single code point `c` (below U+0100). */
function isPrintableLatin1(c: number): boolean {
  // Cc (controls), U+00A0 (Zs other than space) and U+00AD (Cf) are not printable.
  return !(c < 0x20 || (c >= 0x7f && c <= 0xa0) || c === 0xad);
}

/**
 * Characters Python's `str.isprintable()` rejects: Unicode categories "Other" (Cc, Cf, Cs, Co,
 * Cn) and "Separator" (Zs, Zl, Zp); the ASCII space is handled before this is consulted. Only
 * used beyond Latin-1 (error messages and logs, not the parsing hot path); the answer follows
 * the runtime's Unicode version, which may lag or lead Python's by a release.
 */
const NOT_PRINTABLE = /^[\p{C}\p{Z}]$/u;

/**
 * Python's `repr()` of a string: quoted with `'` (or `"` when the text holds `'` and no `"`),
 * backslash escapes for `\\`, `\t`, `\n`, `\r`, the quote, and `\xNN`/`\uNNNN`/`\UNNNNNNNN` for
 * characters that are not printable.
 *
 * Source: Python docs, `repr()` / `str.__repr__` / `str.isprintable()`; used for `%r` in
 * CPython's error messages (e.g. `Bad request version ('FOO/1.0')`).
 */
export function pyRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === quote || ch === "\\") out += "\\" + ch;
    else if (ch === "\t") out += "\\t";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (c < 0x100) out += isPrintableLatin1(c) ? ch : "\\x" + c.toString(16).padStart(2, "0");
    else if (NOT_PRINTABLE.test(ch)) {
      out += c > 0xffff ? "\\U" + c.toString(16).padStart(8, "0") : "\\u" + c.toString(16).padStart(4, "0");
    } else out += ch;
  }
  return out + quote;
}
