// @ts-check
/**
 * Headless Chromium for one test: the browser the runner found, a fresh context per
 * test (its own localStorage, so no token carries over), screenshots into artifacts/.
 */
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";

import { chromium } from "playwright-core";

import { HubClient } from "./client.mjs";

/** @typedef {import("playwright-core").Page} Page */
/** @typedef {import("playwright-core").Browser} Browser */

const ARTIFACTS = process.env.TICKHUB_E2E_ARTIFACTS ?? path.join(process.cwd(), "artifacts");

/** @type {Browser | null} */
let shared = null;

/** One browser per test file, started on first use, closed by {@link closeBrowser}. */
export async function browser() {
  shared ??= await chromium.launch({
    executablePath: process.env.TICKHUB_E2E_CHROMIUM || process.env.TICKHUB_CHROMIUM || "/usr/bin/chromium",
    headless: true,
    // /dev/shm is small in containers; Chromium then crashes tabs without this.
    args: ["--disable-dev-shm-usage"],
  });
  return shared;
}

export async function closeBrowser() {
  const open = shared;
  shared = null;
  await open?.close();
}

/**
 * A file-name-safe form of a test's name.
 * @param {string} name
 */
export function slug(name) {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 80);
}

/**
 * Save a full-page screenshot as artifacts/<test>--<step>.png; returns its path.
 * @param {Page} page
 * @param {string} testName
 * @param {string} step
 */
export async function screenshot(page, testName, step) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${slug(testName)}--${slug(step)}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * @typedef {object} BrowserTestContext
 * @property {Page} page a new page in a fresh browser context
 * @property {HubClient} hub the hub's api, with the right token
 * @property {(step: string) => Promise<string>} shot save a screenshot of this step
 * @property {string[]} consoleErrors what the page logged as errors so far
 * @property {(message: string) => void} note a line for the test report (a measurement)
 */

/**
 * A node:test test that gets a fresh page; on failure it saves a screenshot of what
 * the page showed and the page's console errors, then fails as the body did.
 * @param {string} name
 * @param {(context: BrowserTestContext) => Promise<void>} body
 * @param {{ timeout?: number }} [options]
 */
export function browserTest(name, body, { timeout = 90_000 } = {}) {
  test(name, { timeout }, async (t) => {
    const context = await (await browser()).newContext({ viewport: { width: 1440, height: 900 } });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    /** @type {string[]} */
    const consoleErrors = [];
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    page.on("pageerror", (error) => consoleErrors.push(String(error)));
    try {
      await body({
        page,
        hub: HubClient.fromEnv(),
        shot: (step) => screenshot(page, name, step),
        consoleErrors,
        note: (message) => t.diagnostic(message),
      });
    } catch (error) {
      const file = await screenshot(page, name, "failure").catch(() => "(no screenshot)");
      const errors = consoleErrors.length ? `\npage console errors:\n  ${consoleErrors.join("\n  ")}` : "";
      if (error instanceof Error) {
        error.message += `\nscreenshot: ${file}${errors}`;
      }
      throw error;
    } finally {
      await context.close();
    }
  });
}
