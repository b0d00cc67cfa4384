/**
 * parseCliArgs(): the httpserver command line against CPython.
 *
 * Expected texts come from fixtures/cpython-cli/cases.json, written by generate.py there with
 * CPython 3.13 (its argparse, and its real `python -m http.server` to vouch for the
 * declarations); the last block re-runs generate.py when CPython 3.13 is installed and checks
 * that the committed fixture is what it prints. Texts of our own (the port range check, the
 * fallbacks for errors CPython does not catch) are spelled out here and listed in
 * docs/deviations.md.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CPYTHON_VERSION, python } from "./python.js";
import { parseCliArgs, type CliIO } from "../src/cliargs.js";
import { VERSION } from "../src/version.js";
import { expectedOf, fixtureIO, fsError, runCase, usageOf, type Fixture } from "./cliargs-cases.js";

const FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "cpython-cli");
const FIXTURE_TEXT = readFileSync(join(FIXTURE_DIR, "cases.json"), "utf8");
const fixture = JSON.parse(FIXTURE_TEXT) as Fixture;
const USAGE = usageOf(fixture);
const caseOf = (...argv: string[]) => {
  const c = fixture.cases.find((k) => JSON.stringify(k.argv) === JSON.stringify(argv));
  if (!c) throw new Error(`no fixture case ${JSON.stringify(argv)}`);
  return c;
};
const error = (message: string) => `${USAGE}httpserver: error: ${message}\n`;

describe("every CPython case of cases.json", () => {
  it.each(fixture.cases.map((c) => [JSON.stringify(c.argv), c] as const))("%s", (_name, c) => {
    expect(runCase(fixture, c.argv)).toEqual(expectedOf(fixture, c));
  });

  it("covers what the issue lists", () => {
    const argvs = new Set(fixture.cases.map((c) => JSON.stringify(c.argv)));
    for (const argv of [
      [],
      ["-h"],
      ["--help"],
      ["--dir", "/srv"],
      ["-b127.0.0.1"],
      ["--bind=::1"],
      ["--unknown-flag"],
      ["abc"],
      ["--tls-key", "key.pem"],
      ["--tls-password-file", "pw.txt"],
      ["--tls-cert", "c", "--tls-password-file", "/nonexist"],
      ["-H", "novalue"],
      ["-H", ": v"],
      ["-H", "X-A: 1", "--header", "X-B:2"],
      ["-H"],
      ["--header", "h1:v1", "v2"],
      ["0"],
      ["65535"],
      ["65536"],
      ["-1"],
      ["--content-type", "text/html"],
      ["--cgi"],
      ["-p", "HTTP/1.1"],
    ]) {
      expect(argvs.has(JSON.stringify(argv)), JSON.stringify(argv)).toBe(true);
    }
  });
});

describe("help and defaults", () => {
  it("-h prints CPython's help to stdout only and exits 0", () => {
    const io = fixtureIO(fixture);
    expect(parseCliArgs(["-h"], io)).toEqual({ exitCode: 0 });
    expect(io.out).toBe(caseOf("-h").stdout);
    expect(io.out).toContain("  -H, --header HEADER   Add a custom response header of the form Header: value\n");
    expect(io.out).toContain("  --cgi                 run as CGI server\n");
    expect(io.err).toBe("");
  });

  it("no arguments gives CPython's defaults, -d being io.cwd", () => {
    const io = fixtureIO(fixture);
    expect(parseCliArgs([], { ...io, cwd: "/home/me/site" })).toEqual({
      options: {
        port: 8000,
        bind: null,
        directory: "/home/me/site",
        protocol: "HTTP/1.0",
        contentType: "application/octet-stream",
        headers: [],
        tlsCert: null,
        tlsKey: null,
        tlsPasswordFile: null,
        cgi: false,
        headersTimeout: 60,
        keepAliveTimeout: 5,
        requestTimeout: 60,
        sendTimeout: 60,
        maxConnections: null,
        shutdownTimeout: 5,
        precompressed: false,
        compress: false,
        cors: false,
        cacheControl: null,
        workers: 1,
      },
      tlsPassword: null,
    });
    expect(io.out + io.err).toBe("");
    expect(io.reads).toEqual([]);
  });

  it("prog defaults to httpserver and can be changed", () => {
    const io = fixtureIO(fixture);
    expect(parseCliArgs(["--bogus"], io)).toEqual({ exitCode: 2 });
    expect(io.err).toBe(error("unrecognized arguments: --bogus"));
    const io2 = fixtureIO(fixture);
    parseCliArgs(["--bogus"], io2, "python -m http.server");
    // argparse's wrapping for the longer prog, as CPython 3.13 prints it (generate.py's parser).
    expect(io2.err).toBe(
      "usage: python -m http.server [-h] [-b ADDRESS] [-d DIRECTORY] [-p VERSION]\n" +
        "                             [--content-type CONTENT_TYPE] [--tls-cert PATH]\n" +
        "                             [--tls-key PATH] [--tls-password-file PATH]\n" +
        "                             [-H HEADER] [--cgi] [--version] [--precompressed]\n" +
        "                             [--compress] [--cors] [--cache-control VALUE]\n" +
        "                             [--workers N] [--headers-timeout SECONDS]\n" +
        "                             [--keep-alive-timeout SECONDS]\n" +
        "                             [--request-timeout SECONDS]\n" +
        "                             [--send-timeout SECONDS] [--max-connections N]\n" +
        "                             [--shutdown-timeout SECONDS]\n" +
        "                             [port]\n" +
        "python -m http.server: error: unrecognized arguments: --bogus\n",
    );
  });
});

describe("the port", () => {
  it.each([
    ["0", 0],
    ["65535", 65535],
    ["8_080", 8080],
    [" 8080 ", 8080],
    ["\u0663", 3], // Python's int() takes any Unicode decimal digit:
    ["\uff18\uff10", 80], // fullwidth digits
    ["\u{1d7ce}\u{1d7cf}", 1], // MATHEMATICAL BOLD DIGIT ZERO, ONE (five runs of ten in a row)
    ["0".repeat(4300), 0], // at the limit of sys.get_int_max_str_digits()
  ])("%j is port %i", (arg, port) => {
    const r = parseCliArgs([arg], fixtureIO(fixture));
    expect("options" in r && r.options.port).toBe(port);
    expect(caseOf(arg).parsed?.port).toBe(String(port));
  });

  it.each([
    [["65536"], "65536"],
    [["70000"], "70000"],
    [["-1"], "-1"],
    [["--", "-5"], "-5"],
    [["-1_0"], "-10"],
    [["99999999999999999999999"], "99999999999999999999999"],
  ])("%j is outside 0-65535: usage error, exit 2 (CPython does not check)", (argv, port) => {
    const io = fixtureIO(fixture);
    expect(parseCliArgs(argv, io)).toEqual({ exitCode: 2 });
    expect(io.err).toBe(error(`argument port: ${port} is not in the range 0-65535`));
    expect(io.out).toBe("");
  });

  it("abc gives CPython's 'invalid int value', not argparse-js's \"invalid 'int' value\"", () => {
    const io = fixtureIO(fixture);
    parseCliArgs(["abc"], io);
    expect(io.err).toBe(error("argument port: invalid int value: 'abc'"));
    expect(io.err).toBe(caseOf("abc").stderr);
  });

  it.each(["ab'c", `a"b'c`, "a\x1bb", "tab\there", "1".repeat(4301)])("repr()s the bad value %j as Python does", (arg) => {
    const io = fixtureIO(fixture);
    expect(parseCliArgs([arg], io)).toEqual({ exitCode: 2 });
    expect(io.err).toBe(caseOf(arg).stderr);
  });

  it("reads -1x as a port, as argparse 3.14 does (3.13 calls it an unknown option)", () => {
    const io = fixtureIO(fixture);
    parseCliArgs(["-1x"], io);
    expect(io.err).toBe(error("argument port: invalid int value: '-1x'"));
  });
});

describe("option forms", () => {
  it.each([
    [["-b", "::1"], "bind", "::1"],
    [["-b::1"], "bind", "::1"],
    [["--bind=::1"], "bind", "::1"],
    [["--b", "x"], "bind", "x"],
    [["-d", "/srv"], "directory", "/srv"],
    [["--dir", "/srv"], "directory", "/srv"],
    [["--directory=/srv"], "directory", "/srv"],
    [["-p", "HTTP/1.1"], "protocol", "HTTP/1.1"],
    [["--proto", "HTTP/9.9"], "protocol", "HTTP/9.9"],
    [["--content-type", "text/html"], "contentType", "text/html"],
    [["--con=text/plain"], "contentType", "text/plain"],
    [["--tls-cert", "c.pem"], "tlsCert", "c.pem"],
    [["--tls-c", "c.pem"], "tlsCert", "c.pem"],
    [["--tls-cert", "c", "--tls-key", "k.pem"], "tlsKey", "k.pem"],
    [["--cgi"], "cgi", true],
    [["-H", "A: 1"], "headers", [["A", "1"]]],
  ] as const)("%j sets %s", (argv, key, value) => {
    const r = parseCliArgs([...argv], fixtureIO(fixture));
    expect("options" in r && r.options[key]).toEqual(value);
  });

  it("keeps repeated -H in order, duplicates included, split at the first colon", () => {
    const r = parseCliArgs(
      ["-H", "Set-Cookie: a=1", "--header", "X-Url: http://h:80/", "-HSet-Cookie:b=2", "--header=X-E:"],
      fixtureIO(fixture),
    );
    expect("options" in r && r.options.headers).toEqual([
      ["Set-Cookie", "a=1"],
      ["X-Url", "http://h:80/"],
      ["Set-Cookie", "b=2"],
      ["X-E", ""],
    ]);
  });

  it("strips header names and values with Python's white space, not JavaScript's", () => {
    // U+001C and U+0085 are white space to Python (not to trim()); U+FEFF is not (trim() drops it).
    const r = parseCliArgs(["-H", "\x1cX-A\x85: \u3000v\ufeff"], fixtureIO(fixture));
    expect("options" in r && r.options.headers).toEqual([["X-A", "v\ufeff"]]);
  });

  it("-H with no value, and a stray word after -H", () => {
    const io = fixtureIO(fixture);
    expect(parseCliArgs(["-H"], io)).toEqual({ exitCode: 2 });
    expect(io.err).toBe(error("argument -H/--header: expected one argument"));
    const io2 = fixtureIO(fixture);
    expect(parseCliArgs(["--header", "h1:v1", "v2"], io2)).toEqual({ exitCode: 2 });
    expect(io2.err).toBe(error("argument port: invalid int value: 'v2'"));
  });
});

describe("checks after parsing, in CPython's order", () => {
  it.each([
    [["--tls-key", "k"], "--tls-key requires --tls-cert to be set"],
    [["--tls-password-file", "pw.txt"], "--tls-password-file requires --tls-cert to be set"],
    [["--tls-key", "k", "--tls-password-file", "pw.txt"], "--tls-key requires --tls-cert to be set"],
    [["-H", "novalue"], "Header novalue must be of the form Header: value"],
    [["-H", ": v"], "Header : v must have a non-empty name"],
    [["-H", "bad", "--tls-key", "k"], "--tls-key requires --tls-cert to be set"],
    [["-H", "bad", "70000"], "Header bad must be of the form Header: value"],
    [["70000", "--tls-key", "k"], "--tls-key requires --tls-cert to be set"],
  ])("%j: %s", (argv, message) => {
    const io = fixtureIO(fixture);
    expect(parseCliArgs(argv, io)).toEqual({ exitCode: 2 });
    expect(io.err).toBe(error(message));
  });

  it("does not read the password file when --tls-cert is missing", () => {
    const io = fixtureIO(fixture);
    parseCliArgs(["--tls-password-file", "pw.txt"], io);
    expect(io.reads).toEqual([]);
  });

  it("returns the stripped password apart from the options", () => {
    const io = fixtureIO(fixture);
    const r = parseCliArgs(["--tls-cert", "c.pem", "--tls-password-file", "pw.txt"], io);
    expect(r).toMatchObject({ options: { tlsCert: "c.pem", tlsPasswordFile: "pw.txt" }, tlsPassword: "somepass" });
    expect(io.reads).toEqual(["pw.txt"]);
  });

  it("maps read errors to Python's [Errno N] strerror: 'path' (Linux numbers), as os.strerror() says", () => {
    for (const [code, [num, text]] of Object.entries(fixture.errno)) {
      const io: CliIO & { err: string } = {
        ...fixtureIO(fixture),
        err: "",
        stderr(t: string) {
          io.err += t;
        },
        readFile(path: string): Uint8Array {
          throw fsError(code, path);
        },
      };
      expect(parseCliArgs(["--tls-cert", "c", "--tls-password-file", "/etc/pw"], io)).toEqual({ exitCode: 2 });
      expect(io.err).toBe(error(`Failed to read TLS password file: [Errno ${num}] ${text}: '/etc/pw'`));
    }
  });

  it("falls back to the error's own message for an unknown code", () => {
    for (const thrown of [fsError("EWEIRD", "pw"), new Error("disk on fire"), "a string"]) {
      const io = {
        ...fixtureIO(fixture),
        err: "",
        stderr(t: string) {
          io.err += t;
        },
        readFile(): Uint8Array {
          // eslint-disable-next-line @typescript-eslint/only-throw-error -- a thrown string is one of the cases
          throw thrown;
        },
      };
      parseCliArgs(["--tls-cert", "c", "--tls-password-file", "pw"], io);
      const message = thrown instanceof Error ? thrown.message : thrown;
      expect(io.err).toBe(error(`Failed to read TLS password file: ${message}`));
    }
  });

  it("reports a password file that is not UTF-8 as a usage error (CPython: traceback, exit 1)", () => {
    const io = {
      ...fixtureIO(fixture),
      err: "",
      stderr: (t: string) => void (io.err += t),
      readFile: () => new Uint8Array([0x70, 0xff, 0x0a]),
    };
    expect(parseCliArgs(["--tls-cert", "c", "--tls-password-file", "pw.bin"], io)).toEqual({ exitCode: 2 });
    expect(io.err).toBe(error("Failed to read TLS password file: 'utf-8' codec can't decode 'pw.bin': invalid UTF-8"));
  });
});

describe("runtime neutrality", () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it("never writes to process.stdout/stderr nor calls process.exit", () => {
    const write = vi.spyOn(process.stdout, "write");
    const writeErr = vi.spyOn(process.stderr, "write");
    const exit = vi.spyOn(process, "exit").mockImplementation(() => {
      throw new Error("process.exit called");
    });
    for (const argv of [["-h"], ["abc"], ["--tls-key", "k"], ["-H", "x"], ["70000"], []]) {
      parseCliArgs(argv, fixtureIO(fixture));
    }
    expect(write).not.toHaveBeenCalled();
    expect(writeErr).not.toHaveBeenCalled();
    expect(exit).not.toHaveBeenCalled();
  });

  it("ignores COLUMNS and colour settings: 80 columns, no escape codes", () => {
    vi.stubEnv("COLUMNS", "40");
    vi.stubEnv("FORCE_COLOR", "1");
    vi.stubEnv("PYTHON_COLORS", "1");
    const io = fixtureIO(fixture);
    parseCliArgs(["--help"], io);
    expect(io.out).toBe(caseOf("--help").stdout);
    const io2 = fixtureIO(fixture);
    parseCliArgs(["abc"], io2);
    expect(io2.err).toBe(caseOf("abc").stderr);
  });

  it("keeps no state between calls", () => {
    const first = runCase(fixture, ["-H", "A: 1", "--tls-cert", "c", "--tls-password-file", "pw.txt"]);
    runCase(fixture, ["-H", "B: 2", "9000"]);
    expect(runCase(fixture, ["-H", "A: 1", "--tls-cert", "c", "--tls-password-file", "pw.txt"])).toEqual(first);
  });
});

describe("the fixture", () => {
  it(`is what generate.py prints with CPython ${CPYTHON_VERSION}`, () => {
    const r = spawnSync(python(), [join(FIXTURE_DIR, "generate.py"), "--stdout"], {
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    // The fixture records the patch release; the pinned one must give the same cases.
    const fresh = JSON.parse(r.stdout) as Fixture;
    expect(fresh.cases).toEqual(fixture.cases);
    expect(fresh.errno).toEqual(fixture.errno);
    expect(fresh.files).toEqual(fixture.files);
  });
});

describe("--version", () => {
  it("is the version of every package manifest (package.json, deno.json)", () => {
    const manifests = [
      "core/package.json",
      "node/package.json",
      "bun/package.json",
      "deno/package.json",
      "core/deno.json",
      "deno/deno.json",
    ];
    for (const manifest of manifests) {
      const { version } = JSON.parse(readFileSync(join(FIXTURE_DIR, "..", "..", "..", "..", manifest), "utf8")) as { version: string };
      expect(version, manifest).toBe(VERSION);
    }
    const io = fixtureIO(fixture);
    expect(parseCliArgs(["--version"], io)).toEqual({ exitCode: 0 });
    expect(io.out).toBe(`httpserver ${VERSION}\n`);
  });
});
