/**
 * The Deno implementation of `@httpserver/core`'s {@link Platform}: `Deno.listen` connections read
 * with `read()` and written with `write()` (4× faster than their web streams for small messages),
 * `Deno.open`/`stat`/`lstat`/`readDir` files, `Deno.Command` processes, timers, signals and the
 * standard streams.
 * @module
 */

import * as crypto from "node:crypto";
import { accessSync, constants } from "node:fs";
import type {
  Address,
  DirEntry,
  FileHandle,
  FileStat,
  FileSystem,
  ListenOptions,
  Listener,
  Platform,
  Socket,
  SocketEvents,
  SpawnOptions,
  Subprocess,
  TLSListenOptions,
  Timer,
} from "@httpserver/core";
import { acceptBackoff, allocBytes, checkTLSConfig, descriptorLimitFromProcLimits, readableChunks } from "@httpserver/core";

/** Bytes queued before `write` reports backpressure. */
const HIGH_WATER_MARK = 64 * 1024;
/**
 * Size of the buffer each `read()` fills. Every connection holds one while it waits for bytes, so
 * this bounds the memory of idle connections (1,000 of them: 16 MiB).
 */
const READ_SIZE = 16 * 1024;
/** Queued chunks smaller than this in total are joined into one `write()`. */
const COALESCE_LIMIT = 64 * 1024;

function hostOf(addr: Deno.Addr): Address {
  return addr.transport === "tcp" || addr.transport === "udp" ? [addr.hostname, addr.port] : ["", 0];
}

/** A `Deno.Conn` behind the core's {@link Socket} interface. */
class DenoConnection implements Socket {
  readonly remoteAddress: Address;
  readonly localAddress: Address;
  readonly #conn: Deno.Conn;
  #events: SocketEvents | null = null;
  #paused = false;
  #resume: (() => void) | null = null;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #writing = false;
  #ending = false;
  #closed = false;
  #overHighWater = false;

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
    this.remoteAddress = hostOf(conn.remoteAddr);
    this.localAddress = hostOf(conn.localAddr);
    try {
      (conn as Deno.TcpConn).setNoDelay?.(true);
    } catch {
      // not a TCP connection
    }
  }

  get bufferedAmount(): number {
    return this.#queued;
  }

  start(events: SocketEvents): void {
    this.#events = events;
    void this.#readLoop(events);
  }

  async #readLoop(events: SocketEvents): Promise<void> {
    const buffer = new Uint8Array(READ_SIZE);
    try {
      for (;;) {
        if (this.#paused) await new Promise<void>((resolve) => (this.#resume = resolve));
        const n = await this.#conn.read(buffer);
        if (n === null) break;
        // The buffer is reused by the next read: hand over a copy, carved from a shared slab
        // when small (a new ArrayBuffer per request costs more than the copy).
        const chunk = allocBytes(n);
        chunk.set(buffer.subarray(0, n));
        events.data(chunk);
      }
      if (!this.#closed) events.end();
    } catch {
      this.#close();
    }
  }

  write(chunk: Uint8Array): boolean {
    if (this.#closed || this.#ending) return false;
    this.#queue.push(chunk);
    this.#queued += chunk.length;
    if (!this.#writing) {
      this.#writing = true;
      // Writes of one tick (status line, fields, body) leave in one write().
      queueMicrotask(() => void this.#flush());
    }
    const ok = this.#queued < HIGH_WATER_MARK;
    if (!ok) this.#overHighWater = true;
    return ok;
  }

  async #flush(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        let chunk: Uint8Array;
        if (this.#queue.length > 1 && this.#queued <= COALESCE_LIMIT) {
          chunk = new Uint8Array(this.#queued);
          let at = 0;
          for (const part of this.#queue) {
            chunk.set(part, at);
            at += part.length;
          }
          this.#queue = [chunk];
        } else {
          chunk = this.#queue[0];
        }
        let written = 0;
        while (written < chunk.length) {
          const n = await this.#conn.write(chunk.subarray(written));
          written += n;
          // Counted as it goes: a slow reader of a large chunk is still making progress.
          this.#queued -= n;
        }
        this.#queue.shift();
        if (this.#overHighWater && this.#queued < HIGH_WATER_MARK) {
          this.#overHighWater = false;
          this.#events?.drain();
        }
      }
      this.#writing = false;
      if (this.#ending) await this.#conn.closeWrite();
    } catch {
      this.#writing = false;
      this.#close();
    }
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    const resume = this.#resume;
    this.#resume = null;
    resume?.();
  }

  end(): void {
    if (this.#closed || this.#ending) return;
    this.#ending = true;
    if (!this.#writing) this.#conn.closeWrite().catch(() => this.#close());
  }

  destroy(): void {
    this.#close();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#queued = 0;
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
    this.resume();
    const events = this.#events;
    if (events !== null) queueMicrotask(events.close);
  }
}

/**
 * Completes one TLS handshake, bounded by the timeout, then hands the connection over; runs for
 * each connection on its own, so a stalled handshake delays no one else.
 */
async function handshake(conn: Deno.TlsConn, options: TLSListenOptions, onConnection: (socket: Socket) => void) {
  const address = hostOf(conn.remoteAddr);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      conn.close();
    } catch {
      // already closed
    }
    options.onHandshakeError(address, Object.assign(new Error("handshake timed out"), { code: "ERR_TLS_HANDSHAKE_TIMEOUT" }));
  }, options.handshakeTimeoutMs) as unknown as number;
  Deno.unrefTimer(timer);
  try {
    await conn.handshake();
  } catch (error) {
    clearTimeout(timer);
    if (timedOut) return;
    try {
      conn.close();
    } catch {
      // already closed
    }
    // The client closed before finishing: not worth a log line (as ECONNRESET elsewhere).
    if (error instanceof Deno.errors.UnexpectedEof || error instanceof Deno.errors.ConnectionReset) return;
    const message = error instanceof Error ? error.message : String(error);
    options.onHandshakeError(address, Object.assign(new Error(message), { code: (error as Error).name }));
    return;
  }
  clearTimeout(timer);
  if (!timedOut) onConnection(new DenoConnection(conn));
}

