/**
 * The Python text operations whose exact output `http.server` puts on the wire or in logs:
 * `%`-formatting and `html.escape()` (`repr()` is the protocol's, in `http/repr.ts`).
 * @module
 */

import { pyRepr } from "../http/repr.ts";

/**
 * A value `%`-formatting accepts. JavaScript numbers do not say whether they are Python ints or
 * floats: `%s` prints them as JavaScript does (`1` where Python would print a float `1.0`).
 */
export type PyFormatArg =
  | string
  | number
  | bigint
  | boolean
  | null
  | undefined
  | {
      /** The text `%s` shows for the object (Python's `str()`). */
      toString(): string;
    };

/** Flags, width and precision of one conversion specifier (-1: not given). */
interface Spec {
  alternate: boolean;
  zero: boolean;
  left: boolean;
  plus: boolean;
  space: boolean;
  width: number;
  precision: number;
}

function typeName(arg: unknown): string {
  if (arg === null || arg === undefined) return "NoneType";
  switch (typeof arg) {
    case "string":
      return "str";
    case "number":
      return Number.isInteger(arg) ? "int" : "float";
    case "bigint":
      return "int";
    case "boolean":
      return "bool";
    default:
      return "object";
  }
}

/** Python's `str()` of an argument. */
function pyStr(arg: PyFormatArg): string {
  if (arg === null || arg === undefined) return "None";
  if (typeof arg === "boolean") return arg ? "True" : "False";
  if (typeof arg === "number" && !Number.isFinite(arg)) return Number.isNaN(arg) ? "nan" : arg > 0 ? "inf" : "-inf";
  return String(arg);
}

function primitive(arg: PyFormatArg): unknown {
  return typeof arg === "object" && arg !== null ? (arg as { valueOf(): unknown }).valueOf() : arg;
}

/** The integer `%d %i %u %x %X %o` format: ints, bools and (for %d %i %u) floats, truncated. */
function integerOf(conv: string, arg: PyFormatArg): bigint {
  const strict = conv === "x" || conv === "X" || conv === "o";
  const v = primitive(arg);
  if (typeof v === "bigint") return v;
  if (typeof v === "boolean") return v ? 1n : 0n;
  if (typeof v === "number") {
    if (Number.isInteger(v)) return BigInt(v);
    if (strict) throw new TypeError(`%${conv} format: an integer is required, not float`);
    if (Number.isNaN(v)) throw new TypeError("cannot convert float NaN to integer");
    if (!Number.isFinite(v)) throw new TypeError("cannot convert float infinity to integer");
    return BigInt(Math.trunc(v));
  }
  throw new TypeError(`%${conv} format: ${strict ? "an integer" : "a real number"} is required, not ${typeName(arg)}`);
}

function floatOf(arg: PyFormatArg): number {
  const v = primitive(arg);
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "bigint") return Number(v);
  throw new TypeError(`must be real number, not ${typeName(arg)}`);
}

/**
 * `x` (finite, >= 0) with `precision` digits after the point, correctly rounded (half to even
 * on exact ties) from the exact binary value, as Python's `%f` does; plain digits at any size.
 */
function fixed(x: number, precision: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const biased = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(view.getUint32(4));
  let exponent = -1074;
  if (biased !== 0) {
    mantissa |= 1n << 52n;
    exponent = biased - 1075;
  }
  const scale = 10n ** BigInt(precision);
  let q: bigint;
  if (exponent >= 0) {
    q = (mantissa << BigInt(exponent)) * scale;
  } else {
    const num = mantissa * scale;
    const den = 1n << BigInt(-exponent);
    q = num / den;
    const twice = (num - q * den) * 2n;
    if (twice > den || (twice === den && (q & 1n) === 1n)) q += 1n;
  }
  let digits = q.toString();
  if (precision === 0) return digits;
  if (digits.length <= precision) digits = "0".repeat(precision - digits.length + 1) + digits;
  return digits.slice(0, digits.length - precision) + "." + digits.slice(digits.length - precision);
}

/** Length in code points (Python's len()), for widths and precisions of text. */
function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff || i + 1 >= s.length) n++;
    else {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
      n++;
    }
  }
  return n;
}

function truncate(s: string, precision: number): string {
  if (precision < 0 || s.length <= precision) return s;
  let out = "";
  let n = 0;
  for (const ch of s) {
    if (n++ >= precision) break;
    out += ch;
  }
  return out;
}

/** Pads to the width: left-justified, zero-filled after sign and prefix, or right-justified. */
function pad(spec: Spec, sign: string, prefix: string, body: string, zeroFill: boolean): string {
  const fill = spec.width - codePoints(sign + prefix + body);
  if (fill <= 0) return sign + prefix + body;
  if (spec.left) return sign + prefix + body + " ".repeat(fill);
  if (spec.zero && zeroFill) return sign + prefix + "0".repeat(fill) + body;
  return " ".repeat(fill) + sign + prefix + body;
}

