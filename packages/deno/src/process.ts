/**
 * The parts of the core's {@link Platform} that come from Deno's process APIs: clock, timers,
 * standard streams, signals, environment, ids, and `Deno.Command` processes (for CGI).
 * @module
 */

import { setImmediate } from "node:timers";
import {
  type Platform,
  type SpawnOptions,
  type Subprocess,
  type Timer,
  descriptorLimitFromProcLimits,
  readableChunks,
} from "@httpserver/core/platform";

/** True if the permission is granted (never prompts). */
export const granted = (descriptor: Deno.PermissionDescriptor): boolean => Deno.permissions.querySync(descriptor).state === "granted";

/** A `Deno.ChildProcess` behind the core's {@link Subprocess} interface. */
class DenoSubprocess implements Subprocess {
  readonly pid: number;
  readonly stdout: AsyncIterable<Uint8Array>;
  readonly stderr: AsyncIterable<Uint8Array>;
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #done = false;

  constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.pid = child.pid;
    this.stdout = readableChunks(child.stdout);
    this.stderr = readableChunks(child.stderr);
    this.#stdin = child.stdin.getWriter();
    this.exited = child.status.then((status) => {
      this.#done = true;
      return status.signal === null ? { code: status.code, signal: null } : { code: null, signal: status.signal };
    });
  }

  async writeStdin(chunk: Uint8Array): Promise<void> {
    try {
      await this.#stdin.write(chunk);
    } catch {
      // the process closed its input or exited
    }
  }

  async closeStdin(): Promise<void> {
    try {
      await this.#stdin.close();
    } catch {
      // already closed
    }
  }

  kill(): void {
    if (this.#done) return;
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // it has just ended
    }
  }
}

/** Needs `--allow-run`; throws synchronously when the process cannot be started. */
export async function spawn(options: SpawnOptions): Promise<Subprocess> {
  try {
    const child = new Deno.Command(options.file, {
      args: options.args,
      env: options.env,
      // Deno merges `env` into the server's environment unless told not to.
      clearEnv: true,
      cwd: options.cwd,
      uid: options.uid,
      gid: options.gid,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    return new DenoSubprocess(child);
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) {
      // "Requires run access to "/srv/cgi-bin/x.sh", run again with the --allow-run flag"
      throw Object.assign(new Error(error.message), { code: "ENOTCAPABLE" });
    }
    throw error;
  }
}

const encoder = new TextEncoder();

/** Writes all of `text` (a `writeSync` may take part of it). */
function writeAll(stream: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = encoder.encode(text);
  let written = 0;
  while (written < bytes.length) written += stream.writeSync(bytes.subarray(written));
}

/** The process services of the Deno platform. */
export const processServices: Pick<
  Platform,
  "now" | "defer" | "setTimer" | "stderr" | "stdout" | "hostname" | "descriptorLimit" | "cwd" | "onSignal" | "getenv" | "processIds"
> = {
  now: () => Date.now(),
  defer: (fn) => void setImmediate(fn),
  setTimer(ms: number, fn: () => void): Timer {
    // A number in Deno (the node types in scope for `node:fs` describe Node's Timeout).
    const id = setTimeout(fn, ms) as unknown as number;
    Deno.unrefTimer(id);
    return { cancel: () => clearTimeout(id) };
  },
  stderr: (text) => writeAll(Deno.stderr, text),
  stdout: (text) => writeAll(Deno.stdout, text),
  hostname: () =>
    // Without --allow-sys=hostname, fall back rather than prompt or fail.
    Deno.permissions.querySync({ name: "sys", kind: "hostname" }).state === "granted" ? Deno.hostname() : "localhost",
  descriptorLimit: () => {
    // Without read access to it, unknown (rather than prompt or fail).
    if (!granted({ name: "read", path: "/proc/self/limits" })) return null;
    try {
      return descriptorLimitFromProcLimits(Deno.readTextFileSync("/proc/self/limits"));
    } catch {
      return null; // not Linux
    }
  },
  cwd: () => Deno.cwd(),
  onSignal: (signal, handler) => Deno.addSignalListener(signal, handler),
  // Without the permission, as if unset (rather than prompt or fail).
  getenv: (name) => (granted({ name: "env", variable: name }) ? Deno.env.get(name) : undefined),
  processIds: () => {
    if (!granted({ name: "sys", kind: "uid" }) || !granted({ name: "sys", kind: "gid" })) return null;
    const uid = Deno.uid();
    const gid = Deno.gid();
    return uid === null || gid === null ? null : { uid, gid };
  },
};
