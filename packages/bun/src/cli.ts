#!/usr/bin/env bun
/**
 * The `httpserver` command on Bun: `bun packages/bun/src/cli.ts [options] [port]`.
 * @module
 */
import { main } from "@httpserver/core/cli";
import { commandArgs } from "@httpserver/node/workers";
import { bunPlatform } from "./platform.ts";

const code = await main(commandArgs(), bunPlatform);
process.exit(code);
