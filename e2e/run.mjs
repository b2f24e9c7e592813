#!/usr/bin/env node
// @ts-check
/**
 * The e2e suite's entry point (`npm test` here, `make test` from the root): decide
 * about the browser, start one real hub, run the test files one after another
 * against it with node's test runner, and stop the hub whatever happened.
 *
 *   npm test                 every tests/*.test.mjs
 *   npm test -- logs login   only the files whose names contain one of the words
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { decide } from "./lib/chromium.mjs";
import { Hub } from "./lib/hub.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "..");
const artifacts = path.join(here, "artifacts");
/** The whole run's bound, hub start included: a hung browser must not hang CI. */
const SUITE_TIMEOUT_MS = 15 * 60_000;

/** @param {string} line */
const say = (line) => process.stdout.write(`e2e: ${line}\n`);

/** @returns {string[]} the test files to run, in name order */
function testFiles() {
  const words = process.argv.slice(2);
  const dir = path.join(here, "tests");
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith(".test.mjs"))
    .filter((name) => words.length === 0 || words.some((word) => name.includes(word)))
    .sort()
    .map((name) => path.join(dir, name));
}

async function main() {
  const browser = decide();
  if (browser.action === "skip") {
    say(browser.message.replace(/^e2e: /, ""));
    return 0;
  }
  if (browser.action === "fail") {
    process.stderr.write(`${browser.message}\n`);
    return 1;
  }
  const files = testFiles();
  if (files.length === 0) {
    process.stderr.write(`e2e: no test file matches ${process.argv.slice(2).join(" ")}\n`);
    return 1;
  }
  fs.rmSync(artifacts, { recursive: true, force: true });
  fs.mkdirSync(artifacts, { recursive: true });

  /** What an interrupt must end: set as soon as each exists. */
  const current = {
    /** @type {Hub | null} */
    hub: null,
    /** @type {import("node:child_process").ChildProcess | null} */
    tests: null,
  };
  // An interrupt (or the suite's bound) ends the browsers, stops the hub, even one
  // still starting, and only then exits; main()'s own ending then defers to it.
  const stopAll = async (/** @type {string} */ why) => {
    if (stopping) return;
    stopping = true;
    say(`${why}: stopping`);
    const pid = current.tests?.pid;
    if (pid) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await current.hub?.stop();
    say("hub stopped");
    process.exit(130);
  };
  process.on("SIGINT", () => void stopAll("interrupted"));
  process.on("SIGTERM", () => void stopAll("terminated"));
  const watchdog = setTimeout(() => void stopAll(`suite timeout (${SUITE_TIMEOUT_MS / 60_000} min)`), SUITE_TIMEOUT_MS);

  const started = Date.now();
  try {
    // TICKHUB_DASHBOARD_DIR: test an export built elsewhere (default: frontend/out).
    const hub = await Hub.start({
      repo,
      artifacts,
      say,
      dashboard: process.env.TICKHUB_DASHBOARD_DIR,
      created: (made) => {
        current.hub = made;
      },
    });
    say(`hub ready in ${((Date.now() - started) / 1000).toFixed(1)} s; Chromium ${browser.path}`);
    const child = spawn(process.execPath, ["--test", "--test-concurrency=1", ...files], {
      cwd: here,
      env: {
        ...process.env,
        PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: "1",
        TICKHUB_E2E_URL: hub.baseUrl,
        TICKHUB_E2E_TOKEN: hub.token,
        TICKHUB_E2E_NATS_URL: hub.natsUrl,
        TICKHUB_E2E_ARTIFACTS: artifacts,
        TICKHUB_E2E_CHROMIUM: browser.path,
      },
      stdio: "inherit",
      detached: true, // its own group: an interrupt kills the browsers it started too
    });
    current.tests = child;
    const code = await new Promise((resolve) => child.on("exit", (c) => resolve(c ?? 1)));
    if (code !== 0 && !stopping) say(`the hub's log: ${hub.logPath}; screenshots: ${artifacts}`);
    return code;
  } finally {
    clearTimeout(watchdog);
    if (!stopping && current.hub) {
      await current.hub.stop();
      say("hub stopped");
    }
  }
}

/** Set once an interrupt is being handled: stopAll() exits, main() must not. */
let stopping = false;

main().then(
  (code) => {
    if (!stopping) process.exit(code);
  },
  (error) => {
    if (stopping) return;
    process.stderr.write(`e2e: ${error instanceof Error ? error.message : error}\n`);
    process.exit(1);
  },
);
