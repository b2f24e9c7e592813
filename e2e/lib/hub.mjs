// @ts-check
/**
 * A real hub for the browser tests: `.venv/bin/tickhub up` on free ports with a data
 * dir of its own, stopped afterwards with nothing left running.
 *
 * Everything the hub starts (services, gateway workers, nats-server, PostgreSQL) runs
 * with its working directory inside the hub's temporary directory, and `tickhub up`
 * starts each in a session of its own: so `stop()` signals `tickhub up`'s process
 * group, which stops the rest in order, and then sweeps /proc for any process still
 * working inside that directory (a safety net for a hub that was killed hard).
 */
import { spawn, execFile } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

import { HubClient } from "./client.mjs";
import { freePorts } from "./ports.mjs";
import { until } from "./wait.mjs";

const run = promisify(execFile);

/**
 * Short thresholds so failures are judged and mended in seconds rather than the
 * production defaults' tens of seconds; every name is a tickhub Settings field.
 * @type {Record<string, string>}
 */
export const FAST_SETTINGS = {
  TICKHUB_LOG_LEVEL: "INFO",
  TICKHUB_STATUS_INTERVAL_S: "1",
  TICKHUB_HEALTH_PUBLISH_S: "1",
  TICKHUB_CANARY_TIMEOUT_S: "2",
  TICKHUB_STARTUP_GRACE_S: "15",
  // Long enough that an operator's Hard restart of a failed source (04-restart) comes
  // before the failover service's own.
  TICKHUB_RESTART_COOLDOWN_S: "5",
  TICKHUB_RESTART_BACKOFF_MAX_S: "5",
  TICKHUB_RESTART_RESET_S: "10",
  TICKHUB_FAILBACK_HOLD_S: "3",
  TICKHUB_RESTART_GRACE_S: "2",
  TICKHUB_POOL_POLL_S: "1",
};

/** How long a starting hub may take: initdb of the embedded PostgreSQL is the slow part. */
const READY_TIMEOUT_MS = 120_000;
/** SIGTERM to SIGKILL when stopping: `tickhub up` stops its services in order first. */
const STOP_GRACE_MS = 30_000;

/**
 * @typedef {object} HubOptions
 * @property {string} repo the repository root (holds .venv and frontend/out)
 * @property {string} [dashboard] the static export to serve (default: repo/frontend/out)
 * @property {string} artifacts where the hub's log goes
 * @property {NodeJS.ProcessEnv} [env] the environment to start from (default: ours)
 * @property {(line: string) => void} [say] progress lines
 * @property {(hub: Hub) => void} [created] told the hub before it starts, so that an
 *   interrupt can stop one that is still starting
 */

export class HubError extends Error {}

export class Hub extends HubClient {
  /**
   * @param {string} repo
   * @param {string} base the hub's temporary directory (its data dir is `base/data`)
   * @param {string} logPath
   * @param {string} dashboardDir
   */
  constructor(repo, base, logPath, dashboardDir) {
    super("", crypto.randomBytes(24).toString("base64url"));
    this.repo = repo;
    this.base = base;
    this.dataDir = path.join(base, "data");
    this.logPath = logPath;
    this.dashboardDir = dashboardDir;
    this.natsUrl = "";
    this.zmqPub = "";
    /** @type {string | null} the admin URL and schema of a TICKHUB_TEST_DATABASE_URL run */
    this.adminUrl = null;
    this.schema = "";
    /** @type {import("node:child_process").ChildProcess | null} */
    this.process = null;
    /** @type {Promise<number | null> | null} resolves with the exit code once `up` ended */
    this.exited = null;
  }

