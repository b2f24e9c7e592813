// @ts-check
/**
 * Turning an account off on /accounts (its enable Switch: a PUT to the api) stops its
 * worker, and its row on the dashboard turns STOPPED; on again, it comes back HEALTHY.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";

import { browserTest, closeBrowser } from "../lib/browser.mjs";
import { HubClient } from "../lib/client.mjs";
import { BACKUP, healthBadge, openDashboard, settled, waitForHealth } from "../lib/dashboard.mjs";

before(() => settled(HubClient.fromEnv()));
after(closeBrowser);

/**
 * @param {import("playwright-core").Page} page
 * @param {string} label
 */
async function goTo(page, label) {
  await page.getByRole("navigation").getByRole("link", { name: label }).click();
}

browserTest("turning an account off turns its row STOPPED", async ({ page, hub, shot }) => {
  const account = await hub.gateway(BACKUP);
  try {
    await openDashboard(page, hub);
    await waitForHealth(page, BACKUP, "HEALTHY");

    await goTo(page, "Accounts");
    const enable = page.getByTestId(`account-row-${BACKUP}`).getByRole("switch", { name: `Enable ${BACKUP}` });
    await enable.waitFor();
    assert.equal(await enable.getAttribute("aria-checked"), "true");
    await enable.click();
    await page.locator(`[data-testid="account-row-${BACKUP}"] [role="switch"][aria-checked="false"]`).waitFor();
    await shot("switched-off");
    // The switch is the database's state, not only the page's.
    assert.equal((await hub.gateway(BACKUP)).is_enabled, false);

    await goTo(page, "Dashboard");
    await waitForHealth(page, BACKUP, "STOPPED", 20_000);
    assert.deepEqual(await healthBadge(page, BACKUP), { word: "STOPPED", tone: "gray" });
    await shot("stopped-on-dashboard");

    await goTo(page, "Accounts");
    await enable.click();
    await page.locator(`[data-testid="account-row-${BACKUP}"] [role="switch"][aria-checked="true"]`).waitFor();
    await goTo(page, "Dashboard");
    await waitForHealth(page, BACKUP, "HEALTHY", 45_000);
    await shot("back-on");
  } finally {
    // Leave the account on for the next test, whatever happened above.
    if (!(await hub.gateway(BACKUP)).is_enabled) {
      await hub.api("PUT", `/api/accounts/${account.account_id}`, { is_enabled: true });
    }
    await settled(hub);
  }
});
