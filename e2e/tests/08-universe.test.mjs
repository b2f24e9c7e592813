// @ts-check
/**
 * The Universe page: an entry added in its form is stored by the api and listed with
 * the kind the api read from it; the summary shows the trading day. The entry is
 * removed afterwards (through the api), so the hub is left as it was found.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";

import { browserTest, closeBrowser } from "../lib/browser.mjs";
import { HubClient } from "../lib/client.mjs";
import { openDashboard, settled } from "../lib/dashboard.mjs";

/** A contract no demo account names, so adding it changes nothing they relay. */
const ENTRY = "cu2701.SHFE";

/**
 * @typedef {object} Entry
 * @property {number} id
 * @property {string} text
 * @property {string} kind
 */

/**
 * @param {HubClient} hub
 * @returns {Promise<Entry[]>}
 */
async function entries(hub) {
  const list = /** @type {{ entries: Entry[] }} */ (await hub.api("GET", "/api/universe"));
  return list.entries;
}

before(() => settled(HubClient.fromEnv()));
after(closeBrowser);

browserTest("an entry added on the Universe page is stored and listed", async ({ page, hub, shot }) => {
  try {
    await openDashboard(page, hub);
    await page.getByRole("navigation").getByRole("link", { name: "Universe" }).click();
    await page.getByRole("form", { name: "Add an entry" }).waitFor();
    await page.getByTestId("trading-day").filter({ hasText: /\d{4}-\d{2}-\d{2}/ }).waitFor();

    await page.getByLabel("Entry", { exact: true }).fill(ENTRY);
    await page.getByLabel("Note", { exact: true }).fill("e2e");
    await page.getByRole("button", { name: "Add", exact: true }).click();

    const row = page.getByTestId(`entry-row-${ENTRY}`);
    await row.waitFor();
    assert.match(await row.innerText(), /contract/);
    await shot("entry-added");
    // Stored by the api, not only shown.
    const stored = (await entries(hub)).find((e) => e.text === ENTRY);
    assert.ok(stored, `${ENTRY} is in GET /api/universe`);
    assert.equal(stored.kind, "contract");
  } finally {
    for (const entry of await entries(hub).catch(() => [])) {
      if (entry.text === ENTRY) await hub.api("DELETE", `/api/universe/${entry.id}`);
    }
    await settled(hub);
  }
});
