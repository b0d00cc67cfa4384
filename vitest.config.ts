import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "tests/**/*.test.ts"],
    testTimeout: 30_000,
    globalSetup: ["./tests/support/global-setup.ts"],
    reporters: ["default", "./tests/support/summary-reporter.ts"],
    hookTimeout: 60_000,
  },
});
