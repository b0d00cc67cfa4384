/**
 * The entry of an `httpserver --workers` thread on Deno (see `workers.ts`): runs the command with
 * the command line its name carries, on the Deno platform, whose standard streams, signals and
 * end go through messages to the main thread in a worker thread.
 * @module
 */
import { main } from "@httpserver/core/cli";
import { denoPlatform } from "./platform.ts";
import { workerArgv } from "./workers.ts";

let code: number;
try {
  code = await main(workerArgv(), denoPlatform);
} catch (error) {
  denoPlatform.stderr(`httpserver: error: ${error instanceof Error ? error.message : String(error)}\n`);
  code = 1;
}
denoPlatform.endWorker!(code);
