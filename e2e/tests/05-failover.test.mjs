// @ts-check
/**
 * The primary's worker killed (SIGKILL, from the test): within 3 s the dashboard shows
 * it UNHEALTHY and a failover event moving its contracts to the backup; the failover
 * service then restarts it and the routing fails back.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";

import { browserTest, closeBrowser } from "../lib/browser.mjs";
import { HubClient } from "../lib/client.mjs";
import {
  BACKUP,
  PRIMARY,
  healthSeen,
  openDashboard,
  recordTimeline,
  settled,
  timeline,
  waitForHealth,
} from "../lib/dashboard.mjs";
import { until } from "../lib/wait.mjs";

/** What the issue asks of the whole chain: worker dead -> verdict -> routing -> screen. */
const WITHIN_MS = 3_000;

before(() => settled(HubClient.fromEnv()));
after(closeBrowser);

browserTest("a killed primary shows UNHEALTHY and a failover event within 3 s", async ({ page, hub, shot, note }) => {
  try {
    await openDashboard(page, hub);
    await waitForHealth(page, PRIMARY, "HEALTHY");
    await waitForHealth(page, BACKUP, "HEALTHY");
    const { pid } = await hub.gateway(PRIMARY);
    assert.ok(pid, "the primary's worker has a pid");
    await recordTimeline(page);

    const killedAt = Date.now();
    process.kill(pid, "SIGKILL");

    // Wait longer than the bound, so that a slow run fails with how slow it was.
    const unhealthy = await until(
      `${PRIMARY} UNHEALTHY on the dashboard`,
      async () => (await healthSeen(page, PRIMARY)).find((entry) => entry.state === "UNHEALTHY"),
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    const event = await until(
      `a failover event from ${PRIMARY} on the dashboard`,
      async () =>
        (await timeline(page)).failovers.find((e) => e.kind === "failover" && e.text.includes(PRIMARY)),
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    await shot("failed-over");
    assert.ok(event.text.indexOf(PRIMARY) < event.text.indexOf(BACKUP), `from ${PRIMARY} to ${BACKUP}: ${event.text}`);
    const unhealthyMs = unhealthy.at - killedAt;
    const eventMs = event.at - killedAt;
    assert.ok(unhealthyMs <= WITHIN_MS, `UNHEALTHY shown ${unhealthyMs} ms after the kill`);
    assert.ok(eventMs <= WITHIN_MS, `failover event shown ${eventMs} ms after the kill`);
    note(`UNHEALTHY shown ${unhealthyMs} ms and the failover event ${eventMs} ms after the kill`);

    // The failover service restarts it after its cool-down; the new process proves
    // itself and the routing fails back to it.
    await waitForHealth(page, PRIMARY, "HEALTHY", 60_000);
    await until(
      `a failback to ${PRIMARY}`,
      async () => (await timeline(page)).failovers.find((e) => e.kind === "failback" && e.text.includes(PRIMARY)),
      { timeoutMs: 30_000 },
    );
    await shot("recovered");
  } finally {
    await settled(hub);
  }
});
