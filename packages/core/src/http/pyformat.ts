/**
 * The few Python text operations whose exact output `http.server` puts on the wire or in logs:
 * `repr()` of a string, `%`-formatting, `html.escape()`.
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

/** A value `%`-formatting accepts. */
export type PyFormatArg = string | number | bigint | boolean | null | undefined | { toString(): string };

function convert(spec: string, arg: PyFormatArg): string {
  switch (spec) {
    case "s":
      return arg === null || arg === undefined ? "None" : String(arg);
    case "r":
      return typeof arg === "string" ? pyRepr(arg) : arg === null || arg === undefined ? "None" : String(arg);
    case "d":
    case "i":
    case "u": {
      const n = typeof arg === "bigint" ? arg : Math.trunc(Number(arg));
      if (typeof n === "number" && !Number.isFinite(n)) throw new TypeError(`%${spec} format: a real number is required, not ${String(arg)}`);
      return String(n);
    }
    case "x":
      return Math.trunc(Number(arg)).toString(16);
    case "X":
      return Math.trunc(Number(arg)).toString(16).toUpperCase();
    case "o":
      return Math.trunc(Number(arg)).toString(8);
    case "f":
      return Number(arg).toFixed(6);
    default:
      throw new TypeError(`unsupported format character '${spec}'`);
  }
}

/**
 * Python's printf-style `format % args`: `%s`, `%r`, `%d`, `%i`, `%x`, `%X`, `%o`, `%f`, `%%`,
 * and the `#` flag for `%#x`/`%#o`. With a single record argument, `%(name)s` keys are looked
 * up in it instead (Python's `format % mapping`).
 *
 * Source: Python docs, "printf-style String Formatting".
 * @throws {TypeError} on an unsupported conversion, too few or too many arguments.
 */
export function pyFormat(format: string, args: readonly PyFormatArg[] | Readonly<Record<string, PyFormatArg>>): string {
  let out = "";
  let next = 0;
  let i = 0;
  while (i < format.length) {
    const pct = format.indexOf("%", i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    let j = pct + 1;
    if (format[j] === "%") {
      out += "%";
      i = j + 1;
      continue;
    }
    let key: string | undefined;
    if (format[j] === "(") {
      const close = format.indexOf(")", j);
      if (close < 0) throw new TypeError("incomplete format key");
      key = format.slice(j + 1, close);
      j = close + 1;
    }
    let alternate = false;
    while (format[j] === "#" || format[j] === "-" || format[j] === "0" || format[j] === " " || format[j] === "+") {
      if (format[j] === "#") alternate = true;
      j++;
    }
    const spec = format[j];
    if (spec === undefined) throw new TypeError("incomplete format");
    let arg: PyFormatArg;
    if (key !== undefined) {
      if (Array.isArray(args)) throw new TypeError("format requires a mapping");
      const map = args as Readonly<Record<string, PyFormatArg>>;
      if (!(key in map)) throw new TypeError(`format key not found: '${key}'`);
      arg = map[key];
    } else {
      if (!Array.isArray(args)) throw new TypeError("not enough arguments for format string");
      if (next >= args.length) throw new TypeError("not enough arguments for format string");
      arg = args[next++];
    }
    let text = convert(spec, arg);
    if (alternate && (spec === "x" || spec === "X")) text = (spec === "x" ? "0x" : "0X") + text;
    else if (alternate && spec === "o") text = "0o" + text;
    out += text;
    i = j + 1;
  }
  if (Array.isArray(args) && next < args.length) {
    throw new TypeError("not all arguments converted during string formatting");
  }
  return out;
}

/**
 * Python's `html.escape(s, quote)`: `&`, `<`, `>` always; `"` and `'` too when `quote` is true.
 *
 * Source: Python docs, `html.escape`.
 */
export function htmlEscape(s: string, quote = true): string {
  let out = "";
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    let rep: string | undefined;
    switch (s.charCodeAt(i)) {
      case 0x26:
        rep = "&amp;";
        break;
      case 0x3c:
        rep = "&lt;";
        break;
      case 0x3e:
        rep = "&gt;";
        break;
      case 0x22:
        if (quote) rep = "&quot;";
        break;
      case 0x27:
        if (quote) rep = "&#x27;";
        break;
    }
    if (rep !== undefined) {
      out += s.slice(last, i) + rep;
      last = i + 1;
    }
  }
  return last === 0 ? s : out + s.slice(last);
}
