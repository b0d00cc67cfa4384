/**
 * Response head serialization with the checks that prevent response splitting (RFC 9112 §11.1):
 * field names must be tokens; field values, reason phrases and versions must be free of CR, LF
 * and NUL and fit ISO-8859-1. Violations throw; nothing is silently repaired.
 * @module
 */

import { isToken } from "./chars.js";
import { LocalProtocolError } from "./errors.js";

function checkText(what: string, s: string): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x0d || c === 0x0a || c === 0) {
      throw new LocalProtocolError(`${what} must not contain CR, LF or NUL: ${JSON.stringify(s)}`);
    }
    if (c > 0xff) throw new LocalProtocolError(`${what} must be ISO-8859-1 text: ${JSON.stringify(s)}`);
  }
}

/**
 * Checks a response field-name: a non-empty token (RFC 9110 §5.1).
 * @throws {LocalProtocolError} otherwise.
 */
export function checkFieldName(name: string): void {
  if (!isToken(name)) throw new LocalProtocolError(`field-name must be a token: ${JSON.stringify(name)}`);
}

/**
 * Checks a response field-value: no CR, LF or NUL (RFC 9110 §5.5), characters up to U+00FF.
 * @throws {LocalProtocolError} otherwise.
 */
export function checkFieldValue(value: string): void {
  // Most responses repeat the values of the previous one (Server, Date for a whole second, the
  // content type): remember the last few that passed.
  if (value === checked[0] || value === checked[1] || value === checked[2] || value === checked[3]) return;
  checkText("field-value", value);
  checked[checkedNext] = value;
  checkedNext = (checkedNext + 1) & 3;
}

/** The last field values that passed {@link checkFieldValue}. */
const checked: string[] = ["", "", "", ""];
let checkedNext = 0;

/**
 * Checks a reason phrase or protocol version for a status line: no CR, LF or NUL, characters
 * up to U+00FF (RFC 9112 §4).
 * @throws {LocalProtocolError} otherwise.
 */
export function checkStatusLineText(what: string, s: string): void {
  checkText(what, s);
}

/**
 * The status line `<version> <code> <reason>\r\n` (RFC 9112 §4; the space before an empty
 * reason is kept, as CPython does). Inputs must have passed the checks above.
 */
export function statusLine(version: string, code: number, reason: string): string {
  return `${version} ${code} ${reason}\r\n`;
}

/** The field line `<name>: <value>\r\n` (RFC 9112 §5). */
export function fieldLine(name: string, value: string): string {
  return `${name}: ${value}\r\n`;
}
