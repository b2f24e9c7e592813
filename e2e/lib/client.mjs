// @ts-check
/** The hub's REST api as the tests call it (bearer token, JSON, bounded waits). */

/**
 * A gateway row of `GET /api/gateways` (the fields the tests read).
 * @typedef {object} Gateway
 * @property {number} account_id
 * @property {string} name
 * @property {string} state
 * @property {string} reason
 * @property {boolean} [local_front]
 * @property {number | null} pid
 * @property {number} restarts
 * @property {boolean} connected
 * @property {number} ticks_per_s
 * @property {number} priority
 * @property {boolean} is_enabled
 * @property {string | null} [health]
 */

export class ApiError extends Error {
  /**
   * @param {string} message
   * @param {number} status
   */
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

export class HubClient {
  /**
   * @param {string} baseUrl e.g. http://127.0.0.1:8000
   * @param {string} token
   */
  constructor(baseUrl, token) {
    this.baseUrl = baseUrl;
    this.token = token;
  }

  /**
   * The hub the runner started, from the environment it hands each test file.
   * @returns {HubClient}
   */
  static fromEnv() {
    const { TICKHUB_E2E_URL: url, TICKHUB_E2E_TOKEN: token } = process.env;
    if (!url || !token) {
      throw new Error("TICKHUB_E2E_URL/TICKHUB_E2E_TOKEN unset: run the suite with `npm test` (run.mjs)");
    }
    return new HubClient(url, token);
  }

  /**
   * @param {string} method
   * @param {string} route e.g. "/api/gateways"
   * @param {unknown} [body]
   * @returns {Promise<unknown>}
   */
  async api(method, route, body) {
    const response = await fetch(`${this.baseUrl}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    if (!response.ok) throw new ApiError(`${method} ${route}: ${response.status} ${text}`, response.status);
    return text ? JSON.parse(text) : null;
  }

  /** @returns {Promise<Gateway[]>} */
  async gateways() {
    return /** @type {Gateway[]} */ (await this.api("GET", "/api/gateways"));
  }

  /**
   * @param {string} name
   * @returns {Promise<Gateway>}
   */
  async gateway(name) {
    const found = (await this.gateways()).find((g) => g.name === name);
    if (!found) throw new Error(`no gateway named ${name}`);
    return found;
  }
}
