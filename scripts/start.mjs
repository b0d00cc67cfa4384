// `pnpm start [options] [port]` (Node), `pnpm start:bun …`, `pnpm start:deno …`: the `httpserver`
// command serving the directory pnpm was started from (INIT_CWD) rather than the repository,
// with relative paths (-d, --tls-cert …) taken from there too. A leading `--` (`pnpm start --
// -p HTTP/1.1`) is dropped, as npm scripts conventionally pass one.
//
// Node runs the built command in this process, building first only when the sources changed.
// Bun and Deno run their sources with the pinned binaries themselves (not node_modules/.bin's
// wrappers, which die of Ctrl-C with 130 while the server exits 0, as Python's does); this
// process then only waits, and exits with the server's code.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT, build, buildIsStale } from "./build.mjs";

const args = process.argv.slice(2);
let runtime = "node";
if (args[0]?.startsWith("--runtime=")) runtime = args.shift().slice("--runtime=".length);
if (args[0] === "--") args.shift();
const cwd = process.env.INIT_CWD ?? process.cwd();

if (runtime === "node") {
  if (buildIsStale()) {
    console.error("httpserver: building …");
    build();
  }
  process.chdir(cwd);
  // The command's own script as argv[1]: --workers runs it again in each worker (node:cluster).
  const cli = join(ROOT, "packages/node/dist/cli.js");
  process.argv = [process.argv[0], cli, ...args];
  await import(pathToFileURL(cli).href);
} else {
  const require = createRequire(join(ROOT, "package.json"));
  const [cmd, argv] =
    runtime === "bun"
      ? [join(dirname(require.resolve("bun/package.json")), "bin", "bun.exe"), [join(ROOT, "packages/bun/src/cli.ts")]]
      : [
          join(dirname(require.resolve("deno/package.json")), "deno"),
          // What serving, CGI and --workers need (README, "The command line"); the workspace's deno.json
          // resolves @httpserver/core from any working directory.
          [
            "run",
            "--allow-net",
            "--allow-read",
            "--allow-run",
            "--allow-env=PATH",
            "--allow-sys=hostname,uid,gid",
            "--unstable-net",
            "--config",
            join(ROOT, "deno.json"),
            join(ROOT, "packages/deno/src/cli.ts"),
          ],
        ];
  const child = spawn(cmd, [...argv, ...args], { cwd, stdio: "inherit" });
  // Ctrl-C reaches the server from the terminal; SIGTERM sent to this process is passed on.
  process.on("SIGINT", () => {});
  process.on("SIGTERM", () => child.kill("SIGTERM"));
  child.on("exit", (code, signal) => process.exit(code ?? (signal === "SIGINT" ? 130 : 1)));
}
