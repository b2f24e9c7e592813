// @ts-check
/**
 * The real CTP path in the browser: a `tickhub ctp-front` beside the hub, a ctp
 * account on it (md_library local) with a wrong password. The front rejects the login
 * as CTP does, in Chinese (GB18030 on the wire); the operator reads that text as
 * Chinese, not mojibake, on the dashboard (the row's reason, a "local front" badge,
 * "needs operator") and on the Logs page.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before } from "node:test";

import { browserTest, closeBrowser } from "../lib/browser.mjs";
import { HubClient } from "../lib/client.mjs";
import { gatewayRow, openDashboard, settled } from "../lib/dashboard.mjs";
import { freePorts } from "../lib/ports.mjs";
import { until } from "../lib/wait.mjs";

const NAME = "ctp-wrongpw";
const REJECTED = "CTP:不合法的登录";
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/** @type {import("node:child_process").ChildProcess | null} */
let front = null;
let port = 0;

before(async () => {
  await settled(HubClient.fromEnv());
  const [frontPort, controlPort] = await freePorts(2);
  port = frontPort;
  const tickhub = path.join(repo, ".venv", "bin", "tickhub");
  front = spawn(tickhub, ["ctp-front", "--port", String(port), "--control-port", String(controlPort)], {
    env: { ...process.env, TICKHUB_CTP_FRONT_PASSWORD: "the-right-one" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const started = front;
  await new Promise((resolve, reject) => {
    started.once("exit", (code) => reject(new Error(`tickhub ctp-front exited with ${code}`)));
    started.stdout?.on("data", (chunk) => {
      if (String(chunk).includes("listening on")) resolve(undefined);
    });
  });
});

after(async () => {
  if (front && front.exitCode === null) {
    const stopping = new Promise((resolve) => front?.once("exit", resolve));
    front.kill("SIGTERM");
    await stopping;
  }
  await closeBrowser();
});

browserTest("a CTP login rejected in Chinese reads as Chinese on the dashboard and the logs", async ({ page, hub, shot }) => {
  /** @type {number | null} */
  let accountId = null;
  try {
    const created = /** @type {{ id: number }} */ (
      await hub.api("POST", "/api/accounts", {
        name: NAME,
        gateway_type: "ctp",
        priority: 9,
        is_enabled: true,
        canary: "rb2605.SHFE",
        contracts: [],
        ctp: {
          userid: "rehearsal",
          broker_id: "9999",
          password: "not-the-right-one",
          md_fronts: [`tcp://127.0.0.1:${port}`],
          md_library: "local",
          trading_hours: "always",
        },
      })
    );
    accountId = created.id;
    await until(
      "the api to report the rejected login",
      async () => {
        const view = (await hub.gateways()).find((g) => g.name === NAME);
        if (!view || !view.reason.includes(REJECTED)) throw new Error(JSON.stringify(view));
        return view;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );

    await openDashboard(page, hub);
    const row = gatewayRow(page, NAME);
    await row.getByTestId("needs-operator").waitFor({ timeout: 30_000 });
    await row.getByTestId("local-front").waitFor();
    // The process cell carries the manager's reason as its title (shown on hover).
    const reason = await row.locator(`[title*="${REJECTED}"]`).first().getAttribute("title");
    assert.ok(reason?.includes(REJECTED), `reason: ${reason}`);
    await shot("rejected-row");

    await page.getByRole("navigation").getByRole("link", { name: "Logs" }).click();
    await page.getByTestId("log-row").filter({ hasText: REJECTED }).first().waitFor({ timeout: 30_000 });
    await shot("rejected-log");
  } finally {
    if (accountId !== null) await hub.api("DELETE", `/api/accounts/${accountId}`);
    await settled(hub);
  }
}, { timeout: 150_000 });
