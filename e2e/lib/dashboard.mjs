// @ts-check
/**
 * What the tests do on the dashboard and read from it, in one place: the selectors
 * are the dashboard's own data-testid attributes and accessible names.
 */
import { until } from "./wait.mjs";

/** @typedef {import("playwright-core").Page} Page */
/** @typedef {import("./client.mjs").HubClient} HubClient */

/** The demo accounts `tickhub up` seeds: sim-a is preferred (priority 1), sim-b its backup. */
export const PRIMARY = "sim-a";
export const BACKUP = "sim-b";

/**
 * Open the dashboard and sign in on its login screen with `token`.
 * @param {Page} page
 * @param {HubClient} hub
 * @param {string} [token] default: the hub's own
 */
export async function signIn(page, hub, token = hub.token) {
  await page.goto(`${hub.baseUrl}/`);
  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/**
 * Sign in and wait for the gateway table.
 * @param {Page} page
 * @param {HubClient} hub
 */
export async function openDashboard(page, hub) {
  await signIn(page, hub);
  await page.getByTestId("gateway-table").waitFor();
}

/**
 * @param {Page} page
 * @param {string} name
 */
export function gatewayRow(page, name) {
  return page.getByTestId(`gateway-row-${name}`);
}

/**
 * Wait until the dashboard shows `name` in health `state` (the row's data-health, which
 * the health badge's word and colour follow).
 * @param {Page} page
 * @param {string} name
 * @param {string} state
 * @param {number} [timeout]
 */
export async function waitForHealth(page, name, state, timeout = 30_000) {
  await page.locator(`[data-testid="gateway-row-${name}"][data-health="${state}"]`).waitFor({ timeout });
}

/**
 * The health badge in `name`'s row: its word and colour tone as shown.
 * @param {Page} page
 * @param {string} name
 */
export async function healthBadge(page, name) {
  const badge = gatewayRow(page, name).getByTestId("health-badge");
  return {
    word: (await badge.innerText()).trim(),
    tone: await badge.getAttribute("data-tone"),
  };
}

/**
 * Start recording, inside the page, every health state each gateway row shows and
 * every failover event the event list shows, each with the moment it appeared (the
 * page's clock, which is this machine's): something on screen only briefly between
 * two of the test's looks is still seen, and its timing is exact.
 * @param {Page} page
 */
export async function recordTimeline(page) {
  await page.evaluate(() => {
    /** @type {{ name: string, state: string, at: number }[]} */
    const health = [];
    /** @type {{ kind: string, text: string, at: number }[]} */
    const failovers = [];
    /** @type {Map<string, string>} */
    const last = new Map();
    const known = new Set();
    let first = true;
    const look = () => {
      for (const row of document.querySelectorAll('[data-testid^="gateway-row-"]')) {
        const element = /** @type {HTMLElement} */ (row);
        const name = (element.dataset.testid ?? "").slice("gateway-row-".length);
        const state = element.dataset.health ?? "";
        if (last.get(name) !== state) {
          last.set(name, state);
          health.push({ name, state, at: Date.now() });
        }
      }
      for (const item of document.querySelectorAll('[data-testid="failover-event"]')) {
        const element = /** @type {HTMLElement} */ (item);
        const text = element.innerText;
        if (known.has(text)) continue;
        known.add(text);
        // Those already listed when recording starts are history, not news.
        if (!first) failovers.push({ kind: element.dataset.kind ?? "", text, at: Date.now() });
      }
      first = false;
    };
    new MutationObserver(look).observe(document.body, {
      subtree: true,
      childList: true,
      characterData: true,
      attributes: true,
      attributeFilter: ["data-health", "data-kind"],
    });
    look();
    /** @type {any} */ (window).__tickhubTimeline = { health, failovers };
  });
}

/**
 * @typedef {object} Timeline
 * @property {{ name: string, state: string, at: number }[]} health
 * @property {{ kind: string, text: string, at: number }[]} failovers
 */

/**
 * What the page showed since {@link recordTimeline}, oldest first.
 * @param {Page} page
 * @returns {Promise<Timeline>}
 */
export async function timeline(page) {
  return /** @type {Timeline} */ (
    await page.evaluate(() => /** @type {any} */ (window).__tickhubTimeline ?? { health: [], failovers: [] })
  );
}

/**
 * The health states `name`'s row showed since {@link recordTimeline}, oldest first.
 * @param {Page} page
 * @param {string} name
 */
export async function healthSeen(page, name) {
  const { health } = await timeline(page);
  return health.filter((entry) => entry.name === name).map(({ state, at }) => ({ state, at }));
}

/**
 * Wait until the hub is as every test expects to find it: both demo accounts enabled,
 * their workers running and connected, judged HEALTHY, and routing back on the
 * primary (a test that broke something waits for this at its end, too).
 * @param {HubClient} hub
 * @param {number} [timeoutMs]
 */
export async function settled(hub, timeoutMs = 60_000) {
  await until(
    "both demo gateways enabled, running, connected and HEALTHY",
    async () => {
      const demo = (await hub.gateways()).filter((g) => g.name === PRIMARY || g.name === BACKUP);
      const fine = demo.filter(
        (g) => g.is_enabled && g.state === "running" && g.connected && g.health === "HEALTHY",
      );
      // Thrown, so that a timeout says what the gateways looked like instead.
      if (fine.length !== 2) throw new Error(JSON.stringify(demo.map((g) => [g.name, g.state, g.health])));
      return true;
    },
    { timeoutMs, intervalMs: 500 },
  );
}
