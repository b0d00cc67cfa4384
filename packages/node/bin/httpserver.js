#!/usr/bin/env node
// The `httpserver` command: dist/cli.js, built from src/cli.ts. In a clone of the repository the
// build comes after the install, so this file (which exists from the start) says so when it is
// missing instead of failing obscurely.
try {
  await import("../dist/cli.js");
} catch (error) {
  if (error?.code === "ERR_MODULE_NOT_FOUND" && String(error.message).includes("dist/cli.js")) {
    console.error("httpserver: @httpserver/node is not built yet: run `pnpm build` in the repository");
    process.exit(1);
  }
  throw error;
}
