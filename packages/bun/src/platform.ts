/**
 * The Bun implementation of `@httpserver/core`'s {@link Platform}: `Bun.listen` sockets,
 * `Bun.file` reads, timers and the standard streams.
 * @module
 */

import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import type {
  Address,
  FileHandle,
  FileStat,
  FileSystem,
  ListenOptions,
  Listener,
  Platform,
  Socket,
  SocketEvents,
  Timer,
} from "@httpserver/core";
import type { Socket as BunSocket, SocketHandler } from "bun";

/** Bytes queued in JavaScript before `write` reports backpressure. */
const HIGH_WATER_MARK = 64 * 1024;

/**
 * A `Bun.listen` socket behind the core's {@link Socket} interface. Bun's `write` sends what the
 * kernel takes at once and returns the count (0 when full, -1 when closed), so unsent bytes wait in
 * a queue here until `drain`. Events that arrive before {@link start} are held back.
 */
class BunConnection implements Socket {
  readonly remoteAddress: Address;
  readonly localAddress: Address;
  readonly #socket: BunSocket<BunConnection>;
  #events: SocketEvents | null = null;
  #early: Uint8Array[] = [];
  #earlyEnd = false;
  #closed = false;
  #ending = false;
  #queue: Uint8Array[] = [];
  #queued = 0;

  constructor(socket: BunSocket<BunConnection>) {
    this.#socket = socket;
    this.remoteAddress = [socket.remoteAddress, socket.remotePort];
    this.localAddress = [socket.localAddress, socket.localPort];
  }

  /** Bun's `data` handler. */
  onData(data: Uint8Array): void {
    if (this.#events !== null) this.#events.data(data);
    else this.#early.push(data);
  }

  /** Bun's `end` handler: the peer sent FIN. */
  onEnd(): void {
    if (this.#events !== null) this.#events.end();
    else this.#earlyEnd = true;
  }

  /** Bun's `close` handler. */
  onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#queued = 0;
    this.#events?.close();
  }

  /** Bun's `drain` handler: the kernel takes bytes again. */
  onDrain(): void {
    const socket = this.#socket;
    while (this.#queue.length > 0) {
      const chunk = this.#queue[0];
      const n = socket.write(chunk);
      if (n < 0) return;
      this.#queued -= Math.max(n, 0);
      if (n < chunk.length) {
        this.#queue[0] = chunk.subarray(n);
        return;
      }
      this.#queue.shift();
    }
    if (this.#ending) socket.shutdown();
    this.#events?.drain();
  }

  start(events: SocketEvents): void {
    this.#events = events;
    for (const chunk of this.#early.splice(0)) events.data(chunk);
    if (this.#earlyEnd) events.end();
    if (this.#closed) queueMicrotask(events.close);
  }

  write(chunk: Uint8Array): boolean {
    if (this.#closed || this.#ending) return false;
    if (this.#queue.length === 0) {
      const n = this.#socket.write(chunk);
      if (n === chunk.length) return true;
      if (n < 0) return false;
      this.#queue.push(chunk.subarray(n));
      this.#queued += chunk.length - n;
    } else {
      this.#queue.push(chunk);
      this.#queued += chunk.length;
    }
    return this.#queued < HIGH_WATER_MARK;
  }

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  end(): void {
    if (this.#closed || this.#ending) return;
    this.#ending = true;
    // FIN once the queue is empty; reading continues (Bun 1.4: shutdown() without argument).
    if (this.#queue.length === 0) this.#socket.shutdown();
  }

  destroy(): void {
    if (this.#closed) return;
    this.#socket.terminate();
  }
}

const handlers: SocketHandler<BunConnection> = {
  data: (socket, data) => socket.data.onData(data),
  end: (socket) => socket.data.onEnd(),
  close: (socket) => socket.data.onClose(),
  drain: (socket) => socket.data.onDrain(),
  error: (socket) => socket.data?.onClose(),
};

async function listen(options: ListenOptions, onConnection: (socket: Socket) => void): Promise<Listener> {
  const wildcard = options.host === "" || options.host === "::";
  const open = (socket: BunSocket<BunConnection>) => {
    socket.data = new BunConnection(socket);
    onConnection(socket.data);
  };
  const config = {
    port: options.port,
    allowHalfOpen: true,
    reusePort: options.reusePort,
    socket: { ...handlers, open },
  };
  let server;
  try {
    server = Bun.listen<BunConnection>({ ...config, hostname: wildcard ? "::" : options.host });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (!wildcard || (code !== "EAFNOSUPPORT" && code !== "EADDRNOTAVAIL")) throw error;
    server = Bun.listen<BunConnection>({ ...config, hostname: "0.0.0.0" });
  }
  const listener = server;
  return {
    address: [listener.hostname, listener.port],
    close: async () => listener.stop(false),
  };
}

function toStat(stats: fs.Stats): FileStat {
  return {
    isFile: stats.isFile(),
    isDirectory: stats.isDirectory(),
    isSymbolicLink: stats.isSymbolicLink(),
    size: stats.size,
    mtimeMs: stats.mtimeMs,
    mode: stats.mode,
  };
}

/**
 * An open file read through `Bun.file(fd).slice(…)`: the descriptor keeps the file that was opened
 * even if its name is removed or replaced meanwhile.
 */
class BunFileHandle implements FileHandle {
  readonly #handle: fsp.FileHandle;
  constructor(handle: fsp.FileHandle) {
    this.#handle = handle;
  }
  async stat(): Promise<FileStat> {
    return toStat(await this.#handle.stat());
  }
  async read(position: number, length: number): Promise<Uint8Array> {
    return Bun.file(this.#handle.fd).slice(position, position + length).bytes();
  }
  close(): Promise<void> {
    return this.#handle.close();
  }
}

const fileSystem: FileSystem = {
  stat: async (path) => toStat(await fsp.stat(path)),
  lstat: async (path) => toStat(await fsp.lstat(path)),
  scandir: async (path) =>
    (await fsp.readdir(path, { withFileTypes: true })).map((entry) => ({
      name: entry.name,
      isDirectory: entry.isDirectory(),
      isSymbolicLink: entry.isSymbolicLink(),
    })),
  open: async (path) => new BunFileHandle(await fsp.open(path, "r")),
  isExecutable: (path) =>
    fsp.access(path, fs.constants.X_OK).then(
      () => true,
      () => false,
    ),
  readFileSync: (path) => fs.readFileSync(path),
};

/** The Bun platform. */
export const bunPlatform: Platform = {
  name: "Bun",
  version: Bun.version,
  listen,
  fs: fileSystem,
  now: () => Date.now(),
  setTimer(ms: number, fn: () => void): Timer {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
  stderr: (text) => void process.stderr.write(text),
  stdout: (text) => void process.stdout.write(text),
  hostname: () => os.hostname(),
  cwd: () => process.cwd(),
  onSignal: (signal, handler) => void process.on(signal, handler),
};
