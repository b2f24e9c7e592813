import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  esbuild: { jsx: "automatic" },
  resolve: { alias: { "@": fileURLToPath(new URL(".", import.meta.url)) } },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./tests/setup.ts"],
    include: ["tests/**/*.test.{ts,tsx}"],
    css: false,
    // The machine is shared and loaded: generous, so a slow run is not read as a failure.
    testTimeout: 20_000,
    // The machine is shared: a few workers are plenty and keep the others' tests fast.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
