// @ts-check
/**
 * Which Chromium the suite drives, and what to do without one.
 *
 * Debian's `chromium` package (/usr/bin/chromium) driven by playwright-core: no
 * browser is ever downloaded. TICKHUB_CHROMIUM names another binary.
 * TICKHUB_E2E_REQUIRED=1 (CI sets it) turns a missing browser from a skip into a failure.
 */
import fs from "node:fs";

export const DEFAULT_CHROMIUM = "/usr/bin/chromium";

/**
 * @param {NodeJS.ProcessEnv} env
 * @returns {string}
 */
export function chromiumPath(env = process.env) {
  return env.TICKHUB_CHROMIUM || DEFAULT_CHROMIUM;
}

/**
 * @param {NodeJS.ProcessEnv} env
 * @returns {boolean}
 */
export function required(env = process.env) {
  const value = (env.TICKHUB_E2E_REQUIRED ?? "").trim().toLowerCase();
  return value !== "" && !["0", "false", "no"].includes(value);
}

/**
 * @param {string} file
 * @returns {boolean}
 */
function executable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * What to do about the browser: run with it, skip (one line says why and how to
 * enable), or fail (required but missing).
 * @param {NodeJS.ProcessEnv} env
 * @returns {{ action: "run", path: string } | { action: "skip" | "fail", path: string, message: string }}
 */
export function decide(env = process.env) {
  const path = chromiumPath(env);
  if (executable(path)) return { action: "run", path };
  const how = env.TICKHUB_CHROMIUM
    ? `TICKHUB_CHROMIUM=${path} is not an executable file`
    : `no Chromium at ${path} (Debian: apt-get install chromium; or set TICKHUB_CHROMIUM)`;
  if (required(env)) {
    return { action: "fail", path, message: `e2e: FAILED: ${how}; TICKHUB_E2E_REQUIRED is set` };
  }
  return {
    action: "skip",
    path,
    message: `e2e: skipped: ${how}; install it to run the browser tests (TICKHUB_E2E_REQUIRED=1 makes this a failure)`,
  };
}
