/**
 * The date formats of `http.server`: IMF-fixdate for headers and the local-time log stamp.
 * Pure functions of a timestamp; the current time comes from the platform's clock.
 * @module
 */

/** Python's `BaseHTTPRequestHandler.weekdayname`. */
export const WEEKDAY_NAMES: readonly string[] = Object.freeze(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]);
/** Python's `BaseHTTPRequestHandler.monthname` (index 0 unused, as in Python). */
export const MONTH_NAMES: readonly (string | null)[] = Object.freeze([
  null,
  "Jan",
  "Feb",
  "Mar",
  "Apr",
  "May",
  "Jun",
  "Jul",
  "Aug",
  "Sep",
  "Oct",
  "Nov",
  "Dec",
]);

const pad2 = (n: number) => (n < 10 ? "0" + n : String(n));

let cachedSecond = NaN;
let cachedDate = "";
let cachedLogSecond = NaN;
let cachedLogDate = "";

/**
 * An IMF-fixdate (RFC 9110 §5.6.7), e.g. `Sun, 06 Nov 1994 08:49:37 GMT`, for `seconds` since
 * the epoch (sub-seconds truncated). Python's `email.utils.formatdate(timestamp, usegmt=True)`,
 * which `date_time_string` returns.
 */
export function formatHTTPDate(seconds: number): string {
  const whole = Math.floor(seconds);
  if (whole === cachedSecond) return cachedDate;
  const d = new Date(whole * 1000);
  const text =
    `${WEEKDAY_NAMES[(d.getUTCDay() + 6) % 7]}, ${pad2(d.getUTCDate())} ${MONTH_NAMES[d.getUTCMonth() + 1]} ` +
    `${String(d.getUTCFullYear()).padStart(4, "0")} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} GMT`;
  cachedSecond = whole;
  cachedDate = text;
  return text;
}

/**
 * The log time stamp `dd/Mon/yyyy hh:mm:ss` in local time, without a zone, for `seconds` since the
 * epoch (Python's `log_date_time_string`).
 */
export function formatLogDate(seconds: number): string {
  const whole = Math.floor(seconds);
  // One log line per request: the local-time conversion is done once per second.
  if (whole === cachedLogSecond) return cachedLogDate;
  const d = new Date(whole * 1000);
  cachedLogDate = `${pad2(d.getDate())}/${MONTH_NAMES[d.getMonth() + 1]}/${String(d.getFullYear()).padStart(4, "0")} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
  cachedLogSecond = whole;
  return cachedLogDate;
}

/**
 * Parses an HTTP date as Python's `email.utils.parsedate_to_datetime` does, for `If-Modified-Since`
 * (docs/cpython.md §4.3). Returns seconds since the epoch, or `null` when the text is
 * not a date or carries a zone other than UTC (`GMT`, `UT`, `UTC`, `Z`, `+0000`, `-0000` or none):
 * CPython skips the comparison then.
 */
export function parseHTTPDate(text: string): number | null {
  // RFC 5322 / RFC 850 / asctime forms, as email.utils._parsedate_tz accepts them.
  const words = text
    .trim()
    .replace(/,/g, " ")
    .split(/\s+/)
    .filter((w) => w !== "");
  if (words.length === 0) return null;
  if (/^[A-Za-z]{3,}$/.test(words[0]) && weekdayIndex(words[0]) >= 0) words.shift();
  if (words.length < 3) return null;
  let day: string;
  let month: string;
  let year: string;
  let time = "00:00:00";
  let zone: string | null;
  // "06 Nov 1994 08:49:37 GMT", "06-Nov-94 08:49:37 GMT", "Nov 6 08:49:37 1994" (asctime)
  if (words[0].includes("-") && words[0].split("-").length === 3) {
    [day, month, year] = words[0].split("-");
    time = words[1] ?? time;
    zone = words[2] ?? null;
  } else if (monthIndex(words[0]) >= 0) {
    [month, day] = [words[0], words[1]];
    if (words[2]?.includes(":")) {
      time = words[2];
      year = words[3] ?? "";
      zone = words[4] ?? null;
    } else {
      year = words[2];
      time = words[3] ?? time;
      zone = words[4] ?? null;
    }
  } else {
    [day, month, year] = [words[0], words[1], words[2]];
    time = words[3] ?? time;
    zone = words[4] ?? null;
  }
  const m = monthIndex(month);
  if (m < 0 || !/^\d{1,2}$/.test(day) || !/^\d{2,4}$/.test(year)) return null;
  let y = Number(year);
  if (year.length <= 2) y += y > 68 ? 1900 : 2000;
  const t = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(time);
  if (t === null) return null;
  if (zone !== null && !["GMT", "UT", "UTC", "Z", "+0000", "-0000"].includes(zone.toUpperCase())) return null;
  const ms = Date.UTC(y, m, Number(day), Number(t[1]), Number(t[2]), Number(t[3] ?? "0"));
  return Number.isFinite(ms) ? ms / 1000 : null;
}

function monthIndex(name: string): number {
  return ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"].indexOf(name.slice(0, 3).toLowerCase());
}

function weekdayIndex(name: string): number {
  return ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].indexOf(name.slice(0, 3).toLowerCase());
}
