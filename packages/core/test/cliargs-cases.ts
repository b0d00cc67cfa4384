/**
 * Runs parseCliArgs() on the cases of fixtures/cpython-cli/cases.json (expectations produced by
 * CPython, see generate.py there) and derives what httpserver must print for each. Shared by
 * cliargs.test.ts (vitest, Node) and fixtures/cpython-cli/check-runtime.ts (Bun, Deno), so it
 * uses no runtime API.
 */
import { parseCliArgs, type CliIO } from "../src/cliargs.ts";

/** What one command line printed and returned, in the fixture's terms. */
export interface Observed {
  exit: number;
  stdout: string;
  stderr: string;
  /** The parsed settings on success (port as decimal text, directory "<cwd>" for the default). */
  parsed: Record<string, unknown> | null;
}

export interface FixtureCase extends Observed {
  argv: string[];
}

export interface Fixture {
  python: string;
  prog: string;
  cwd: string;
  errno: Record<string, [number, string]>;
  /** Password files: content (base64) or the node:fs error code that reading them gives. */
  files: Record<string, { base64?: string; code?: string }>;
  cases: FixtureCase[];
}

/** A thrown Error carrying a node:fs-style `code`. */
export function fsError(code: string, path: string): Error & { code: string } {
  return Object.assign(new Error(`${code}: fake error, open '${path}'`), { code });
}

/** A CliIO that records output and serves the fixture's files (any other path: ENOENT). */
export function fixtureIO(fixture: Fixture): CliIO & { out: string; err: string; reads: string[] } {
  const io = {
    out: "",
    err: "",
    reads: [] as string[],
    cwd: fixture.cwd,
    stdout(text: string) {
      io.out += text;
    },
    stderr(text: string) {
      io.err += text;
    },
    readFile(path: string): Uint8Array {
      io.reads.push(path);
      const file = Object.hasOwn(fixture.files, path) ? fixture.files[path] : undefined;
      if (file?.base64 !== undefined) return Uint8Array.from(atob(file.base64), (c) => c.charCodeAt(0));
      throw fsError(file?.code ?? "ENOENT", path);
    },
  };
  return io;
}

/** parseCliArgs() on `argv`, in the fixture's terms. */
export function runCase(fixture: Fixture, argv: string[]): Observed {
  const io = fixtureIO(fixture);
  const result = parseCliArgs(argv, io, fixture.prog);
  if ("exitCode" in result) return { exit: result.exitCode, stdout: io.out, stderr: io.err, parsed: null };
  const o = result.options;
  return {
    exit: 0,
    stdout: io.out,
    stderr: io.err,
    parsed: {
      port: String(o.port),
      bind: o.bind,
      directory: o.directory,
      protocol: o.protocol,
      cgi: o.cgi,
      contentType: o.contentType,
      headers: o.headers,
      tlsCert: o.tlsCert,
      tlsKey: o.tlsKey,
      tlsPasswordFile: o.tlsPasswordFile,
      tlsPassword: result.tlsPassword,
      headersTimeout: o.headersTimeout,
      keepAliveTimeout: o.keepAliveTimeout,
      requestTimeout: o.requestTimeout,
      sendTimeout: o.sendTimeout,
      maxConnections: o.maxConnections,
      shutdownTimeout: o.shutdownTimeout,
      precompressed: o.precompressed,
      compress: o.compress,
      cors: o.cors,
      cacheControl: o.cacheControl,
      workers: o.workers,
    },
  };
}

/** The usage text CPython prints before `error:` (taken from a failing case). */
export function usageOf(fixture: Fixture): string {
  const failing = fixture.cases.find((c) => c.exit === 2)!;
  return failing.stderr.slice(0, failing.stderr.indexOf(`${fixture.prog}: error: `));
}

/**
 * What httpserver must print for a case: CPython's output, except for the documented deviation
 * (docs/deviations.md): a port that CPython accepts but that is outside 0–65535 is a usage error.
 */
export function expectedOf(fixture: Fixture, c: FixtureCase): Observed {
  const port = c.parsed ? BigInt(c.parsed.port as string) : null;
  if (port !== null && (port < 0n || port > 65535n)) {
    return {
      exit: 2,
      stdout: "",
      stderr: `${usageOf(fixture)}${fixture.prog}: error: argument port: ${port} is not in the range 0-65535\n`,
      parsed: null,
    };
  }
  return { exit: c.exit, stdout: c.stdout, stderr: c.stderr, parsed: c.parsed };
}
