/**
 * The packages as a user gets them: `pnpm pack` of @httpserver/core, /node and /bun, installed
 * from the tarballs into empty projects outside the workspace (npm for Node, `bun install` for
 * Bun), then the `httpserver` command and a small TypeScript program importing the package; the
 * Deno packages through a user's script that links them (`deno.json` `links`); and the single
 * binary built with `bun build --compile`, run with no runtime on PATH (also with `--workers 2`).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ROOT, runtimeBinary } from "./support/runtimes.js";

const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, "packages/core/package.json"), "utf8")) as { version: string }).version;
const TSC = path.join(ROOT, "node_modules/typescript/bin/tsc");
const APP = (pkg: string) => `import { SimpleHTTPRequestHandler, ThreadingHTTPServer, VERSION } from "${pkg}";
const httpd = new ThreadingHTTPServer(["127.0.0.1", 0], SimpleHTTPRequestHandler);
await httpd.ready;
console.log(\`LISTENING \${httpd.serverPort} \${VERSION}\`);
await httpd.serverClose();
`;

let base: string;
const packs: Record<string, string> = {};

/** Runs a command to its end; throws with its output when it fails. */
function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): string {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, ...env }, timeout: 300_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** pnpm: the one running this suite, else through npx. */
function pnpm(args: string[], cwd: string): string {
  const execpath = process.env.npm_execpath;
  return execpath && /pnpm/.test(execpath)
    ? run(process.execPath, [execpath, ...args], cwd)
    : run("npx", ["-y", "pnpm@10.34.8", ...args], cwd);
}