/** `Deno.listenTls` takes no passphrase: an encrypted key is decrypted to PKCS#8 first. */
function plainKey(options: TLSListenOptions): string {
  if (options.passphrase === undefined) return options.key;
  return crypto
    .createPrivateKey({ key: options.key, passphrase: options.passphrase, format: "pem" })
    .export({ type: "pkcs8", format: "pem" }) as string;
}

async function listen(options: ListenOptions, onConnection: (socket: Socket) => void): Promise<Listener> {
  const wildcard = options.host === "" || options.host === "::";
  const tls = options.tls;
  if (tls !== undefined) checkTLSConfig(tls, crypto);
  const open = (hostname: string): Deno.Listener =>
    tls === undefined
      ? Deno.listen({ hostname, port: options.port, tcpBacklog: options.backlog })
      : Deno.listenTls({
          hostname,
          port: options.port,
          tcpBacklog: options.backlog,
          cert: tls.cert,
          key: plainKey(tls),
          alpnProtocols: tls.alpnProtocols.length > 0 ? tls.alpnProtocols : undefined,
        });
  let listener: Deno.Listener;
  try {
    listener = open(wildcard ? "::" : options.host);
  } catch (error) {
    if (!wildcard || !(error instanceof Deno.errors.AddrNotAvailable)) throw error;
    listener = open("0.0.0.0");
  }
  let closed = false;
  // Not `for await (… of listener)`: its iterator ends for good on the first failed accept (a
  // client that reset first: ENOTCONN; no descriptor left: EMFILE). Only close() ends this loop.
  const accept = async () => {
    let delay = 0;
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (closed) return;
        const code = (error as { code?: string }).code;
        // "Too many open files (os error 24)": the code says the rest.
        const message = error instanceof Error ? error.message.replace(/ \(os error \d+\)$/, "") : String(error);
        options.onAcceptError(Object.assign(new Error(message, { cause: error }), { code }));
        // The listener itself is gone: nothing left to accept from.
        if (error instanceof Deno.errors.BadResource) return;
        delay = acceptBackoff(delay, code);
        if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
        continue;
      }
      delay = 0;
      if (tls === undefined) onConnection(new DenoConnection(conn));
      else void handshake(conn as Deno.TlsConn, tls, onConnection);
    }
  };
  void accept();
  return {
    address: hostOf(listener.addr),
    close: async () => {
      closed = true;
      try {
        listener.close();
      } catch {
        // already closed
      }
    },
  };
}

function toStat(info: Deno.FileInfo): FileStat {
  return {
    isFile: info.isFile,
    isDirectory: info.isDirectory,
    isSymbolicLink: info.isSymlink,
    size: info.size,
    mtimeMs: info.mtime?.getTime() ?? 0,
    mode: info.mode ?? 0,
  };
}

