/**
 * The parts of Python's standard library that `http.server` relies on, with Python's exact
 * results: `http.client.HTTPMessage`, `http.HTTPStatus`, the error page, `%`-formatting,
 * `html.escape`, `urllib.parse` and `posixpath`, `email.utils` dates, `mimetypes`, `OSError` texts.
 * @module
 */
export { decodeSurrogatePass, encodeSurrogatePass, fsdecode, fsencode, hasLoneSurrogate } from "./codecs.js";
export { MONTH_NAMES, WEEKDAY_NAMES, formatHTTPDate, formatLogDate, parseHTTPDate } from "./dates.js";
export { DEFAULT_ERROR_CONTENT_TYPE, DEFAULT_ERROR_MESSAGE, errorHasBody, renderErrorBody } from "./errorpage.js";
export { HTTPMessage } from "./message.js";
export { DEFAULT_EXTENSIONS_MAP, guessFileType, guessType } from "./mimetypes.js";
export { htmlEscape, pyFormat, type PyFormatArg } from "./pyformat.js";
export { HTTPStatus, STATUS_TEXT, statusDescription, statusPhrase, type HTTPStatusCode } from "./status.js";
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
} from "./urls.js";