/** Starts a server command; resolves with its port once it printed its startup line. */
function serve(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no startup line from ${cmd}: ${out}`)), 20_000);
    const onData = (s: string) => {
      out += s;
      const m = /port (\d+) \(/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve({ port: Number(m[1]), child });
      }
    };
    child.stdout.setEncoding("utf8").on("data", onData);
    child.stderr.setEncoding("utf8").on("data", onData);
    child.on("exit", (code) => reject(new Error(`${cmd} exited (${code}): ${out}`)));
  });
}

/** Stops a server started by {@link serve} and resolves with its exit code. */
function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once("exit", (code) => resolve(code));
    child.kill("SIGTERM");
  });
}

beforeAll(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), "httpserver-packaging-"));
  fs.mkdirSync(path.join(base, "packs"));
  for (const name of ["core", "node", "bun"]) {
    const out = pnpm(["pack", "--pack-destination", path.join(base, "packs")], path.join(ROOT, "packages", name));
    packs[name] = out.trim().split("\n").pop()!.trim();
  }
  fs.mkdirSync(path.join(base, "site"));
  fs.writeFileSync(path.join(base, "site", "hello.txt"), "hello from a packed httpserver\n");
}, 300_000);
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

describe("npm tarballs", () => {
  test("hold built JavaScript, declarations, README, LICENSE and a manifest ready to publish; nothing from tests or benchmarks", () => {
    for (const [name, tarball] of Object.entries(packs)) {
      const files = run("tar", ["-tzf", tarball], base)
        .trim()
        .split("\n")
        .map((f) => f.replace(/^package\//, ""));
      expect(files, name).toEqual(expect.arrayContaining(["package.json", "README.md", "LICENSE"]));
      expect(
        files.filter((f) => /(^|\/)(test|tests|bench|fixtures)\//.test(f)),
        name,
      ).toEqual([]);
      const manifest = JSON.parse(run("tar", ["-xzOf", tarball, "package/package.json"], base)) as Record<string, unknown> & {
        exports: Record<string, Record<string, string> | string>;
        dependencies?: Record<string, string>;
        bin?: Record<string, string>;
      };
      expect(manifest.version, name).toBe(VERSION);
      for (const field of ["description", "keywords", "repository", "license", "engines", "sideEffects", "files"])
        expect(manifest[field], `${name}: ${field}`).toBeDefined();
      // Workspace ranges are replaced by the versions published alongside.
      for (const range of Object.values(manifest.dependencies ?? {})) expect(range, name).not.toMatch(/^workspace:/);
      // Every path the manifest names is in the tarball; conditions in the order resolvers need.
      for (const [subpath, target] of Object.entries(manifest.exports)) {
        const conditions = typeof target === "string" ? { default: target } : target;
        const order = Object.keys(conditions);
        const rank = (c: string) => ["bun", "deno", "types", "import", "default"].indexOf(c);
        expect(order, `${name} ${subpath}`).toEqual([...order].sort((a, b) => rank(a) - rank(b)));
        for (const file of Object.values(conditions)) expect(files, `${name} ${subpath}`).toContain(file.replace(/^\.\//, ""));
      }
      for (const file of Object.values(manifest.bin ?? {})) expect(files, name).toContain(file.replace(/^\.\//, ""));
    }
    const core = run("tar", ["-tzf", packs.core], base);
    expect(core).toMatch(/package\/dist\/index\.js\n/);
    expect(core).toMatch(/package\/dist\/index\.d\.ts\n/);
  });
});

describe("installed with npm (Node)", () => {
  let app: string;
  beforeAll(() => {
    app = path.join(base, "npm-app");
    fs.mkdirSync(app);
    fs.writeFileSync(
      path.join(app, "package.json"),
      JSON.stringify({
        name: "npm-app",
        private: true,
        type: "module",
        dependencies: { "@httpserver/core": `file:${packs.core}`, "@httpserver/node": `file:${packs.node}`, "@types/node": "^20.19.0" },
      }),
    );
    run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], app);
  }, 300_000);

  test("npx httpserver --version and --help", () => {
    expect(run("npx", ["httpserver", "--version"], app)).toBe(`httpserver ${VERSION}\n`);
    expect(run("npx", ["httpserver", "--help"], app)).toMatch(/^usage: httpserver \[-h\]/);
  });

  test("npx httpserver serves a directory", async () => {
    const { port, child } = await serve("npx", ["httpserver", "0", "-b", "127.0.0.1", "-d", path.join(base, "site")], app);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/hello.txt`);
      expect([res.status, await res.text()]).toEqual([200, "hello from a packed httpserver\n"]);
    } finally {
      await stop(child);
    }
  });

  test("a TypeScript program importing @httpserver/node type-checks with tsc and runs", () => {
    fs.writeFileSync(path.join(app, "app.ts"), APP("@httpserver/node"));
    fs.writeFileSync(
      path.join(app, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          types: ["node"],
        },
        files: ["app.ts"],
      }),
    );
    run(process.execPath, [TSC, "-p", "."], app);
    // Node 24 runs TypeScript by stripping the types (tests/support/global-setup.ts finds it).
    const node24 = process.env.HTTPSERVER_NODE24;
    if (node24 === undefined) throw new Error("HTTPSERVER_NODE24 is not set (tests/support/global-setup.ts)");
    expect(run(node24, ["app.ts"], app)).toMatch(new RegExp(`^LISTENING \\d+ ${VERSION.replace(/\./g, "\\.")}\\n$`));
  });
});

