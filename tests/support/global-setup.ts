/**
 * Once per test run: finds the Node 24 binary (from the npm registry through `npx -p node@24`,
 * without shadowing the system `node`) for the `node24` runtime.
 */
import { execFileSync } from "node:child_process";

export default function setup(): void {
  if (process.env.HTTPSERVER_NODE24 !== undefined) return;
  const wanted = process.env.HTTPSERVER_RUNTIMES?.split(",").map((s) => s.trim());
  if (wanted !== undefined && !wanted.includes("node24")) return;
  const path = execFileSync("npx", ["-y", "-p", "node@24", "-c", "command -v node"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
    timeout: 180_000,
  })
    .trim()
    .split("\n")
    .pop()!;
  process.env.HTTPSERVER_NODE24 = path;
}