/** Reads up to this many bytes synchronously; larger reads are asynchronous. */
const SYNC_READ_BYTES = 64 * 1024;

/**
 * An open `Deno.FsFile`, read at offsets with `seek` + `read`. `stat`, `close` and reads up to
 * {@link SYNC_READ_BYTES} are synchronous (see {@link fileSystem}).
 */
class DenoFileHandle implements FileHandle {
  readonly #file: Deno.FsFile;
  #position = 0;
  constructor(file: Deno.FsFile) {
    this.#file = file;
  }
  async stat(): Promise<FileStat> {
    return toStat(this.#file.statSync());
  }
  async read(position: number, length: number): Promise<Uint8Array> {
    const sync = length <= SYNC_READ_BYTES;
    if (position !== this.#position) {
      if (sync) this.#file.seekSync(position, Deno.SeekMode.Start);
      else await this.#file.seek(position, Deno.SeekMode.Start);
      this.#position = position;
    }
    const buffer = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      const n = sync ? this.#file.readSync(buffer.subarray(filled)) : await this.#file.read(buffer.subarray(filled));
      if (n === null || n === 0) break;
      filled += n;
    }
    this.#position += filled;
    return filled === length ? buffer : buffer.subarray(0, filled);
  }
  async close(): Promise<void> {
    this.#file.close();
  }
}

/** True if the permission is granted (never prompts). */
const granted = (descriptor: Deno.PermissionDescriptor) => Deno.permissions.querySync(descriptor).state === "granted";

/**
 * `Deno.*` file calls behind the core's {@link FileSystem}. `stat`, `lstat`, `fstat`,
 * `close` and reads up to {@link SYNC_READ_BYTES} are synchronous: on a local file system they
 * take a few microseconds, against ~20 µs for each asynchronous op (measured: `Deno.stat` 20 µs,
 * `Deno.statSync` 4 µs), and so is `scandir`. `open` and larger reads stay asynchronous.
 */
const fileSystem: FileSystem = {
  stat: async (path) => toStat(Deno.statSync(path)),
  lstat: async (path) => toStat(Deno.lstatSync(path)),
  // Synchronous too: Deno.readDir's async iterator costs an op per entry on the JS thread (4.2 ms
  // for 1,000 entries, against 1.2 ms for readDirSync).
  scandir: async (path) => {
    const entries: DirEntry[] = [];
    for (const entry of Deno.readDirSync(path)) {
      entries.push({ name: entry.name, isDirectory: entry.isDirectory, isSymbolicLink: entry.isSymlink });
    }
    return entries;
  },
  // Asynchronous: Deno.OpenOptions has no O_NONBLOCK, and a FIFO swapped in after the `stat`
  // would block the open.
  open: async (path) => new DenoFileHandle(await Deno.open(path, { read: true })),
  isExecutable: async (path) => {
    try {
      // Deno has no access(2); node:fs's answers for the process's real ids, which it may only
      // read with --allow-sys=uid,gid. Without, any execute bit counts (the spawn still checks).
      if (granted({ name: "sys", kind: "uid" }) && granted({ name: "sys", kind: "gid" })) {
        accessSync(path, constants.X_OK);
        return true;
      }
      return ((await Deno.stat(path)).mode ?? 0) & 0o111 ? true : false;
    } catch {
      return false;
    }
  },
  readFileSync: (path) => Deno.readFileSync(path),
};

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
async function spawn(options: SpawnOptions): Promise<Subprocess> {
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
      throw Object.assign(new Error((error as Error).message), { code: "ENOTCAPABLE" });
    }
    throw error;
  }
}

const encoder = new TextEncoder();

function writeAll(stream: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = encoder.encode(text);
  let written = 0;
  while (written < bytes.length) written += stream.writeSync(bytes.subarray(written));
}

/** The Deno platform. */
export const denoPlatform: Platform = {
  name: "Deno",
  version: Deno.version.deno,
  listen,
  fs: fileSystem,
  now: () => Date.now(),
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
  spawn,
  // Without the permission, as if unset (rather than prompt or fail).
  getenv: (name) => (granted({ name: "env", variable: name }) ? Deno.env.get(name) : undefined),
  processIds: () => {
    if (!granted({ name: "sys", kind: "uid" }) || !granted({ name: "sys", kind: "gid" })) return null;
    const uid = Deno.uid();
    const gid = Deno.gid();
    return uid === null || gid === null ? null : { uid, gid };
  },
};
