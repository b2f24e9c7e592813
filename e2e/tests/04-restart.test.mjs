// @ts-check
/**
 * Hard restart from the dashboard: an operator restarts a failed source. Its feed is
 * stalled (a real `stall` fault: connected, beating, no ticks), the row turns
 * UNHEALTHY; Hard restart asks for confirmation, then the row shows the clean new
 * process RECOVERING and then HEALTHY.
 *
 * (A hard restart of a HEALTHY source is RECOVERING too; the failed source is the
 * case the operator is paged for.)
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";

import { browserTest, closeBrowser } from "../lib/browser.mjs";
import { command, natsUrl } from "../lib/bus.mjs";
import { HubClient } from "../lib/client.mjs";
import { BACKUP, healthSeen, openDashboard, recordTimeline, settled, waitForHealth } from "../lib/dashboard.mjs";
import { until } from "../lib/wait.mjs";

before(() => settled(HubClient.fromEnv()));
after(closeBrowser);

browserTest("Hard restart shows RECOVERING then HEALTHY", async ({ page, hub, shot }) => {
  try {
    await openDashboard(page, hub);
    await waitForHealth(page, BACKUP, "HEALTHY");
    const before = await hub.gateway(BACKUP);
    assert.ok(before.pid, "the worker has a pid");
    await recordTimeline(page);

    await command(natsUrl(), BACKUP, "fault", "stall");
    await waitForHealth(page, BACKUP, "UNHEALTHY", 15_000);

    await page.getByRole("button", { name: `Hard restart ${BACKUP}` }).click();
    const dialog = page.getByRole("alertdialog");
    await dialog.waitFor();
    assert.match(await dialog.innerText(), new RegExp(`Hard restart ${BACKUP}\\?`));
    await shot("confirm");
    assert.equal((await hub.gateway(BACKUP)).pid, before.pid, "nothing happens before the confirmation");
    await dialog.getByRole("button", { name: "Hard restart" }).click();
    await page.getByText(`${BACKUP} restarted`).waitFor(); // the api accepted it

    // What the row showed, from the page's own record.
    /** @returns {Promise<string[]>} */
    const states = async () => (await healthSeen(page, BACKUP)).map((entry) => entry.state);
    await until("RECOVERING on the row", async () => {
      const seen = await states();
      if (!seen.includes("RECOVERING")) throw new Error(seen.join(" -> "));
      return true;
    });
    await shot("recovering");
    await until(
      "HEALTHY after RECOVERING",
      async () => {
        const seen = await states();
        if (seen.indexOf("HEALTHY", seen.indexOf("RECOVERING")) < 0) throw new Error(seen.join(" -> "));
        return true;
      },
      { timeoutMs: 45_000 },
    );
    await shot("healthy-again");

    // One clean new process, and it was this restart: the failover service's own
    // (after its cool-down) never came, or the count would be two.
    const after = await hub.gateway(BACKUP);
    assert.notEqual(after.pid, before.pid);
    assert.equal(after.restarts, before.restarts + 1, `restarts ${before.restarts} -> ${after.restarts}`);
  } finally {
    await settled(hub);
  }
});
