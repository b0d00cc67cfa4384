// ESLint (flat config): typescript-eslint's type-checked recommended rules on every TypeScript
// source and test; formatting is Prettier's (eslint-config-prettier turns off the rules it owns).
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "coverage/**", "docs/api/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ["packages/*/tsup.config.ts"] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Methods of promise-returning interfaces (FileSystem, Listener …) are async without an
      // await on purpose: an exception in them must reject the promise, not throw.
      "@typescript-eslint/require-await": "off",
      // `{ omitted, ...rest } = value` is how a field is left out of a copy.
      "@typescript-eslint/no-unused-vars": ["error", { ignoreRestSiblings: true }],
    },
  },
  {
    // Plain JavaScript (benchmarks, configs): no type information.
    files: ["**/*.js", "**/*.mjs"],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { ...globals.node, Bun: "readonly", Deno: "readonly" } },
  },
  prettier,
);
