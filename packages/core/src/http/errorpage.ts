/**
 * CPython's default error page (`http.server.DEFAULT_ERROR_MESSAGE`, 3.14+) and its rendering
 * (cpython-behaviour.md §2.4).
 * @module
 */

import { latin1Encode, utf8Encode } from "./chars.js";
import { htmlEscape, pyFormat } from "./pyformat.js";
import { fieldLine, statusLine } from "./serialize.js";
import { statusDescription, statusPhrase } from "./status.js";

/**
 * The error page template, with `%(code)d`, `%(message)s` and `%(explain)s` placeholders
 * (Python's `http.server.DEFAULT_ERROR_MESSAGE`, 3.14+, including the dark-mode `<style>`).
 */
export const DEFAULT_ERROR_MESSAGE = `<!DOCTYPE HTML>
<html lang="en">
    <head>
        <meta charset="utf-8">
        <style type="text/css">
            :root {
                color-scheme: light dark;
            }
        </style>
        <title>Error response</title>
    </head>
    <body>
        <h1>Error response</h1>
        <p>Error code: %(code)d</p>
        <p>Message: %(message)s.</p>
        <p>Error code explanation: %(code)s - %(explain)s.</p>
    </body>
</html>
`;

/** `Content-Type` of error pages (Python's `DEFAULT_ERROR_CONTENT_TYPE`). */
export const DEFAULT_ERROR_CONTENT_TYPE = "text/html;charset=utf-8";

/**
 * True if a response with status `code` may carry a body in `send_error` (not 1xx, 204, 205 or
 * 304; cpython-behaviour.md §2.4 step 5).
 */
export function errorHasBody(code: number): boolean {
  return code >= 200 && code !== 204 && code !== 205 && code !== 304;
}

/**
 * Renders an error page body: `format % {code, message, explain}` with `message` and `explain`
 * HTML-escaped (`&`, `<`, `>` only), encoded as UTF-8. Python's `send_error` step 5.
 */
export function renderErrorBody(format: string, code: number, message: string, explain: string): Uint8Array {
  return utf8Encode(
    pyFormat(format, { code, message: htmlEscape(message, false), explain: htmlEscape(explain, false) }),
  );
}

/** Options of {@link renderErrorResponse}. */
export interface ErrorResponseOptions {
  /** Protocol version for the status line (default `"HTTP/1.1"`). */
  version?: string;
  /** Short message (reason phrase); defaults to the status's phrase, `"???"` if unknown. */
  message?: string;
  /** Long explanation; defaults to the status's description, `"???"` if unknown. */
  explain?: string;
  /** Extra fields placed after `Connection: close` (e.g. `Server`, `Date`). */
  fields?: readonly (readonly [string, string])[];
  /** Suppress the body (for a HEAD request); the fields still describe it. */
  head?: boolean;
  /** Template (default {@link DEFAULT_ERROR_MESSAGE}). */
  format?: string;
  /** Content-Type (default {@link DEFAULT_ERROR_CONTENT_TYPE}). */
  contentType?: string;
}

/**
 * A complete error response as CPython's `send_error` writes it, for sans-IO users without a
 * handler: status line, `Connection: close`, `Content-Type` and `Content-Length` (when the
 * status allows a body) and the page. Field values must be safe (they are not re-checked).
 */
export function renderErrorResponse(code: number, options: ErrorResponseOptions = {}): Uint8Array {
  const known = statusPhrase(code) !== "";
  const message = options.message ?? (known ? statusPhrase(code) : "???");
  const explain = options.explain ?? (known ? statusDescription(code) : "???");
  let head = statusLine(options.version ?? "HTTP/1.1", code, message);
  for (const [name, value] of options.fields ?? []) head += fieldLine(name, value);
  head += fieldLine("Connection", "close");
  let body: Uint8Array | undefined;
  if (errorHasBody(code)) {
    body = renderErrorBody(options.format ?? DEFAULT_ERROR_MESSAGE, code, message, explain);
    head += fieldLine("Content-Type", options.contentType ?? DEFAULT_ERROR_CONTENT_TYPE);
    head += fieldLine("Content-Length", String(body.length));
  }
  const headBytes = latin1Encode(head + "\r\n");
  if (body === undefined || options.head) return headBytes;
  const out = new Uint8Array(headBytes.length + body.length);
  out.set(headBytes);
  out.set(body, headBytes.length);
  return out;
}
