/**
 * CPython's `str(OSError)` for the file errors the runtimes report by symbolic code.
 * @module
 */
import { pyRepr } from "../http/repr.ts";

/**
 * Linux errno numbers and glibc `strerror()` texts for node:fs's error codes, as CPython's
 * `OSError.__str__` prints them (`[Errno 2] No such file or directory: 'x'`). Checked against
 * `os.strerror()` by the tests.
 */
const ERRNO: Readonly<Record<string, readonly [number, string]>> = {
  EPERM: [1, "Operation not permitted"],
  ENOENT: [2, "No such file or directory"],
  EIO: [5, "Input/output error"],
  ENXIO: [6, "No such device or address"],
  EAGAIN: [11, "Resource temporarily unavailable"],
  ENOMEM: [12, "Cannot allocate memory"],
  EACCES: [13, "Permission denied"],
  EBUSY: [16, "Device or resource busy"],
  ENODEV: [19, "No such device"],
  ENOTDIR: [20, "Not a directory"],
  EISDIR: [21, "Is a directory"],
  EINVAL: [22, "Invalid argument"],
  ENFILE: [23, "Too many open files in system"],
  EMFILE: [24, "Too many open files"],
  ETXTBSY: [26, "Text file busy"],
  EFBIG: [27, "File too large"],
  ENOSPC: [28, "No space left on device"],
  EROFS: [30, "Read-only file system"],
  ENAMETOOLONG: [36, "File name too long"],
  ELOOP: [40, "Too many levels of symbolic links"],
  EOVERFLOW: [75, "Value too large for defined data type"],
  ETIMEDOUT: [110, "Connection timed out"],
  ESTALE: [116, "Stale file handle"],
};

/**
 * `str(OSError)` as CPython prints a failed `open(path)`. A code missing from {@link ERRNO} (or an
 * error without one) gives the error's own message instead.
 */
export function osErrorText(err: unknown, path: string): string {
  const code = (err as { code?: unknown } | null)?.code;
  const known = typeof code === "string" && Object.hasOwn(ERRNO, code) ? ERRNO[code] : undefined;
  if (known) return `[Errno ${known[0]}] ${known[1]}: ${pyRepr(path)}`;
  return err instanceof Error ? err.message : String(err);
}

/**
 * True for an error that says the process or the system has no file descriptor left (`EMFILE`,
 * `ENFILE`): a passing condition, answered with 503, never a missing file.
 */
export function outOfDescriptors(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "EMFILE" || code === "ENFILE";
}
