/**
 * What the core asks of a runtime, and nothing more: listening sockets (TCP or TLS), connected
 * sockets with backpressure and half-close, a file system, a process runner, a clock with timers
 * and the standard streams. `@httpserver/node`, `/bun` and `/deno` each implement this once and
 * register it with {@link definePlatform}.
 * @module
 */

/** A socket address as Python's `(host, port)` tuple. */
export type Address = [host: string, port: number];

/**
 * Why a TLS configuration was refused: the `code` of the error {@link Platform.listen} rejects
 * with when it cannot use {@link TLSListenOptions}. The core turns it into an `SSLError` naming
 * the files (see `HTTPSServer`).
 * - `ERR_TLS_BAD_CERTIFICATE`: a certificate block is not a valid X.509 certificate, or the TLS
 *   library refuses the configuration for another reason.
 * - `ERR_TLS_BAD_KEY`: the key block is not a valid private key.
 * - `ERR_TLS_BAD_PASSWORD`: the key is encrypted and {@link TLSListenOptions.passphrase} does not
 *   decrypt it (or is missing).
 * - `ERR_TLS_KEY_MISMATCH`: the key is not the private key of the first certificate.
 */
export type TLSConfigErrorCode = "ERR_TLS_BAD_CERTIFICATE" | "ERR_TLS_BAD_KEY" | "ERR_TLS_BAD_PASSWORD" | "ERR_TLS_KEY_MISMATCH";

/**
 * Why a TLS handshake failed: the `code` of the error passed to
 * {@link TLSListenOptions.onHandshakeError}. Other codes are allowed (the error's `message` then
 * says what happened, in a few words such as `wrong version number`).
 * - `ERR_TLS_HANDSHAKE_TIMEOUT`: not completed within {@link TLSListenOptions.handshakeTimeoutMs}.
 * - `ERR_TLS_HTTP_REQUEST`: the client sent plain HTTP (OpenSSL's `http request`).
 * - `ECONNRESET`: the client closed or reset the connection before the handshake completed.
 */
export type TLSHandshakeErrorCode = "ERR_TLS_HANDSHAKE_TIMEOUT" | "ERR_TLS_HTTP_REQUEST" | "ECONNRESET";

/**
 * TLS settings for a listening socket. The core has read the files and picked out the PEM blocks;
 * the adapter decrypts and checks them, listens, and runs every handshake on its own.
 *
 * What a TLS {@link Platform.listen} must do:
 * - Reject with an `Error` whose `code` is a {@link TLSConfigErrorCode} when the certificate, the
 *   key or the passphrase cannot be used (before binding the port).
 * - Offer {@link alpnProtocols}; a client whose ALPN list holds none of them fails the handshake
 *   (RFC 7301 `no_application_protocol`).
 * - Call `onConnection` only once a connection's handshake has completed; a pending handshake
 *   never delays another connection, and the socket handed over reads and writes plaintext.
 * - Close a connection whose handshake fails, or has not completed {@link handshakeTimeoutMs}
 *   after it was accepted, and report it once through {@link onHandshakeError}.
 * - Keep half-close after the handshake, as for TCP (the peer's FIN or `close_notify` is `end`).
 */
export interface TLSListenOptions {
  /** Certificate chain, PEM: one or more `CERTIFICATE` blocks, the server's certificate first. */
  cert: string;
  /**
   * Private key, PEM: one block, `PRIVATE KEY` (PKCS#8), `RSA PRIVATE KEY` (PKCS#1), `EC PRIVATE
   * KEY` (SEC1), or an encrypted one: `ENCRYPTED PRIVATE KEY`, or PKCS#1/SEC1 with
   * `Proc-Type: 4,ENCRYPTED` (OpenSSL's legacy encryption).
   */
  key: string;
  /** Passphrase of an encrypted key; given only when the key is encrypted. */
  passphrase?: string;
  /** ALPN protocol names offered, in order of preference, e.g. `["http/1.1"]`; `[]` for none. */
  alpnProtocols: string[];
  /** Milliseconds a handshake may take, counted from the accept (> 0). */
  handshakeTimeoutMs: number;
  /**
   * Called once for each connection closed because its handshake failed or timed out.
   * @param remoteAddress the client's address.
   * @param error `code` is a {@link TLSHandshakeErrorCode} or the runtime's own; `message` a
   *   short reason.
   */
  onHandshakeError: (remoteAddress: Address, error: Error & { code?: string }) => void;
}

