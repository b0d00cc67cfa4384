// Starting, probing and stopping server processes; their resident memory.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { setTimeout as sleep } from "node:timers/promises";

/** Server processes still running: killed if the benchmark itself is interrupted. */
const live = new Set();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/** A free TCP port on 127.0.0.1 (bound and released; the server binds it right after). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The resident set size of process `pid` in bytes (VmRSS), or null once it is gone. */
export function rss(pid) {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m === null ? null : Number(m[1]) * 1024;
  } catch {
    return null;
  }
}

/**
 * One HTTP/1.1 GET over a fresh connection (over TLS with `secure`, the certificate unchecked):
 * resolves with the status code, or rejects.
 */
export function probe(port, path, timeoutMs = 2000, secure = false) {
  return new Promise((resolve, reject) => {
    const socket = secure
      ? tlsConnect({ port, host: "127.0.0.1", rejectUnauthorized: false, ALPNProtocols: ["http/1.1"] })
      : connect(port, "127.0.0.1");
    let got = "";
    const timer = setTimeout(() => socket.destroy(new Error("probe timed out")), timeoutMs);
    socket.setEncoding("latin1");
    socket.on(secure ? "secureConnect" : "connect", () =>
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`),
    );
    socket.on("data", (s) => {
      got += s;
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(got);
      if (m !== null) {
        clearTimeout(timer);
        socket.destroy();
        resolve(Number(m[1]));
      }
    });
    socket.on("error", (e) => (clearTimeout(timer), reject(e)));
    socket.on("close", () => (clearTimeout(timer), reject(new Error("closed without an answer"))));
  });
}

/** Resolves with 200 once a TCP connection to `port` is accepted. */
function accepts(port) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    socket.on("connect", () => (socket.destroy(), resolve(200)));
    socket.on("error", reject);
  });
}

/**
 * Starts a server process. `spec`: `{ name, cmd, args, env?, cwd?, port?, path, quiet?, probe? }`
 * (`probe`: `"tls"` to probe over TLS, `"tcp"` to wait for the port only). With
 * `port` the server listens there; otherwise it prints `LISTENING <port>` (or `port <n>`) on
 * stdout. `quiet` sends its standard error to /dev/null (servers that log every request); else
 * the last few KiB are kept for error messages. Resolves once `GET path` answers 200.
 */
export async function startServer(spec) {
  const child = spawn(spec.cmd, spec.args, {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    stdio: ["ignore", spec.quiet && spec.port !== undefined ? "ignore" : "pipe", spec.quiet ? "ignore" : "pipe"],
    detached: false,
  });
  live.add(child);
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8").on("data", (s) => (out = (out + s).slice(-4096)));
  child.stderr?.setEncoding("utf8").on("data", (s) => (err = (err + s).slice(-4096)));
  const exited = new Promise((resolve) =>
    child.on("exit", (code, signal) => {
      live.delete(child);
      resolve(code ?? signal);
    }),
  );
  child.on("error", (e) => (err += String(e)));
  const fail = (why) => {
    child.kill("SIGKILL");
    return new Error(
      `${spec.name}: ${why}\n  command: ${spec.cmd} ${spec.args.join(" ")}\n  stdout: ${out.trim()}\n  stderr: ${err.trim()}`,
    );
  };
  const deadline = Date.now() + 30_000;
  let port = spec.port ?? null;
  while (port === null) {
    const m = /(?:LISTENING|port) (\d+)/.exec(out);
    if (m !== null) port = Number(m[1]);
    else if (child.exitCode !== null || child.signalCode !== null) throw fail("exited before listening");
    else if (Date.now() > deadline) throw fail("did not report its port within 30 s");
    else await sleep(50);
  }
  for (;;) {
    let status = null;
    let why = "";
    try {
      // `probe: "tcp"`: a server that speaks no HTTP/1 there (nginx's h2c) is ready once it accepts.
      status = spec.probe === "tcp" ? await accepts(port) : await probe(port, spec.path, 2000, spec.probe === "tls");
    } catch (error) {
      why = error.message;
    }
    if (status === 200) break;
    if (status !== null) throw fail(`GET ${spec.path} answered ${status}`);
    if (child.exitCode !== null || child.signalCode !== null) throw fail("exited");
    if (Date.now() > deadline) throw fail(`not answering on port ${port}: ${why}`);
    await sleep(100);
  }
  return {
    name: spec.name,
    port,
    pid: child.pid,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    stderr: () => err,
    /** The exit code or signal once the process has ended, else `null`. */
    exit: () => child.exitCode ?? child.signalCode,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** Runs `fn(server)` with `spec` started, stopping the server afterwards. */
export async function withServer(spec, fn) {
  const server = await startServer(spec);
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}
