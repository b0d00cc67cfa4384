/**
 * The methods of Python's `str` that the handlers need, with Python's results.
 * @module
 */
import { PY_WHITESPACE } from "../http/chars.ts";

/** Python's `str.split()` of ISO-8859-1 text: the words between runs of Python's white space. */
export function pySplit(text: string): string[] {
  const words: string[] = [];
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x20;
    const space = c < 0x100 && PY_WHITESPACE[c] === 1;
    if (!space && start < 0) start = i;
    else if (space && start >= 0) {
      words.push(text.slice(start, i));
      start = -1;
    }
  }
  return words;
}

/** True if every character of `s` is ASCII (Python's `str.isascii()`). */
export function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}
