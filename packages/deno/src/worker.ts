/**
 * The entry of a `--workers` thread on Deno (see `workers.ts`): waits for its {@link WorkerInfo}
 * and the command line, then runs the `httpserver` command on a platform whose standard streams
 * and signals go through messages to the main thread.
 * @module
 */
import { main } from "@httpserver/core/cli";
import type { Platform, WorkerInfo } from "@httpserver/core/platform";
import { denoPlatform } from "./platform.ts";
import type { WorkerMessage } from "./workers.ts";

const post = (message: WorkerMessage) => self.postMessage(message);
let stopHandler: (() => void) | null = null;

self.onmessage = async (event: MessageEvent<{ info: WorkerInfo; argv: string[] } | "stop">) => {
  const data = event.data;
  if (data === "stop") {
    stopHandler?.();
    return;
  }
  const platform: Platform = {
    ...denoPlatform,
    worker: data.info,
    stdout: (text) => post({ type: "output", stream: "stdout", text }),
    stderr: (text) => post({ type: "output", stream: "stderr", text }),
    // SIGTERM is the main thread's "stop"; SIGINT reaches the main thread only.
    onSignal: (signal, handler) => {
      if (signal === "SIGTERM") stopHandler = handler;
    },
  };
  let code: number;
  try {
    code = await main(data.argv, platform);
  } catch (error) {
    platform.stderr(`httpserver: error: ${error instanceof Error ? error.message : String(error)}\n`);
    code = 1;
  }
  post({ type: "exit", code });
};
