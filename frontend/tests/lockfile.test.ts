// @vitest-environment node
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

import { completeLock, platformOf } from "../scripts/complete-lock.mjs";

describe("package-lock.json", () => {
  it("holds an entry for every platform package, so that npm ci accepts it", () => {
    const lock = JSON.parse(readFileSync(new URL("../package-lock.json", import.meta.url), "utf8"));
    // Run `npm install && node scripts/complete-lock.mjs` when this fails.
    expect(completeLock(lock)).toEqual([]);
  });

  it("reads os, cpu and libc from a platform package's name", () => {
    expect(platformOf("@rollup/rollup-linux-x64-musl")).toEqual({ os: ["linux"], cpu: ["x64"], libc: ["musl"] });
    expect(platformOf("@rollup/rollup-linux-arm-gnueabihf")).toEqual({ os: ["linux"], cpu: ["arm"], libc: ["glibc"] });
    expect(platformOf("@unrs/resolver-binding-win32-ia32-msvc")).toEqual({ os: ["win32"], cpu: ["ia32"] });
    expect(platformOf("@tailwindcss/oxide-wasm32-wasi")).toEqual({ cpu: ["wasm32"] });
    expect(platformOf("fsevents")).toBeNull();
  });
});