  /**
   * Start a hub and wait until the api is ready and every demo gateway relays ticks.
   * @param {HubOptions} options
   * @returns {Promise<Hub>}
   */
  static async start({ repo, artifacts, dashboard, env = process.env, say = () => {}, created = () => {} }) {
    const tickhub = path.join(repo, ".venv", "bin", "tickhub");
    if (!fs.existsSync(tickhub)) {
      throw new HubError(`${tickhub} not found: run \`make setup\` first`);
    }
    const dashboardDir = path.resolve(dashboard || path.join(repo, "frontend", "out"));
    if (!fs.existsSync(path.join(dashboardDir, "index.html"))) {
      throw new HubError(`no dashboard in ${dashboardDir}: build it (\`make setup\`)`);
    }
    fs.mkdirSync(artifacts, { recursive: true });
    // PostgreSQL refuses root and then runs as an unprivileged user, which must be
    // able to pass through this directory (mkdtemp makes it 700).
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "tickhub-e2e-"));
    fs.chmodSync(base, 0o711);
    const hub = new Hub(repo, base, path.join(artifacts, "hub.log"), dashboardDir);
    created(hub);
    try {
      const admin = env.TICKHUB_TEST_DATABASE_URL;
      if (admin) await hub.createSchema(admin);
      // Another program may take a port between our probe and the hub's bind: `up`
      // then refuses to start (exit 2, "in use") and we try again with new ports.
      for (let attempt = 1; ; attempt++) {
        const code = await hub.launch(tickhub, env, say);
        if (code === undefined) break;
        const log = hub.logTail();
        if (!(code === 2 && /in use/.test(log)) || attempt === 3) {
          throw new HubError(`tickhub up exited with code ${code}:\n${log}`);
        }
        say(`a port was taken, starting again (${attempt})`);
      }
      await hub.waitForGateways();
      return hub;
    } catch (error) {
      await hub.stop();
      throw error;
    }
  }

  /**
   * Start `tickhub up` and wait for /health/ready; the exit code if it ended first.
   * @param {string} tickhub
   * @param {NodeJS.ProcessEnv} parentEnv
   * @param {(line: string) => void} say
   * @returns {Promise<number | undefined>}
   */
  async launch(tickhub, parentEnv, say) {
    const [natsPort, apiPort, zmqPort] = await freePorts(3);
    this.baseUrl = `http://127.0.0.1:${apiPort}`;
    this.natsUrl = `nats://127.0.0.1:${natsPort}`;
    this.zmqPub = `tcp://127.0.0.1:${zmqPort}`;
    const env = this.environment(parentEnv, { natsPort, apiPort });
    const log = fs.openSync(this.logPath, "a");
    say(`starting tickhub up (api ${this.baseUrl}, data dir ${this.dataDir})`);
    const child = spawn(tickhub, ["up"], {
      // Its own cwd: Settings reads a `.env` from the working directory, and a
      // developer's .env must not steer the test hub.
      cwd: this.base,
      env,
      detached: true, // its own process group, which stop() signals
      stdio: ["ignore", log, log],
    });
    fs.closeSync(log);
    this.process = child;
    this.exited = new Promise((resolve) => {
      child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : null)));
      child.on("error", () => resolve(127));
    });
    const ended = this.exited.then((code) => ({ code }));
    const ready = until(
      `${this.baseUrl}/health/ready`,
      async () => {
        const response = await fetch(`${this.baseUrl}/health/ready`);
        const body = /** @type {{ status?: string }} */ (await response.json());
        return body.status === "ready" || undefined;
      },
      { timeoutMs: READY_TIMEOUT_MS, intervalMs: 500 },
    ).then(() => ({ code: undefined }));
    const first = await Promise.race([ready, ended]);
    if (first.code !== undefined) {
      ready.catch(() => {}); // it will time out on its own; nobody waits for it
      this.process = null;
      return first.code ?? 1;
    }
    return undefined;
  }

  /**
   * The hub's environment: ours without any TICKHUB_* (a developer's own settings
   * must not leak in), then this hub's ports, token, database and fast thresholds.
   * @param {NodeJS.ProcessEnv} parentEnv
   * @param {{ natsPort: number, apiPort: number }} ports
   * @returns {NodeJS.ProcessEnv}
   */
  environment(parentEnv, { natsPort, apiPort }) {
    /** @type {NodeJS.ProcessEnv} */
    const env = {};
    for (const [key, value] of Object.entries(parentEnv)) {
      if (!key.startsWith("TICKHUB_")) env[key] = value;
    }
    Object.assign(env, FAST_SETTINGS, {
      TICKHUB_DATA_DIR: this.dataDir,
      TICKHUB_NATS_PORT: String(natsPort),
      TICKHUB_API_HOST: "127.0.0.1",
      TICKHUB_API_PORT: String(apiPort),
      TICKHUB_ZMQ_PUB: this.zmqPub,
      TICKHUB_API_TOKEN: this.token,
      TICKHUB_DASHBOARD_DIR: this.dashboardDir,
      PYTHONUNBUFFERED: "1",
    });
    if (this.adminUrl) env.TICKHUB_DATABASE_URL = withSchema(this.adminUrl, this.schema);
    return env;
  }

  /** Wait until both demo accounts' workers run, connected, relaying ticks. */
  async waitForGateways() {
    await until(
      "the demo gateways to run and relay ticks",
      async () => {
        const gateways = await this.gateways();
        const live = gateways.filter((g) => g.state === "running" && g.connected && g.ticks_per_s > 0);
        return (gateways.length >= 2 && live.length === gateways.length) || undefined;
      },
      { timeoutMs: READY_TIMEOUT_MS, intervalMs: 500 },
    );
  }

  /** The last lines of the hub's log, for an error message. */
  logTail(lines = 40) {
    try {
      return fs.readFileSync(this.logPath, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }

  /**
   * Stop the hub: SIGTERM to `tickhub up`'s group, SIGKILL after STOP_GRACE_MS, then
   * kill whatever still works inside the hub's directory, drop the test schema and
   * remove the directory. Safe to call twice and after a failed start.
   */
  async stop() {
    const child = this.process;
    this.process = null;
    if (child?.pid !== undefined && this.exited) {
      signalGroup(child.pid, "SIGTERM");
      /** @type {NodeJS.Timeout | undefined} */
      let timer;
      const grace = new Promise((resolve) => {
        timer = setTimeout(resolve, STOP_GRACE_MS, "timeout");
      });
      const outcome = await Promise.race([this.exited, grace]);
      clearTimeout(timer);
      if (outcome === "timeout") {
        process.stderr.write(`e2e: tickhub up did not stop in ${STOP_GRACE_MS / 1000} s: SIGKILL\n`);
        signalGroup(child.pid, "SIGKILL");
        await this.exited;
      }
    }
    await killLeftovers(this.base);
    if (this.adminUrl) {
      await this.dropSchema().catch((error) => {
        process.stderr.write(`e2e: could not drop schema ${this.schema}: ${error}\n`);
      });
      this.adminUrl = null;
    }
    fs.rmSync(this.base, { recursive: true, force: true });
  }

  /** Processes still working inside the hub's directory (should be none once stopped). */
  leftovers() {
    return processesUnder(this.base);
  }

  /**
   * A new schema on TICKHUB_TEST_DATABASE_URL's server for this hub alone, made with
   * the project's own asyncpg (as tests/integration/conftest.py's own_schema does).
   * @param {string} adminUrl
   */
  async createSchema(adminUrl) {
    this.schema = `e2e_${crypto.randomBytes(8).toString("hex")}`;
    await this.sql(adminUrl, `CREATE SCHEMA "${this.schema}"`);
    this.adminUrl = adminUrl;
  }

  async dropSchema() {
    if (this.adminUrl) await this.sql(this.adminUrl, `DROP SCHEMA "${this.schema}" CASCADE`);
  }

  /**
   * @param {string} url
   * @param {string} statement
   */
  async sql(url, statement) {
    const python = path.join(this.repo, ".venv", "bin", "python");
    const script = [
      "import asyncio, sys, asyncpg",
      "async def main():",
      "    connection = await asyncpg.connect(sys.argv[1], timeout=30)",
      "    try:",
      "        await connection.execute(sys.argv[2])",
      "    finally:",
      "        await connection.close()",
      "asyncio.run(main())",
    ].join("\n");
    await run(python, ["-c", script, url, statement], { timeout: 60_000 });
  }
}

/**
 * `url` with `?schema=`: tickhub's connections then live in that schema (the Python
 * tests' `with_schema`).
 * @param {string} url
 * @param {string} schema
 */
export function withSchema(url, schema) {
  return `${url}${url.includes("?") ? "&" : "?"}schema=${schema}`;
}

/**
 * @param {number} pid
 * @param {NodeJS.Signals} signal
 */
function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Pids of processes whose working directory is `dir` or inside it.
 * @param {string} dir
 * @returns {number[]}
 */
export function processesUnder(dir) {
  const root = fs.realpathSync(dir);
  /** @type {number[]} */
  const found = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cwd = fs.readlinkSync(`/proc/${entry}/cwd`);
      if (cwd === root || cwd.startsWith(`${root}/`)) found.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

/**
 * SIGKILL every process still inside `dir`, and wait (bounded) until none is left.
 * @param {string} dir
 */
async function killLeftovers(dir) {
  if (!fs.existsSync(dir)) return;
  const pids = processesUnder(dir);
  if (pids.length === 0) return;
  process.stderr.write(`e2e: killing processes the hub left behind: ${pids.join(" ")}\n`);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
  await until("the hub's leftover processes to end", () => processesUnder(dir).length === 0 || undefined, {
    timeoutMs: 10_000,
    intervalMs: 100,
  });
}
