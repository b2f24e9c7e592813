#!/usr/bin/env node
/**
 * Adds to package-lock.json the platform packages npm could not look up here.
 *
 * Packages with native binaries (tailwind's oxide, rollup, unrs-resolver) list one
 * optional dependency per platform. The registry reachable from this workplace serves
 * only some of them, so `npm install` leaves the others out of the lock, and `npm ci`
 * then refuses the lock as out of sync with package.json. A lock written elsewhere
 * holds an entry for every platform, and npm skips those whose os/cpu/libc do not
 * match the machine without fetching them: this script writes those entries (os, cpu
 * and libc read from the package name, the version from the parent's declaration), so
 * `npm ci` passes and never needs them. Run it after every `npm install`:
 *
 *   npm install && node scripts/complete-lock.mjs
 *
 * It changes nothing when the lock is complete.
 */

import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const OS = ["aix", "android", "darwin", "freebsd", "linux", "netbsd", "openbsd", "openharmony", "sunos", "win32"];
const CPU = ["arm64", "arm", "ia32", "loong64", "mips64el", "ppc64", "riscv64", "s390x", "x64", "wasm32"];

/** os/cpu/libc of a platform package, from the tokens of its name; null if it names none. */
export function platformOf(name) {
  const tokens = name.split("/").pop().split("-");
  const os = tokens.find((t) => OS.includes(t));
  const cpu = tokens.find((t) => CPU.includes(t));
  if (!os && !cpu) return null;
  const platform = {};
  if (os) platform.os = [os];
  if (cpu) platform.cpu = [cpu];
  if (os === "linux") {
    if (tokens.some((t) => t.startsWith("musl"))) platform.libc = ["musl"];
    else if (tokens.some((t) => t.startsWith("gnu"))) platform.libc = ["glibc"];
  }
  return platform;
}

export function completeLock(lock) {
  const packages = lock.packages;
  const added = [];
  for (const [path, entry] of Object.entries(packages)) {
    for (const [dep, spec] of Object.entries(entry.optionalDependencies ?? {})) {
      const top = `node_modules/${dep}`;
      const nested = `${path ? `${path}/` : ""}node_modules/${dep}`;
      if (packages[nested] || (packages[top] && packages[top].version === spec)) continue;
      const platform = platformOf(dep);
      if (platform === null || !/^\d+\.\d+\.\d+/.test(spec)) continue;
      const where = packages[top] ? nested : top;
      packages[where] = {
        version: spec,
        ...(platform.cpu ? { cpu: platform.cpu } : {}),
        ...(entry.dev ? { dev: true } : {}),
        ...(platform.libc ? { libc: platform.libc } : {}),
        optional: true,
        ...(platform.os ? { os: platform.os } : {}),
      };
      added.push(`${dep}@${spec}`);
    }
  }
  lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b, "en"))));
  return added;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = new URL("../package-lock.json", import.meta.url);
  const lock = JSON.parse(readFileSync(file, "utf8"));
  const added = completeLock(lock);
  if (added.length > 0) writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
  console.log(added.length ? `package-lock.json: added ${added.length} platform entries` : "package-lock.json: complete");
}
