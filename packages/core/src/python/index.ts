/**
 * The parts of Python's standard library that `http.server` relies on, with Python's exact
 * results: `http.client.HTTPMessage`, `http.HTTPStatus`, the error page, `%`-formatting,
 * `html.escape`, `urllib.parse` and `posixpath`, `email.utils` dates, `mimetypes`, `OSError` texts.
 * @module
 */
export { decodeSurrogatePass, encodeSurrogatePass, fsdecode, fsencode, hasLoneSurrogate } from "./codecs.ts";
export { MONTH_NAMES, WEEKDAY_NAMES, formatHTTPDate, formatLogDate, parseHTTPDate } from "./dates.ts";
export { DEFAULT_ERROR_CONTENT_TYPE, DEFAULT_ERROR_MESSAGE, errorHasBody, renderErrorBody } from "./errorpage.ts";
export { HTTPMessage } from "./message.ts";
export { DEFAULT_EXTENSIONS_MAP, guessFileType, guessType } from "./mimetypes.ts";
export { htmlEscape, pyFormat, type PyFormatArg } from "./pyformat.ts";
export { HTTPStatus, STATUS_TEXT, statusDescription, statusPhrase, type HTTPStatusCode } from "./status.ts";
export {
  joinPath,
  normpath,
  quote,
  redirectPath,
  unquote,
  unquoteLenient,
  urlCollapsePath,
  urlsplit,
  urlunsplit,
  type SplitResult,
} from "./urls.ts";
