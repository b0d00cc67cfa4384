// Load from wrk: one client thread (the server gets the other core), 64 keep-alive connections.
import { spawn } from "node:child_process";

function parseCount(text) {
  const m = /^([\d.]+)([kMG]?)$/.exec(text);
  if (m === null) return NaN;
  return Number(m[1]) * { "": 1, k: 1e3, M: 1e6, G: 1e9 }[m[2]];
}

/**
 * Runs `wrk -t1 -c<connections> -d<seconds>s [-H <header>…] <url>` and resolves with `{ rps,
 * requests, errors, non2xx }`: requests per second over the run, socket errors (connect, read,
 * write, timeout) and responses that were not 2xx/3xx.
 */
export function runWrk(wrk, url, { seconds, connections = 64, headers = [] }) {
  return new Promise((resolve, reject) => {
    const args = ["-t1", `-c${connections}`, `-d${seconds}s`, "--timeout", "10s", ...headers.flatMap((h) => ["-H", h]), url];
    const child = spawn(wrk, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (s) => (out += s));
    child.stderr.setEncoding("utf8").on("data", (s) => (out += s));
    child.on("error", reject);
    child.on("exit", (code) => {
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
      const requests = /(\d+) requests in/.exec(out);
      if (code !== 0 || rps === null) {
        reject(new Error(`wrk ${args.join(" ")} failed (${code}):\n${out}`));
        return;
      }
      const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
      resolve({
        rps: Number(rps[1]),
        requests: parseCount(requests?.[1] ?? "NaN"),
        errors: socket === null ? 0 : socket.slice(1).reduce((n, x) => n + Number(x), 0),
        non2xx: non2xx === null ? 0 : Number(non2xx[1]),
      });
    });
  });
}
