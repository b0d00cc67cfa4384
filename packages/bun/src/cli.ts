#!/usr/bin/env bun
/**
 * The `httpserver` command on Bun: `bun packages/bun/src/cli.ts [options] [port]`.
 * @module
 */
import { main } from "@httpserver/core/cli";
import { bunPlatform } from "./platform.ts";

const code = await main(process.argv.slice(2), bunPlatform);
process.exit(code);