/** How to listen. */
export interface ListenOptions {
  /**
   * Host to bind: an IPv4 or IPv6 literal or a name. `""` and `"::"` mean every interface, IPv6 and
   * IPv4 (dual-stack); the adapter falls back to `0.0.0.0` where IPv6 is missing.
   */
  host: string;
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Listen backlog (Python's `request_queue_size`). */
  backlog: number;
  /** Allow binding a port that another socket may also bind (SO_REUSEPORT, where supported). */
  reusePort: boolean;
  /**
   * Serve TLS with these settings (see {@link TLSListenOptions} for what the adapter must do);
   * sockets are then handed over after their handshake.
   */
  tls?: TLSListenOptions;
  /**
   * Called for each failed `accept(2)` that the adapter sees (`ECONNABORTED`, `ENOTCONN`,
   * `ECONNRESET` from a client gone before it was accepted; `EMFILE`, `ENFILE`, `ENOBUFS`,
   * `ENOMEM` from exhausted resources). Such errors never end the listener: the adapter keeps
   * accepting, after a back-off of 5 ms doubling up to 1 s while descriptors or memory are
   * exhausted (as libuv and Go do). Only {@link Listener.close} ends it. The core logs these
   * (once per burst).
   * @param error `code` is the POSIX name where the runtime gives one.
   */
  onAcceptError: (error: Error & { code?: string }) => void;
}

/** A listening socket. */
export interface Listener {
  /** The address actually bound (`[host, port]`, port resolved when 0 was asked). */
  readonly address: Address;
  /** Stops accepting and closes the listening socket; resolves when it is closed. */
  close(): Promise<void>;
}

/** Callbacks a {@link Socket} delivers its events to. */
export interface SocketEvents {
  /** Bytes were received. The array is handed over: the adapter must not reuse it. */
  data: (chunk: Uint8Array) => void;
  /** The peer closed its sending side (EOF). */
  end: () => void;
  /** The socket was closed, by either side or by an error; no event follows. */
  close: () => void;
  /** Bytes queued by {@link Socket.write} were flushed below the high-water mark. */
  drain: () => void;
}

/** A connected socket (TCP, or TLS after its handshake: bytes are plaintext). */
export interface Socket {
  /**
   * The peer's address, read when the connection was accepted; `["", 0]` when the runtime could
   * not tell it because the peer had already reset the connection (the server then closes it at
   * once).
   */
  readonly remoteAddress: Address;
  /** The local address. */
  readonly localAddress: Address;
  /**
   * The protocol the TLS handshake chose by ALPN (RFC 7301), e.g. `"h2"` or `"http/1.1"`;
   * `null` or absent for a cleartext connection or a client that offered none.
   */
  readonly alpnProtocol?: string | null;
  /** Starts delivering events. Called once; before it, received bytes stay queued in the runtime. */
  start(events: SocketEvents): void;
  /**
   * Queues bytes for sending: `chunk`, then `more` if given, in order. Returns `false` when the
   * queue is over its high-water mark: wait for {@link SocketEvents.drain} before writing much
   * more. Bytes written after {@link end} or {@link destroy} are dropped. The arrays are handed
   * over: the adapter may keep them until sent.
   *
   * Batching is the core's job, done once: it joins the small writes of a response into one
   * chunk, and passes a head with the start of a large body as `chunk` and `more`. The adapter
   * sends what it is given at once — both arrays in one system call where the runtime can (a
   * vectored write) — and never waits to gather more.
   */
  write(chunk: Uint8Array, more?: Uint8Array): boolean;
  /**
   * Bytes queued by {@link write} and not yet handed to the kernel. The core watches it to tell a
   * slow client (the queue shrinks) from one that reads nothing (`sendTimeout`).
   */
  readonly bufferedAmount: number;
  /** Stops delivering `data` events (read backpressure). */
  pause(): void;
  /** Resumes delivering `data` events. */
  resume(): void;
  /** Half-closes: sends FIN once queued bytes are written; reading continues. */
  end(): void;
  /** Closes at once, dropping queued bytes. */
  destroy(): void;
}

/** What `stat`/`lstat` report. */
export interface FileStat {
  isFile: boolean;
  isDirectory: boolean;
  isSymbolicLink: boolean;
  /** Size in bytes. */
  size: number;
  /** Modification time, milliseconds since the epoch (with the fraction the runtime gives). */
  mtimeMs: number;
  /** Status change time, milliseconds since the epoch (0 where unknown). */
  ctimeMs: number;
  /** Inode number (0 where unknown). */
  ino: number;
  /** POSIX mode bits (0 where unknown). */
  mode: number;
}

/** A directory entry, typed without following symbolic links (Python's `os.DirEntry`). */
export interface DirEntry {
  /** The entry's name. */
  name: string;
  /** A directory (not a link to one). */
  isDirectory: boolean;
  /** A symbolic link. */
  isSymbolicLink: boolean;
}

/** An open file. */
export interface FileHandle {
  /**
   * Reads up to `length` bytes at byte offset `position`; resolves with a new array of the bytes
   * read, shorter only at end of file (empty there).
   */
  read(position: number, length: number): Promise<Uint8Array>;
  /** Closes the file. */
  close(): Promise<void>;
}

/**
 * A file system. Every method rejects with an `Error` whose `code` is the POSIX name
 * (`ENOENT`, `EACCES`, `ENOTDIR`, `EISDIR`, `ELOOP`, `EMFILE`, `ENFILE` …) when the operation
 * fails, as node:fs does: the core tells a missing file (404) from exhausted descriptors (503) by
 * it. Paths are absolute, `/`-separated.
 */
export interface FileSystem {
  /** `stat` (follows symbolic links). */
  stat(path: string): Promise<FileStat>;
  /** `lstat` (does not follow). */
  lstat(path: string): Promise<FileStat>;
  /**
   * The entries of a directory in the file system's order, without `.` and `..` (Python's
   * `os.scandir`; `os.listdir` gives their names).
   */
  scandir(path: string): Promise<DirEntry[]>;
  /** Opens a file for reading. */
  open(path: string): Promise<FileHandle>;
  /** True if the process may execute `path` (`access(path, X_OK)`). */
  isExecutable(path: string): Promise<boolean>;
  /** Reads a whole file synchronously (files named on the command line). */
  readFileSync(path: string): Uint8Array;
}

/** How to start a process (a CGI script). */
export interface SpawnOptions {
  /** Absolute path of the program to execute; the program also sees it as its `argv[0]`. */
  file: string;
  /** The arguments after `argv[0]`. */
  args: string[];
  /**
   * The whole environment of the process: nothing is inherited from the server (Deno:
   * `clearEnv: true`).
   */
  env: Record<string, string>;
  /** Working directory of the process (absolute). */
  cwd: string;
  /** Run as this user id (setuid(2) in the child); the spawn fails when the server may not. */
  uid?: number;
  /** Run with this group id (setgid(2); supplementary groups dropped), as for {@link uid}. */
  gid?: number;
}

/**
 * A running process with piped standard streams. Reading {@link stdout} and {@link stderr} is
 * the only buffering: a process writing faster than they are read blocks in its own write.
 */
export interface Subprocess {
  /** The process id. */
  readonly pid: number;
  /**
   * Writes to the process's standard input; resolves once the bytes were taken (backpressure:
   * it may stay pending while the process does not read). Never rejects: bytes a process that
   * closed its input or exited cannot take are dropped.
   */
  writeStdin(chunk: Uint8Array): Promise<void>;
  /** Closes standard input (end of file for the process). Never rejects. */
  closeStdin(): Promise<void>;
  /** Standard output as it arrives; ends when every writer closed the pipe. */
  readonly stdout: AsyncIterable<Uint8Array>;
  /** Standard error as it arrives; ends when every writer closed the pipe. */
  readonly stderr: AsyncIterable<Uint8Array>;
  /**
   * Resolves when the process ended (without waiting for its pipes to close): its exit status
   * (`signal` `null`), or the name of the signal that ended it (`"SIGKILL"`, `code` `null`).
   */
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  /** Sends SIGKILL; does nothing once the process has ended. */
  kill(): void;
}

/** A content coding (RFC 9110 §8.4.1) that a runtime can compress with. */
export type ContentCoding = "br" | "gzip" | "zstd";

/**
 * A raw DEFLATE (RFC 1951) compressor or decompressor that keeps its window from one call to the
 * next (context takeover), for WebSocket's permessage-deflate (RFC 7692). Calls are served in
 * order, one at a time.
 */
export interface RawDeflateCodec {
  /**
   * Feeds `data`, then flushes (zlib's `Z_SYNC_FLUSH`: the output ends on a byte boundary with an
   * empty stored block, `00 00 ff ff`); resolves with every byte produced by this call.
   * @param maxOutputBytes the most bytes this call may produce (decompression bombs); more rejects.
   * @throws (rejects) an `Error` whose `code` is `ERR_OUTPUT_LIMIT` when the output would exceed
   *   `maxOutputBytes`, or zlib's (`Z_DATA_ERROR`) for corrupt input. The codec is unusable after.
   */
  process(data: Uint8Array, maxOutputBytes?: number): Promise<Uint8Array>;
  /** Forgets the window, so that the next call starts as a new stream (no context takeover). */
  reset(): void;
  /** Frees the codec; a call in progress rejects. */
  close(): void;
}

/** A cancellable timer. */
export interface Timer {
  /** Stops the timer; its function is not called (nothing happens if it was already). */
  cancel(): void;
}

/** A runtime: everything the core needs from Node, Bun or Deno. */
export interface Platform {
  /** Runtime name for `sysVersion`: `"Node"`, `"Bun"` or `"Deno"`. */
  readonly name: string;
  /** Runtime version, e.g. `"20.20.2"`. */
  readonly version: string;
  /**
   * Listens; `onConnection` is called with every accepted socket (with TLS: once its handshake
   * completed). Rejects with the runtime's bind error (`code: 'EADDRINUSE'` …) or, with TLS, a
   * {@link TLSConfigErrorCode}.
   */
  listen(options: ListenOptions, onConnection: (socket: Socket) => void): Promise<Listener>;
  /** The file system. */
  readonly fs: FileSystem;
  /** Milliseconds since the epoch. */
  now(): number;
  /**
   * Calls `fn` once the current event-loop turn has run its callbacks and microtasks (Node's
   * `setImmediate`); small writes held until then leave in one system call. Optional: without it,
   * after the current microtasks.
   */
  readonly defer?: (fn: () => void) => void;
  /** Calls `fn` once after `ms` milliseconds. The timer must not keep the process alive. */
  setTimer(ms: number, fn: () => void): Timer;
  /** Writes to standard error. */
  stderr(text: string): void;
  /** Writes to standard output. */
  stdout(text: string): void;
  /** This machine's host name (Python's `socket.gethostname()`). */
  hostname(): string;
  /**
   * The process's limit on open file descriptors (the soft `RLIMIT_NOFILE`, as the runtime raised
   * it at startup), or `null` where it cannot be read. The default connection cap derives from it.
   */
  descriptorLimit(): number | null;
  /** The current working directory. */
  cwd(): string;
  /**
   * Calls `handler` when the process receives `signal` (Ctrl-C is `SIGINT`); the default action
   * (terminating) no longer applies.
   */
  onSignal(signal: "SIGINT" | "SIGTERM", handler: () => void): void;
  /**
   * Starts a process with piped standard streams; resolves once it runs.
   * @throws (rejects) an `Error` whose `code` is the POSIX name (`ENOENT`, `EACCES`, `ENOEXEC`,
   *   `EPERM` for a refused `uid`/`gid` …) when it cannot be started, or whose message names the
   *   missing permission (Deno without `--allow-run`).
   */
  spawn(options: SpawnOptions): Promise<Subprocess>;
  /**
   * The content codings {@link compress} supports: `br` and `gzip` on every runtime, `zstd` where
   * the runtime has it (Bun, Deno, Node ≥ 22.15).
   */
  readonly compressionCodings: readonly ContentCoding[];
  /**
   * Compresses the bytes of `input` with `coding` as they are read: the output is produced while
   * it is iterated, pulling from `input` only as fast as it is read. Stopping early, or an error
   * on either side, ends `input` (its `return`) and frees the compressor.
   * @param sizeHint the input's size in bytes when known (brotli tunes its window to it).
   * @throws Error when the runtime lacks `coding` (see {@link compressionCodings}).
   */
  compress(coding: ContentCoding, input: AsyncIterable<Uint8Array>, sizeHint?: number): AsyncIterable<Uint8Array>;
  /**
   * A raw DEFLATE compressor (permessage-deflate) with a window of `2^windowBits` bytes
   * (`windowBits` 9–15), at compression `level` 0–9 and zlib's `memLevel` 1–9.
   */
  deflateRaw(options: { windowBits: number; level: number; memLevel: number }): RawDeflateCodec;
  /** A raw DEFLATE decompressor for windows up to `2^windowBits` bytes (`windowBits` 8–15). */
  inflateRaw(options: { windowBits: number }): RawDeflateCodec;
  /** The SHA-1 digest (RFC 3174) of `data`: 20 bytes (the WebSocket handshake's, RFC 6455 §4.2.2). */
  sha1(data: Uint8Array): Uint8Array;
  /**
   * Optional: a `Response` body that sends bytes `first` through `last` of the file at `path`
   * itself, its length known, without passing them through JavaScript — Bun's
   * `Bun.file(path).slice(first, last + 1)`, which Bun.serve sends with `Content-Length` (a stream
   * body it would send chunked); Deno's `file.readable` for a whole file (which Deno.serve sends
   * from Rust). `undefined` when it has nothing better than the core's own stream of the file.
   * `serveDir` uses it when it answers inside a runtime's own server.
   * @param size the file's size in bytes.
   */
  fileBody?(path: string, first: number, last: number, size: number): Blob | ReadableStream<Uint8Array> | undefined;
  /** `size` bytes from the runtime's cryptographically secure generator. */
  randomBytes(size: number): Uint8Array;
  /** The value of an environment variable of the server, or `undefined` (also when not permitted). */
  getenv(name: string): string | undefined;
  /**
   * The server process's real user and group ids, or `null` where the runtime cannot tell
   * (Deno without `--allow-sys=uid,gid`).
   */
  processIds(): { uid: number; gid: number } | null;
  /** The number of CPUs the process may use (`--workers auto`). */
  cpuCount(): number;
  /**
   * Set in an instance started by {@link spawnWorker}: its number (1…N) and the port every worker
   * listens on; `null` otherwise.
   */
  readonly worker: WorkerInfo | null;
  /**
   * Starts worker `info.index` running the `httpserver` command with `argv` (or, with `argv`
   * `null`, the program itself again), in a process or a thread, sharing the port with the others
   * (SO_REUSEPORT, or node:cluster's round-robin where the runtime has no `reusePort`). Absent
   * where the runtime cannot.
   */
  spawnWorker?(info: WorkerInfo, argv: readonly string[] | null): ServerWorker;
  /** In a worker: ends it with exit code `code` (what its {@link ServerWorker.exited} gives). */
  endWorker?(code: number): void;
}

/** What a worker is told by the instance that started it. */
export interface WorkerInfo {
  /** The worker's number, 1…N. */
  index: number;
  /** The port every worker of the command listens on (resolved already when it asked for 0); 0 for a worker of `serveWorkers`, whose program names its port. */
  port: number;
}

/** A worker started by {@link Platform.spawnWorker}. */
export interface ServerWorker {
  /**
   * Calls `listener` with what the worker writes, in order: `text` holds whole lines (a line is
   * never split between two calls).
   */
  onOutput(listener: (stream: "stdout" | "stderr", text: string) => void): void;
  /** Resolves with the worker's exit code (`null` when a signal ended it). */
  readonly exited: Promise<number | null>;
  /** Asks the worker to stop as SIGTERM would: finish what is in progress, then exit 0. */
  stop(): void;
  /** Ends the worker at once. */
  kill(): void;
}

let current: Platform | undefined;

/**
 * Registers the runtime the server classes run on. Each adapter calls it when imported, so
 * `import { HTTPServer } from "@httpserver/node"` is all a user writes.
 */
export function definePlatform(platform: Platform): void {
  current = platform;
}

/**
 * The registered runtime.
 * @throws {Error} when no adapter was imported.
 */
export function getPlatform(): Platform {
  if (current === undefined) {
    throw new Error("no platform registered: import the server classes from @httpserver/node, /bun or /deno");
  }
  return current;
}
