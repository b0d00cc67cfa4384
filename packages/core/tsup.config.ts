import { defineConfig } from "tsup";

export default defineConfig({
  // One entry per subpath of package.json's "exports"; shared code goes into common chunks, so
  // that the platform registry and the classes exist once whichever entry imports them.
  entry: {
    index: "src/index.ts",
    cli: "src/cli.ts",
    protocol: "src/protocol.ts",
    platform: "src/platform/index.ts",
    internal: "src/internal.ts",
  },
  format: ["esm"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "es2022",
});
