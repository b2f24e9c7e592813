/**
 * Everything the dashboard shows live, built from the /ws snapshot and the events after
 * it. Updates land in a working state at once; listeners are told through `schedule`
 * (in the browser: once per animation frame), so a burst of log lines costs one render
 * rather than one per line, and a hidden tab does not render at all.
 */

import { ExternalStore } from "./external-store";
import { isUniverseEvent } from "./universe-events";
import { INITIAL_CONNECTION, type ConnectionInfo } from "./ws-client";
import type {
  ContractRoute,
  FailoverEvent,
  GatewayStatus,
  GatewayView,
  LogRecord,
  PublisherStats,
  RestartEvent,
  ServerMessage,
  SnapshotMessage,
  SourceHealth,
} from "./types";

export const LOG_LIMIT = 2000;
export const EVENT_LIMIT = 50;
export const CANARY_POINTS = 120;

export interface LogEntry extends LogRecord {
  /** Arrival order in this page: the React key and the pause bookmark. */
  id: number;
}

export interface CanaryPoint {
  /** Epoch ms of the health verdict. */
  t: number;
  ms: number;
}

export interface LiveState {
  connection: ConnectionInfo;
  /** When the newest snapshot was taken (server time), null before the first. */
  snapshotAt: string | null;
  /** Server clock minus ours, in ms, from the snapshot's and the pings' `at`. */
  clockOffsetMs: number;
  gateways: GatewayView[];
  /** Local time (ms) the gateways list was taken (its canary_age_s count from there). */
  gatewaysAt: number;
  statuses: Readonly<Record<string, GatewayStatus>>;
  health: Readonly<Record<string, SourceHealth>>;
  canary: Readonly<Record<string, readonly CanaryPoint[]>>;
  routes: Readonly<Record<string, ContractRoute>>;
  /** The publisher's newest counts since the snapshot (its gateways carry the older). */
  publisher: PublisherStats | null;
  failovers: readonly FailoverEvent[];
  restarts: readonly RestartEvent[];
  logs: readonly LogEntry[];
  /** Log lines received in this page, including those dropped from the buffer. */
  logsTotal: number;
  /** Bumped by every `accounts` message: the account list is to be read again. */
  accountsVersion: number;
  /** Bumped by every universe event (lib/universe-events.ts): the Universe page reads again. */
  universeVersion: number;
  /** What the api says of its own links (snapshot; pings repeat nats); null: not said. */
  backend: { nats: string | null; database: string | null };
}

export const INITIAL_STATE: LiveState = {
  connection: INITIAL_CONNECTION,
  snapshotAt: null,
  clockOffsetMs: 0,
  gateways: [],
  gatewaysAt: 0,
  statuses: {},
  health: {},
  canary: {},
  routes: {},
  publisher: null,
  failovers: [],
  restarts: [],
  logs: [],
  logsTotal: 0,
  accountsVersion: 0,
  universeVersion: 0,
  backend: { nats: null, database: null },
};

export type Scheduler = (flush: () => void) => void;

export interface LiveStoreOptions {
  logLimit?: number;
  /** How listeners are told; default: at once. */
  schedule?: Scheduler;
  now?: () => number;
}

function appendBounded<T>(list: readonly T[], items: readonly T[], limit: number): T[] {
  const joined = list.length + items.length <= limit ? [...list, ...items] : [...list, ...items].slice(-limit);
  return joined;
}

function ms(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const value = Date.parse(iso);
  return Number.isNaN(value) ? null : value;
}

function logKey(record: LogRecord): string {
  return `${record.at}|${record.service}|${record.level}|${record.message}`;
}

function failoverKey(event: FailoverEvent): string {
  return `${event.at}|${event.kind}|${event.from_source}|${event.to_source}|${event.contracts.join(",")}`;
}

function restartKey(event: RestartEvent): string {
  return `${event.at}|${event.source}|${event.action}|${event.attempt}`;
}

/** How far back an event is looked for before it is taken as new: the api may send an
 * event its snapshot already held once more (docs/ws.md), right after the snapshot. */
const REPEAT_WINDOW = 64;

function seenRecently<T>(list: readonly T[], item: T, key: (value: T) => string): boolean {
  const wanted = key(item);
  for (let i = list.length - 1; i >= 0 && i >= list.length - REPEAT_WINDOW; i--) {
    if (key(list[i]!) === wanted) return true;
  }
  return false;
}

export class LiveStore extends ExternalStore<LiveState> {
  private working: LiveState;
  private pending = false;
  private nextLogId = 1;
  private readonly logLimit: number;
  private readonly schedule: Scheduler | undefined;
  private readonly now: () => number;

  constructor(options: LiveStoreOptions = {}) {
    super(INITIAL_STATE);
    this.working = INITIAL_STATE;
    this.logLimit = options.logLimit ?? LOG_LIMIT;
    this.schedule = options.schedule;
    this.now = options.now ?? Date.now;
  }

  /** The working state, newer than what listeners were last told of. */
  get current(): LiveState {
    return this.working;
  }

  /** Tell listeners now (tests; and before reading back what was just applied). */
  flush = (): void => {
    this.pending = false;
    this.setState(this.working);
  };

  private update(patch: Partial<LiveState>): void {
    this.working = { ...this.working, ...patch };
    if (!this.schedule) {
      this.flush();
      return;
    }
    if (!this.pending) {
      this.pending = true;
      this.schedule(this.flush);
    }
  }

  setConnection(connection: ConnectionInfo): void {
    this.update({ connection });
  }

  setGateways(gateways: GatewayView[]): void {
    this.update({ gateways, gatewaysAt: this.now() });
  }

