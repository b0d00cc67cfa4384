/**
 * `HTTPMessage`: the header fields of a request, modelled on Python's `http.client.HTTPMessage`.
 * @module
 */

/**
 * Python's `str.isspace()` for one UTF-16 code unit (what `str.strip()` removes): unlike
 * `String.prototype.trim`, it includes U+001C–U+001F and U+0085 and excludes U+FEFF.
 */
function isPySpace(c: number): boolean {
  return (
    (c >= 0x09 && c <= 0x0d) ||
    (c >= 0x1c && c <= 0x20) ||
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

/**
 * A case-insensitive, order-preserving multi-map of field lines that keeps each name as it was
 * sent. Modelled on Python's `http.client.HTTPMessage` (an `email.message.Message`): `get`
 * returns the first value, `getAll` every value, iteration yields the names in order.
 *
 * Values are field-values as RFC 9112 §5 defines them: leading and trailing white space removed,
 * decoded as ISO-8859-1 (one character per byte).
 *
 * Source: Python docs, `http.client.HTTPMessage` and `email.message.Message`.
 */
export class HTTPMessage implements Iterable<string> {
  /** Flat `[name0, value0, name1, value1, …]`, names as received. */
  readonly #fields: string[];
  #lower: string[] | undefined;

  /**
   * @param fields Flat `[name, value, name, value, …]` pairs (as produced by the parser), or
   *   `[name, value]` tuples, or another `HTTPMessage`. The array is taken over, not copied.
   */
  constructor(fields: string[] | Iterable<readonly [string, string]> | HTTPMessage = []) {
    if (fields instanceof HTTPMessage) {
      this.#fields = fields.#fields.slice();
    } else if (Array.isArray(fields) && (fields.length === 0 || typeof fields[0] === "string")) {
      this.#fields = fields;
    } else {
      const flat: string[] = [];
      for (const [name, value] of fields as Iterable<readonly [string, string]>) flat.push(name, value);
      this.#fields = flat;
    }
  }

  #lowerNames(): string[] {
    if (this.#lower === undefined) {
      const lower = new Array<string>(this.#fields.length >> 1);
      for (let i = 0; i < lower.length; i++) lower[i] = this.#fields[i << 1].toLowerCase();
      this.#lower = lower;
    }
    return this.#lower;
  }

  #indexOf(name: string, from = 0): number {
    const key = name.toLowerCase();
    const lower = this.#lowerNames();
    for (let i = from; i < lower.length; i++) if (lower[i] === key) return i;
    return -1;
  }

  /** Number of field lines (Python's `len(msg)`). */
  get size(): number {
    return this.#fields.length >> 1;
  }

  /**
   * The value of the first field named `name` (case-insensitive), or `failobj` when there is none
   * (Python's `msg.get(name, failobj=None)`).
   */
  get(name: string): string | undefined;
  get<T>(name: string, failobj: T): string | T;
  get<T>(name: string, failobj?: T): string | T | undefined {
    const i = this.#indexOf(name);
    return i < 0 ? failobj : this.#fields[(i << 1) + 1];
  }

  /**
   * Every value of the fields named `name`, in order, or `failobj` when there is none (Python's
   * `msg.get_all(name, failobj=None)`).
   */
  getAll(name: string): string[] | undefined;
  getAll<T>(name: string, failobj: T): string[] | T;
  getAll<T>(name: string, failobj?: T): string[] | T | undefined {
    const key = name.toLowerCase();
    const lower = this.#lowerNames();
    const out: string[] = [];
    for (let i = 0; i < lower.length; i++) if (lower[i] === key) out.push(this.#fields[(i << 1) + 1]);
    return out.length > 0 ? out : failobj;
  }

  /** True if a field named `name` is present (Python's `name in msg`). */
  has(name: string): boolean {
    return this.#indexOf(name) >= 0;
  }

  /** The field names in order, as sent, duplicates included (Python's `msg.keys()`). */
  keys(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.#fields.length; i += 2) out.push(this.#fields[i]);
    return out;
  }

  /** The field values in order (Python's `msg.values()`). */
  values(): string[] {
    const out: string[] = [];
    for (let i = 1; i < this.#fields.length; i += 2) out.push(this.#fields[i]);
    return out;
  }

  /** `[name, value]` pairs in order (Python's `msg.items()`). */
  items(): [string, string][] {
    const out: [string, string][] = [];
    for (let i = 0; i < this.#fields.length; i += 2) out.push([this.#fields[i], this.#fields[i + 1]]);
    return out;
  }

  /** Iterates the field names in order (Python's `iter(msg)`). */
  [Symbol.iterator](): Iterator<string> {
    return this.keys()[Symbol.iterator]();
  }

  /**
   * Appends a field (Python's `msg[name] = value`, which adds rather than replaces).
   */
  set(name: string, value: string): void {
    this.#fields.push(name, value);
    this.#lower?.push(name.toLowerCase());
  }

  /** Removes every field named `name` (Python's `del msg[name]`). */
  delete(name: string): void {
    for (let i = this.#indexOf(name); i >= 0; i = this.#indexOf(name, i)) {
      this.#fields.splice(i << 1, 2);
      this.#lower!.splice(i, 1);
    }
  }

  /**
   * The media type of `Content-Type` in lower case without parameters, `"text/plain"` when the
   * field is missing or malformed (Python's `msg.get_content_type()`, RFC 2045 §5.2).
   */
  getContentType(): string {
    const value = this.get("content-type");
    if (value === undefined) return "text/plain";
    // Python: value.partition(';')[0].strip().lower(), then exactly one '/'.
    const semi = value.indexOf(";");
    let s = 0;
    let e = semi < 0 ? value.length : semi;
    while (s < e && isPySpace(value.charCodeAt(s))) s++;
    while (e > s && isPySpace(value.charCodeAt(e - 1))) e--;
    const type = value.slice(s, e).toLowerCase();
    const slash = type.indexOf("/");
    return slash >= 0 && slash === type.lastIndexOf("/") ? type : "text/plain";
  }

  /**
   * The fields as `Name: value` lines each ending in `\n`, then the empty line that ends a header
   * section (Python's `str(msg)` / `msg.as_string()` for short ASCII values; Python also folds
   * lines longer than 78 characters and RFC 2047-encodes non-ASCII values, which this does not).
   */
  toString(): string {
    let out = "";
    for (let i = 0; i < this.#fields.length; i += 2) out += `${this.#fields[i]}: ${this.#fields[i + 1]}\n`;
    return out + "\n";
  }
}
