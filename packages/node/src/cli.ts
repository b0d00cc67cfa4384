#!/usr/bin/env node
/**
 * The `httpserver` command on Node.js: `python -m http.server` (see `@httpserver/core`'s `main`).
 * @module
 */
import { main } from "@httpserver/core/cli";
import { nodePlatform } from "./platform.ts";

const code = await main(process.argv.slice(2), nodePlatform);
// Connections still open do not keep the process alive (Python's daemon threads).
process.exit(code);