  /** One gateway as the api just answered for it (a control command's reply). */
  takeView(view: GatewayView): void {
    const found = this.working.gateways.some((g) => g.account_id === view.account_id);
    const gateways = found
      ? this.working.gateways.map((g) => (g.account_id === view.account_id ? view : g))
      : [...this.working.gateways, view];
    // The reply is newer than a status held for the source: drop the older one.
    const status = this.working.statuses[view.name];
    let statuses = this.working.statuses;
    if (status && view.status_at && (ms(status.at) ?? 0) <= (ms(view.status_at) ?? 0)) {
      const { [view.name]: _dropped, ...rest } = statuses;
      void _dropped;
      statuses = rest;
    }
    this.update({ gateways, statuses });
  }

  apply(message: ServerMessage): void {
    if (isUniverseEvent(message)) {
      this.update({ universeVersion: this.working.universeVersion + 1 });
      return;
    }
    switch (message.type) {
      case "snapshot":
        this.applySnapshot(message);
        return;
      case "status": {
        const old = this.working.statuses[message.data.source];
        if (old && (ms(old.at) ?? 0) > (ms(message.data.at) ?? 0)) return;
        this.update({ statuses: { ...this.working.statuses, [message.data.source]: message.data } });
        return;
      }
      case "health":
        this.applyHealth([message.data]);
        return;
      case "route": {
        const routes = { ...this.working.routes };
        if (message.data === null) delete routes[message.vt_symbol];
        else routes[message.vt_symbol] = message.data;
        this.update({ routes });
        return;
      }
      case "failover":
        if (seenRecently(this.working.failovers, message.data, failoverKey)) return;
        this.update({ failovers: appendBounded(this.working.failovers, [message.data], EVENT_LIMIT) });
        return;
      case "restart":
        if (seenRecently(this.working.restarts, message.data, restartKey)) return;
        this.update({ restarts: appendBounded(this.working.restarts, [message.data], EVENT_LIMIT) });
        return;
      case "log":
        if (seenRecently(this.working.logs, message.data, logKey)) return;
        this.appendLogs([message.data]);
        return;
      case "accounts":
        this.update({ accountsVersion: this.working.accountsVersion + 1 });
        return;
      case "publisher": {
        const held = this.working.publisher;
        if (held && (ms(held.at) ?? 0) > (ms(message.data.at) ?? 0)) return;
        this.update({ publisher: message.data });
        return;
      }
      case "ping":
        this.update({
          clockOffsetMs: this.offsetFrom(message.at),
          backend: message.nats === undefined ? this.working.backend : { ...this.working.backend, nats: message.nats },
        });
        return;
      default:
        return; // a newer api's message type: nothing to show for it yet
    }
  }

  private offsetFrom(at: string): number {
    const server = ms(at);
    return server === null ? this.working.clockOffsetMs : server - this.now();
  }

  private applySnapshot(snapshot: SnapshotMessage): void {
    const health: Record<string, SourceHealth> = {};
    for (const item of snapshot.health ?? []) health[item.source] = item;
    const routes: Record<string, ContractRoute> = {};
    for (const route of snapshot.routes ?? []) routes[route.vt_symbol] = route;
    this.working = {
      ...this.working,
      snapshotAt: snapshot.at,
      clockOffsetMs: this.offsetFrom(snapshot.at),
      backend: { nats: snapshot.nats ?? null, database: snapshot.database ?? null },
      gateways: snapshot.gateways ?? [],
      gatewaysAt: this.now(),
      // The snapshot's gateways are newer than any status held from before it.
      statuses: {},
      health: {},
      routes,
      // As with statuses: the snapshot's gateways hold the publisher's newest counts.
      publisher: null,
      failovers: (snapshot.failovers ?? []).slice(-EVENT_LIMIT),
      restarts: (snapshot.restarts ?? []).slice(-EVENT_LIMIT),
    };
    this.applyHealth(Object.values(health));
    this.appendLogs(this.newerLogs(snapshot.logs ?? []));
  }

  /** After a reconnect the snapshot repeats recent lines we already hold: keep those
   * after the newest we have (its own lines at the same instant compared by content). */
  private newerLogs(records: readonly LogRecord[]): LogRecord[] {
    const last = this.working.logs.at(-1);
    if (!last) return [...records];
    const lastAt = ms(last.at) ?? 0;
    const sameInstant = new Set(
      this.working.logs.filter((entry) => (ms(entry.at) ?? 0) === lastAt).map(logKey),
    );
    return records.filter((record) => {
      const at = ms(record.at) ?? 0;
      return at > lastAt || (at === lastAt && !sameInstant.has(logKey(record)));
    });
  }

  private applyHealth(items: readonly SourceHealth[]): void {
    if (items.length === 0) {
      this.update({});
      return;
    }
    const health = { ...this.working.health };
    const canary = { ...this.working.canary };
    for (const item of items) {
      health[item.source] = item;
      const t = ms(item.at);
      if (item.canary_latency_ms === null || item.canary_latency_ms === undefined || t === null) continue;
      const points = canary[item.source] ?? [];
      const lastPoint = points.at(-1);
      if (lastPoint && lastPoint.t >= t) continue; // a repeat of a verdict we have
      canary[item.source] = appendBounded(points, [{ t, ms: item.canary_latency_ms }], CANARY_POINTS);
    }
    this.update({ health, canary });
  }

  private appendLogs(records: readonly LogRecord[]): void {
    if (records.length === 0) {
      this.update({});
      return;
    }
    const entries = records.map((record) => ({ ...record, id: this.nextLogId++ }));
    this.update({
      logs: appendBounded(this.working.logs, entries, this.logLimit),
      logsTotal: this.working.logsTotal + entries.length,
    });
  }
}
