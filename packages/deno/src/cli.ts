/**
 * The `httpserver` command on Deno:
 * `deno run --allow-net --allow-read packages/deno/src/cli.ts [options] [port]`.
 * A missing permission ends the command with one line on standard error and exit code 1.
 * @module
 */
import { main } from "@httpserver/core/cli";
import { denoPlatform } from "./platform.ts";

let code: number;
try {
  code = await main(Deno.args, denoPlatform);
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  denoPlatform.stderr(`httpserver: error: ${message}\n`);
  code = 1;
}
Deno.exit(code);
