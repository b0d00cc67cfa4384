/**
 * Test clients: raw TCP, curl, Python's http.client, and a minimal HTTP/1.x response reader for
 * raw bytes.
 */
import { spawn } from "node:child_process";
import * as net from "node:net";

/** What `EchoHandler` in tests/fixtures/handlers.ts answers, as JSON. */
export interface Echo {
  command: string;
  path: string;
  requestVersion: string;
  requestline: string;
  headers: [string, string][];
  body: string;
  trailers: string[];
}

/** Parses a JSON message body; `T` declares what the fixture that sent it writes (an {@link Echo} unless told). */
export function json<T = Echo>(body: Buffer | string): T {
  return JSON.parse(body.toString()) as T;
}

/** Sends `data` and collects everything until the server closes (or `timeoutMs`). */
export function rawExchange(
  port: number,
  data: string | Uint8Array,
  options: { host?: string; timeoutMs?: number; halfClose?: boolean } = {},
): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: options.host ?? "127.0.0.1", allowHalfOpen: true });
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ data: Buffer.concat(chunks), closed });
    };
    const timer = setTimeout(() => finish(false), options.timeoutMs ?? 5000);
    socket.on("data", (c) => chunks.push(c));
    socket.on("end", () => finish(true));
    socket.on("close", () => finish(true));
    // A reset closes the connection too (CPython resets plain HTTP sent to its HTTPS port).
    socket.on("error", (e: NodeJS.ErrnoException) => (chunks.length > 0 || e.code === "ECONNRESET" ? finish(true) : reject(e)));
    socket.write(data, () => {
      if (options.halfClose) socket.end();
    });
  });
}

/** An interactive raw TCP session. */
export class RawSession {
  readonly socket: net.Socket;
  #buffer = Buffer.alloc(0);
  #closed = false;
  #waiters = new Set<() => void>();

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on("data", (c) => {
      this.#buffer = Buffer.concat([this.#buffer, c]);
      this.#notify();
    });
    socket.on("close", () => {
      this.#closed = true;
      this.#notify();
    });
    socket.on("end", () => {
      this.#closed = true;
      this.#notify();
    });
    socket.on("error", () => {});
  }

  /** A session on an already connected socket (a `tls.TLSSocket` after its handshake, say). */
  static wrap(socket: net.Socket): RawSession {
    return new RawSession(socket);
  }

  static open(port: number, host = "127.0.0.1"): Promise<RawSession> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host, allowHalfOpen: true }, () => resolve(new RawSession(socket)));
      socket.once("error", reject);
    });
  }

  #notify(): void {
    for (const w of this.#waiters) w();
  }

  get closed(): boolean {
    return this.#closed;
  }

  send(data: string | Uint8Array): void {
    this.socket.write(data);
  }

  /** Bytes received and not yet taken. */
  get buffered(): Buffer {
    return this.#buffer;
  }

  /** Waits until `predicate(buffer)` returns a byte count to take (or the timeout), and takes it. */
  take(predicate: (buf: Buffer) => number | null, timeoutMs = 5000): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const n = predicate(this.#buffer);
        if (n !== null) {
          cleanup();
          const out = this.#buffer.subarray(0, n);
          this.#buffer = this.#buffer.subarray(n);
          resolve(out);
        } else if (this.#closed) {
          cleanup();
          reject(new Error(`connection closed; received so far: ${JSON.stringify(this.#buffer.toString("latin1"))}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out; received so far: ${JSON.stringify(this.#buffer.toString("latin1"))}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** Reads one complete response (framed by Content-Length, or none for 1xx/204/304/HEAD). */
  async response(options: { head?: boolean; timeoutMs?: number } = {}): Promise<ParsedResponse> {
    const raw = await this.take((buf) => responseLength(buf, options.head ?? false), options.timeoutMs);
    return parseResponse(raw, options.head ?? false);
  }

  /** Resolves true if the server closes the connection within `timeoutMs`. */
  waitClosed(timeoutMs = 5000): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.#closed) return resolve(true);
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        resolve(false);
      }, timeoutMs);
      const check = () => {
        if (this.#closed) {
          clearTimeout(timer);
          this.#waiters.delete(check);
          resolve(true);
        }
      };
      this.#waiters.add(check);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A response read from raw bytes. */
export interface ParsedResponse {
  version: string;
  status: number;
  reason: string;
  /** Field lines in order, names as sent. */
  headers: [string, string][];
  body: Buffer;
  /** The raw bytes of the whole response. */
  raw: Buffer;
  header(name: string): string | undefined;
}

/** Length of the first complete response in `buf`, or null if incomplete. */
export function responseLength(buf: Buffer, head = false): number | null {
  const end = buf.indexOf("\r\n\r\n");
  if (end < 0) return null;
  const text = buf.subarray(0, end).toString("latin1");
  const status = Number(text.split(" ")[1]);
  if (head || (status >= 100 && status < 200) || status === 204 || status === 304) return end + 4;
  const m = /\r\ncontent-length:\s*(\d+)/i.exec(text);
  if (m === null) return null;
  const total = end + 4 + Number(m[1]);
  return buf.length >= total ? total : null;
}

/** Parses one response (status line, fields, body by Content-Length or to the end). */
export function parseResponse(raw: Buffer, head = false): ParsedResponse {
  const end = raw.indexOf("\r\n\r\n");
  if (end < 0) throw new Error(`no response head in ${JSON.stringify(raw.toString("latin1"))}`);
  const lines = raw.subarray(0, end).toString("latin1").split("\r\n");
  const [version, code, ...reason] = lines[0].split(" ");
  const headers = lines.slice(1).map((l) => {
    const i = l.indexOf(":");
    return [l.slice(0, i), l.slice(i + 1).trim()] as [string, string];
  });
  const cl = headers.find(([n]) => n.toLowerCase() === "content-length");
  const bodyStart = end + 4;
  const body = head ? Buffer.alloc(0) : cl ? raw.subarray(bodyStart, bodyStart + Number(cl[1])) : raw.subarray(bodyStart);
  return {
    version,
    status: Number(code),
    reason: reason.join(" "),
    headers,
    body,
    raw,
    header: (name) => headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1],
  };
}

/** Splits raw bytes holding several responses (each with Content-Length or no body). */
export function parseResponses(raw: Buffer): ParsedResponse[] {
  const out: ParsedResponse[] = [];
  let rest = raw;
  while (rest.length > 0) {
    const n = responseLength(rest);
    if (n === null) {
      out.push(parseResponse(rest));
      break;
    }
    out.push(parseResponse(rest.subarray(0, n)));
    rest = rest.subarray(n);
  }
  return out;
}

/** Runs a command; resolves with its output and exit code. */
export function run(
  cmd: string,
  args: string[],
  options: { input?: string | Buffer; timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, ...options.env } });
    const out: Buffer[] = [];
    let err = "";
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (err += s));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 20_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: err });
    });
    // A command that exits without reading its input (mkfifo, curl) must not fail the write.
    child.stdin.on("error", () => {});
    child.stdin.end(options.input ?? "");
  });
}

/** Runs `curl` with `args`; `-s` is added. */
export function curl(args: string[], timeoutMs = 20_000) {
  return run("curl", ["-s", ...args], { timeoutMs });
}

/** Runs a Python 3 snippet (Python's http.client is the client under test). */
export function python(script: string, timeoutMs = 20_000) {
  return run("python3", ["-c", script], { timeoutMs });
}
