// Lint: typescript-eslint's type-aware rules, plus import-x for the layering rules of
// docs/ARCHITECTURE.md: no import cycles, and no reaching into another package's files.
import tseslint from "typescript-eslint";
import importX from "eslint-plugin-import-x";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "bench/results/**"] },
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    plugins: { "import-x": importX },
    settings: {
      "import-x/resolver-next": [createTypeScriptImportResolver({ project: "tsconfig.json" })],
      "import-x/parsers": { "@typescript-eslint/parser": [".ts"] },
    },
    rules: {
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
      "import-x/no-default-export": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  {
    // Packages talk to each other through their entries; tests may reach inside to unit-test.
    files: ["internal/**/*.ts", "cmd/**/*.ts", "bench/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              // ../pkg/file.js or ../../internal/pkg/file.js, unless file is index.js
              regex: "^(\\.\\./)+(internal/)?[^/]+/(?!index\\.js$)[^/]+$",
              message: "Import another package through its index.js entry, never a file inside it.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["eslint.config.js"],
    rules: { "import-x/no-default-export": "off" },
  },
);
