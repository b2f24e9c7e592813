// @ts-check
/**
 * The log page filters ERROR rows. The ERROR is a real one: an account whose login is
 * rejected (a sim with fail_login, as a wrong CTP password) is never retried, and the
 * failover service logs at ERROR that it needs the operator. With INFO and WARN off,
 * only ERROR rows remain, highlighted.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";

import { browserTest, closeBrowser } from "../lib/browser.mjs";
import { HubClient } from "../lib/client.mjs";
import { openDashboard, settled } from "../lib/dashboard.mjs";

const REJECTED = "sim-rejected";

before(() => settled(HubClient.fromEnv()));
after(closeBrowser);

browserTest("the log page filters ERROR rows", async ({ page, hub, shot }) => {
  /** @type {number | null} */
  let accountId = null;
  try {
    await openDashboard(page, hub);
    await page.getByRole("navigation").getByRole("link", { name: "Logs" }).click();
    const rows = page.getByTestId("log-row");
    await rows.first().waitFor();

    const created = /** @type {{ id: number }} */ (
      await hub.api("POST", "/api/accounts", {
        name: REJECTED,
        gateway_type: "sim",
        priority: 9,
        is_enabled: true,
        canary: "rb2605.SHFE",
        contracts: [],
        sim: { fail_login: true },
      })
    );
    accountId = created.id;

    // Its ERROR arrives live, among everyone's INFO and WARNING lines.
    const errorRow = page.locator('[data-testid="log-row"][data-level="ERROR"]', { hasText: REJECTED });
    await errorRow.first().waitFor({ timeout: 30_000 });
    const infoRows = page.locator('[data-testid="log-row"][data-level="INFO"]');
    assert.ok((await infoRows.count()) > 0, "INFO rows are shown before filtering");
    // Highlighted: an ERROR row has a background of its own; an INFO row has none.
    /** @param {import("playwright-core").Locator} row */
    const background = (row) => row.first().evaluate((e) => getComputedStyle(e).backgroundColor);
    const errorBackground = await background(errorRow);
    assert.notEqual(errorBackground, await background(infoRows));
    assert.doesNotMatch(errorBackground, /^(transparent|rgba\(0, 0, 0, 0\))$/);
    await shot("all-levels");

    for (const level of ["INFO", "WARN"]) {
      const chip = page.getByTestId(`level-${level}`);
      await chip.click();
      assert.equal(await chip.getAttribute("aria-pressed"), "false");
    }
    assert.equal(await page.getByTestId("level-ERROR").getAttribute("aria-pressed"), "true");
    await page.locator('[data-testid="log-row"][data-level="INFO"]').first().waitFor({ state: "detached" });

    const levels = await rows.evaluateAll((elements) => elements.map((e) => e.getAttribute("data-level")));
    assert.ok(levels.length > 0, "ERROR rows remain");
    assert.deepEqual([...new Set(levels)].filter((l) => l !== "CRITICAL"), ["ERROR"]);
    assert.match(await errorRow.first().innerText(), /operator/i);
    await shot("errors-only");

    // And back: INFO on again shows the INFO lines again.
    await page.getByTestId("level-INFO").click();
    await infoRows.first().waitFor();
  } finally {
    if (accountId !== null) await hub.api("DELETE", `/api/accounts/${accountId}`);
    await settled(hub);
  }
});
