// @ts-check
/**
 * The dashboard shows every gateway live: both demo sims HEALTHY (green), connected,
 * relaying ticks, their last-tick age fresh, the live feed connected.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";

import { browserTest, closeBrowser } from "../lib/browser.mjs";
import { HubClient } from "../lib/client.mjs";
import { BACKUP, PRIMARY, gatewayRow, healthBadge, openDashboard, settled, waitForHealth } from "../lib/dashboard.mjs";
import { until } from "../lib/wait.mjs";

before(() => settled(HubClient.fromEnv()));
after(closeBrowser);

browserTest("the dashboard shows live gateway rows", async ({ page, hub, shot }) => {
  await openDashboard(page, hub);
  await page.locator('[data-testid="connection"][data-phase="live"]').waitFor();
  for (const name of [PRIMARY, BACKUP]) {
    await waitForHealth(page, name, "HEALTHY");
    assert.deepEqual(await healthBadge(page, name), { word: "HEALTHY", tone: "green" });
    const row = gatewayRow(page, name);
    // Ticks/s as the row shows it, above zero (sims send 2/s per contract).
    const rate = await until(`${name}'s ticks/s above 0`, async () => {
      const value = Number(await row.getByTestId("ticks-per-s").innerText());
      return value > 0 ? value : undefined;
    });
    assert.ok(rate > 0);
    assert.match(await row.innerText(), /\byes\b/); // connected
    // The newest tick is seconds old at most: the row is live, not a stale snapshot.
    const age = await until(`${name}'s last tick age`, async () => {
      const text = await row.getByTestId("tick-age").innerText();
      const match = /^([\d.]+) s$/.exec(text.trim());
      return match ? Number(match[1]) : undefined;
    });
    assert.ok(age < 5, `last tick ${age} s old`);
  }
  // A live view: the age keeps moving (it ticks up between ticks and drops as new
  // ones arrive over /ws) and stays fresh, without a reload.
  const ageCell = gatewayRow(page, PRIMARY).getByTestId("tick-age");
  const first = await ageCell.innerText();
  await until("the last-tick age to move", async () => ((await ageCell.innerText()) !== first ? true : undefined), {
    timeoutMs: 10_000,
  });
  await page.getByTestId("canary-monitor").waitFor();
  await page.getByTestId(`canary-${PRIMARY}`).getByTestId("sparkline").waitFor();
  await shot("live");
});
