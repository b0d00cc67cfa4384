/**
 * CPython's default error page (`http.server.DEFAULT_ERROR_MESSAGE`, 3.14+) and its rendering
 * (docs/cpython.md §2.4).
 * @module
 */

import { utf8Encode } from "../http/chars.ts";
import { htmlEscape, pyFormat } from "./pyformat.ts";

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
 * 304; docs/cpython.md §2.4).
 */
export function errorHasBody(code: number): boolean {
  return code >= 200 && code !== 204 && code !== 205 && code !== 304;
}

/**
 * Renders an error page body: `format % {code, message, explain}` with `message` and `explain`
 * HTML-escaped (`&`, `<`, `>` only), encoded as UTF-8. Python's `send_error` step 5.
 */
export function renderErrorBody(format: string, code: number, message: string, explain: string): Uint8Array {
  return utf8Encode(pyFormat(format, { code, message: htmlEscape(message, false), explain: htmlEscape(explain, false) }));
}