describe("installed with bun install (Bun)", () => {
  let app: string;
  /** A directory with `bun` in it, as on a Bun user's PATH (the package's binary is bun.exe). */
  let bunPath: string;
  beforeAll(() => {
    app = path.join(base, "bun-app");
    fs.mkdirSync(app);
    bunPath = path.join(base, "bun-bin");
    fs.mkdirSync(bunPath);
    fs.symlinkSync(runtimeBinary("bun"), path.join(bunPath, "bun"));
    // The adapter is the one dependency (its bin is the command); the packages it depends on
    // come from the tarballs too, as the registry does not have them.
    fs.writeFileSync(
      path.join(app, "package.json"),
      JSON.stringify({
        name: "bun-app",
        private: true,
        type: "module",
        dependencies: { "@httpserver/bun": `file:${packs.bun}` },
        overrides: { "@httpserver/core": `file:${packs.core}`, "@httpserver/node": `file:${packs.node}` },
      }),
    );
    run(runtimeBinary("bun"), ["install"], app);
  }, 300_000);

  test("bun x httpserver --version, and serving a directory", async () => {
    const env = { PATH: `${bunPath}${path.delimiter}${process.env.PATH}` };
    expect(run(runtimeBinary("bun"), ["x", "httpserver", "--version"], app, env)).toBe(`httpserver ${VERSION}\n`);
    const { port, child } = await serve(
      runtimeBinary("bun"),
      ["x", "httpserver", "0", "-b", "127.0.0.1", "-d", path.join(base, "site")],
      app,
      env,
    );
    try {
      const res = await fetch(`http://127.0.0.1:${port}/hello.txt`);
      expect(res.headers.get("Server")).toMatch(/ Bun\//);
      expect(await res.text()).toBe("hello from a packed httpserver\n");
    } finally {
      await stop(child);
    }
  });

  test("bun run app.ts importing @httpserver/bun", () => {
    fs.writeFileSync(path.join(app, "app.ts"), APP("@httpserver/bun"));
    expect(run(runtimeBinary("bun"), ["run", "app.ts"], app)).toMatch(/^LISTENING \d+ /);
  });
});

describe("Deno", () => {
  test("deno publish --dry-run of the workspace passes with no warning", () => {
    const r = spawnSync(runtimeBinary("deno"), ["publish", "--dry-run", "--allow-dirty"], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
    });
    expect(r.status, r.stderr).toBe(0);
    const output = r.stdout + r.stderr;
    expect(output).toContain("Simulating publish of @httpserver/core@");
    expect(output).toContain("Simulating publish of @httpserver/deno@");
    expect(output).not.toMatch(/warning/i);
  });

  test("a user's script outside the repository imports jsr:@httpserver/deno (linked) and runs with --allow-net --allow-read=.", () => {
    const app = path.join(base, "deno-app");
    fs.mkdirSync(app);
    fs.writeFileSync(
      path.join(app, "deno.json"),
      JSON.stringify({ links: [path.join(ROOT, "packages/core"), path.join(ROOT, "packages/deno")] }),
    );
    fs.writeFileSync(path.join(app, "app.ts"), APP(`jsr:@httpserver/deno@^${VERSION}`));
    expect(run(runtimeBinary("deno"), ["run", "--allow-net", "--allow-read=.", "app.ts"], app)).toMatch(/^LISTENING \d+ /);
  });
});

describe("the single binary (bun build --compile)", () => {
  test("pnpm build:binary makes dist/httpserver, which serves with no Node, Bun or Deno on PATH", async () => {
    pnpm(["build:binary"], ROOT);
    const binary = path.join(ROOT, "dist", "httpserver");
    expect(fs.statSync(binary).size).toBeGreaterThan(1 << 20);
    const empty = path.join(base, "no-runtimes");
    fs.mkdirSync(empty);
    const env = { PATH: empty };
    expect(run(binary, ["--version"], base, env)).toBe(`httpserver ${VERSION}\n`);
    const { port, child } = await serve(binary, ["0", "-b", "127.0.0.1"], path.join(base, "site"), env);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/hello.txt`);
      expect(await res.text()).toBe("hello from a packed httpserver\n");
    } finally {
      expect(await stop(child)).toBe(0);
    }
    // --workers: the binary runs itself again in each worker.
    const workers = await serve(binary, ["--workers", "2", "0", "-b", "127.0.0.1"], path.join(base, "site"), env);
    try {
      for (let i = 0; i < 6; i++) {
        const res = await fetch(`http://127.0.0.1:${workers.port}/hello.txt`);
        expect(await res.text()).toBe("hello from a packed httpserver\n");
      }
    } finally {
      expect(await stop(workers.child)).toBe(0);
    }
  }, 120_000);
});
