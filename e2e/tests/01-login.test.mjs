// @ts-check
/**
 * The login screen: a wrong token is refused there, with a clear message and nothing
 * kept; the right one opens the dashboard and is remembered across a reload.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";

import { browserTest, closeBrowser } from "../lib/browser.mjs";
import { HubClient } from "../lib/client.mjs";
import { settled, signIn } from "../lib/dashboard.mjs";

before(() => settled(HubClient.fromEnv()));
after(closeBrowser);

browserTest("a wrong token is refused at the login screen", async ({ page, hub, shot }) => {
  await signIn(page, hub, `wrong-${hub.token}`);
  // The login form's own alert (Next has an empty route announcer with that role too).
  const error = page.getByRole("alert").filter({ hasText: /token/i });
  await error.waitFor();
  assert.match(await error.innerText(), /not the api's token/i);
  await shot("refused");
  // Still the login screen: no dashboard, and the wrong token was not kept.
  assert.equal(await page.getByTestId("gateway-table").count(), 0);
  assert.equal(await page.getByLabel("API token").isVisible(), true);
  const stored = await page.evaluate(() => Object.values(localStorage));
  assert.ok(!stored.some((value) => value.includes("wrong-")), `kept: ${stored}`);

  // The api refuses it too, so the screen is not just guessing.
  const response = await fetch(`${hub.baseUrl}/api/gateways`, {
    headers: { authorization: `Bearer wrong-${hub.token}` },
  });
  assert.equal(response.status, 401);
});

browserTest("the right token opens the dashboard and is remembered", async ({ page, hub, shot }) => {
  await signIn(page, hub);
  await page.getByTestId("gateway-table").waitFor();
  await shot("signed-in");
  await page.reload();
  await page.getByTestId("gateway-table").waitFor();
  assert.equal(await page.getByLabel("API token").count(), 0);
});