function convert(conv: string, spec: Spec, arg: PyFormatArg): string {
  switch (conv) {
    case "s":
      return pad(spec, "", "", truncate(pyStr(arg), spec.precision), false);
    case "r":
      return pad(spec, "", "", truncate(typeof arg === "string" ? pyRepr(arg) : pyStr(arg), spec.precision), false);
    case "c": {
      const v = primitive(arg);
      let ch: string;
      if (typeof v === "string" && codePoints(v) === 1) ch = v;
      else if ((typeof v === "number" && Number.isInteger(v)) || typeof v === "bigint") {
        const n = Number(v);
        if (n < 0 || n > 0x10ffff) throw new RangeError("%c arg not in range(0x110000)");
        ch = String.fromCodePoint(n);
      } else throw new TypeError("%c requires int or char");
      return pad(spec, "", "", ch, false);
    }
    case "d":
    case "i":
    case "u":
    case "x":
    case "X":
    case "o": {
      let n = integerOf(conv, arg);
      const negative = n < 0n;
      if (negative) n = -n;
      let digits = n.toString(conv === "o" ? 8 : conv === "d" || conv === "i" || conv === "u" ? 10 : 16);
      if (conv === "X") digits = digits.toUpperCase();
      if (spec.precision > digits.length) digits = "0".repeat(spec.precision - digits.length) + digits;
      const prefix = !spec.alternate ? "" : conv === "x" ? "0x" : conv === "X" ? "0X" : conv === "o" ? "0o" : "";
      const sign = negative ? "-" : spec.plus ? "+" : spec.space ? " " : "";
      return pad(spec, sign, prefix, digits, true);
    }
    case "f":
    case "F": {
      const x = floatOf(arg);
      const negative = x < 0 || Object.is(x, -0);
      const sign = negative ? "-" : spec.plus ? "+" : spec.space ? " " : "";
      let body: string;
      if (Number.isNaN(x)) body = "nan";
      else if (!Number.isFinite(x)) body = "inf";
      else {
        const precision = spec.precision < 0 ? 6 : spec.precision;
        body = fixed(Math.abs(x), precision);
        if (spec.alternate && precision === 0) body += ".";
      }
      return pad(spec, sign, "", conv === "F" ? body.toUpperCase() : body, true);
    }
    default:
      throw new TypeError(`unsupported format character '${conv}'`);
  }
}

/**
 * Python's printf-style `format % args`: the conversions `%s`, `%r`, `%c`, `%d`, `%i`, `%u`,
 * `%x`, `%X`, `%o`, `%f`, `%F` and `%%`, with the flags `#`, `0`, `-`, ` ` and `+`, a width
 * and a precision (digits or `*`), and an ignored length modifier (`h`, `l`, `L`). With a
 * single record argument, `%(name)s` keys are looked up in it instead (`format % mapping`).
 * `%e`, `%g` and `%a` are not supported.
 *
 * Source: Python docs, "printf-style String Formatting".
 * @throws {TypeError} on an unsupported conversion, a bad argument type, too few or too many
 *   arguments (Python raises `ValueError` for some of these).
 * @throws {RangeError} for `%c` of a number outside 0–0x10FFFF.
 */
export function pyFormat(format: string, args: readonly PyFormatArg[] | Readonly<Record<string, PyFormatArg>>): string {
  const positional = Array.isArray(args) ? (args as readonly PyFormatArg[]) : null;
  let out = "";
  let next = 0;
  let i = 0;
  const take = (): PyFormatArg => {
    if (positional === null || next >= positional.length) throw new TypeError("not enough arguments for format string");
    return positional[next++];
  };
  const star = (): number => {
    const v = take();
    if (typeof v !== "number" || !Number.isInteger(v)) throw new TypeError("* wants int");
    return v;
  };
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
    const spec: Spec = { alternate: false, zero: false, left: false, plus: false, space: false, width: -1, precision: -1 };
    for (; ; j++) {
      const f = format[j];
      if (f === "#") spec.alternate = true;
      else if (f === "0") spec.zero = true;
      else if (f === "-") spec.left = true;
      else if (f === "+") spec.plus = true;
      else if (f === " ") spec.space = true;
      else break;
    }
    if (format[j] === "*") {
      spec.width = star();
      if (spec.width < 0) {
        spec.left = true;
        spec.width = -spec.width;
      }
      j++;
    } else {
      while (format[j] >= "0" && format[j] <= "9") spec.width = Math.max(spec.width, 0) * 10 + (format.charCodeAt(j++) - 0x30);
    }
    if (format[j] === ".") {
      j++;
      spec.precision = 0;
      if (format[j] === "*") {
        spec.precision = Math.max(0, star());
        j++;
      } else {
        while (format[j] >= "0" && format[j] <= "9") spec.precision = spec.precision * 10 + (format.charCodeAt(j++) - 0x30);
      }
    }
    if (format[j] === "h" || format[j] === "l" || format[j] === "L") j++;
    const conv = format[j];
    if (conv === undefined) throw new TypeError("incomplete format");
    let arg: PyFormatArg;
    if (key !== undefined) {
      if (positional !== null) throw new TypeError("format requires a mapping");
      const map = args as Readonly<Record<string, PyFormatArg>>;
      if (!(key in map)) throw new TypeError(`format key not found: '${key}'`);
      arg = map[key];
    } else {
      arg = take();
    }
    out += convert(conv, spec, arg);
    i = j + 1;
  }
  if (positional !== null && next < positional.length) {
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
