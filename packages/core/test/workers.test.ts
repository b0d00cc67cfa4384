/**
 * The `--workers` primary against fake workers and a fake clock: one startup line, output passed
 * on, restarts with back-off, a command that cannot start, and stopping on signals.
 */
import { describe, expect, test } from "vitest";
import type { Platform, ServerWorker, WorkerInfo } from "../src/platform/types.js";
import { runWorkers } from "../src/workers.js";
import { FakeClock, settle } from "./fakes.js";

/** A worker the test drives. */
class FakeWorker implements ServerWorker {
  readonly info: WorkerInfo;
  stopped = false;
  killed = false;
  #listeners: ((stream: "stdout" | "stderr", text: string) => void)[] = [];
  #exit: (code: number | null) => void = () => {};
  readonly exited = new Promise<number | null>((resolve) => (this.#exit = resolve));
  constructor(info: WorkerInfo) {
    this.info = info;
  }
  onOutput(listener: (stream: "stdout" | "stderr", text: string) => void): void {
    this.#listeners.push(listener);
  }
  write(stream: "stdout" | "stderr", text: string): void {
    for (const listener of this.#listeners) listener(stream, text);
  }
  ready(): void {
    this.write("stdout", `Serving HTTP on 127.0.0.1 port ${this.info.port} (http://127.0.0.1:${this.info.port}/) ...\n`);
  }
  exit(code: number | null): void {
    this.#exit(code);
  }
  stop(): void {
    this.stopped = true;
  }
  kill(): void {
    this.killed = true;
    this.#exit(null);
  }
}

function setup() {
  const clock = new FakeClock();
  const out: string[] = [];
  const err: string[] = [];
  const spawned: FakeWorker[] = [];
  const signals = new Map<string, () => void>();
  const platform = {
    ...clock.platform,
    stdout: (text: string) => out.push(text),
    stderr: (text: string) => err.push(text),
    onSignal: (signal: string, handler: () => void) => signals.set(signal, handler),
    spawnWorker: (info: WorkerInfo) => {
      const worker = new FakeWorker(info);
      spawned.push(worker);
      return worker;
    },
  } as unknown as Platform;
  return { clock, out, err, spawned, signals, platform };
}

describe("runWorkers", () => {
  test("starts N workers on the port, shows one startup line, passes output on, stops them all on SIGTERM", async () => {
    const { out, err, spawned, signals, platform } = setup();
    const done = runWorkers(platform, ["-d", "/srv"], { count: 3, port: 8123, shutdownTimeout: 5 });
    expect(spawned.map((w) => w.info)).toEqual([1, 2, 3].map((index) => ({ index, port: 8123 })));
    for (const w of spawned) w.ready();
    spawned[1].write("stderr", '127.0.0.1 - - [02/Dec/2026 10:00:00] "GET / HTTP/1.1" 200 -\n');
    expect(out).toEqual(["Serving HTTP on 127.0.0.1 port 8123 (http://127.0.0.1:8123/) ...\n"]);
    expect(err).toEqual(['127.0.0.1 - - [02/Dec/2026 10:00:00] "GET / HTTP/1.1" 200 -\n']);
    signals.get("SIGTERM")!();
    expect(spawned.every((w) => w.stopped)).toBe(true);
    for (const w of spawned) w.exit(0);
    expect(await done).toBe(0);
  });

  test("a worker that dies is logged and started again after 1 s, then 2 s, 4 s …", async () => {
    const { clock, err, spawned, signals, platform } = setup();
    const done = runWorkers(platform, [], { count: 2, port: 8000, shutdownTimeout: 5 });
    for (const w of spawned) w.ready();
    for (const [n, wait] of [
      [1, 1000],
      [2, 2000],
      [3, 4000],
    ]) {
      spawned[spawned.length - (n === 1 ? 2 : 1)].exit(n === 1 ? 1 : null);
      await settle();
      expect(err.at(-1)).toMatch(
        new RegExp(`^- - - \\[.*\\] worker 1 exited \\((code 1|killed by a signal)\\); restarting in ${wait / 1000} s\\n$`),
      );
      const before = spawned.length;
      await clock.advance(wait - 1);
      expect(spawned.length).toBe(before);
      await clock.advance(1);
      expect(spawned.length).toBe(before + 1);
      expect(spawned.at(-1)!.info.index).toBe(1);
      spawned.at(-1)!.ready();
    }
    signals.get("SIGINT")!();
    for (const w of spawned) w.exit(0);
    expect(await done).toBe(0);
  });

  test("when the workers cannot start, their error is shown and the command exits with their code", async () => {
    const { err, spawned, platform } = setup();
    const done = runWorkers(platform, [], { count: 2, port: 80, shutdownTimeout: 5 });
    spawned[0].write("stderr", "httpserver: error: cannot listen on all interfaces port 80: [Errno 13] Permission denied\n");
    spawned[0].exit(1);
    await settle();
    expect(spawned[1].stopped).toBe(true);
    spawned[1].exit(1);
    expect(await done).toBe(1);
    expect(err).toEqual(["httpserver: error: cannot listen on all interfaces port 80: [Errno 13] Permission denied\n"]);
  });

  test("Ctrl-C: one line, workers stopped; those that do not exit in time are killed; a second signal ends them at once", async () => {
    const { clock, out, spawned, signals, platform } = setup();
    const done = runWorkers(platform, [], { count: 2, port: 8000, shutdownTimeout: 5 });
    for (const w of spawned) w.ready();
    signals.get("SIGINT")!();
    expect(out.at(-1)).toBe("\nKeyboard interrupt received, exiting.\n");
    spawned[0].exit(0);
    await clock.advance(6999);
    expect(spawned[1].killed).toBe(false);
    await clock.advance(1);
    expect(spawned[1].killed).toBe(true);
    expect(await done).toBe(0);

    const again = setup();
    const second = runWorkers(again.platform, [], { count: 2, port: 8000, shutdownTimeout: 5 });
    again.signals.get("SIGTERM")!();
    again.signals.get("SIGTERM")!();
    expect(again.spawned.every((w) => w.killed)).toBe(true);
    expect(await second).toBe(0);
  });
});
