/**
 * One dashboard row per account: the api's view of it (GET /api/gateways or the
 * snapshot), overlaid with what the feed said since (the manager's status, the health
 * service's verdict, the routing table, the publisher's counts).
 */

import type {
  ConnectionState,
  ContractRoute,
  GatewayStatus,
  GatewayType,
  GatewayView,
  HealthState,
  PublisherStats,
  SourceHealth,
  TickDrops,
  ViewState,
} from "./types";

/** What the publisher says of a source it does not name: nothing of it was dropped. */
export const NO_DROPS: TickDrops = { duplicate: 0, stale: 0, future: 0, out_of_session: 0, replay: 0 };

export interface GatewayRow {
  accountId: number;
  name: string;
  gatewayType: GatewayType;
  priority: number;
  isEnabled: boolean;
  state: ViewState;
  /** The health verdict; null while no health service has judged the source. */
  health: HealthState | null;
  healthReason: string;
  healthSince: string | null;
  needsOperator: boolean;
  /** Rehearsal: tickhub's stand-in CTP library on a local front, not a broker. */
  localFront: boolean;
  reason: string;
  manualStop: boolean;
  pid: number | null;
  restarts: number;
  connected: boolean;
  connection: ConnectionState | null;
  lastTickAt: string | null;
  ticksPerS: number;
  canary: string;
  /** Epoch ms (server clock) the canary's newest tick arrived, as best known. */
  canaryReceivedMs: number | null;
  canaryLatencyMs: number | null;
  /** Contracts whose ticks go out from this source now. */
  active: string[];
  /** Contracts for which it stands by: eligible but not the active source. */
  backupFor: string[];
  /** Its ticks the publisher did not send, by reason; null: no word from the publisher. */
  drops: TickDrops | null;
  /** When the publisher gave those counts (or was last heard of, when drops is null). */
  dropsAt: string | null;
}

function ms(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const value = Date.parse(iso);
  return Number.isNaN(value) ? null : value;
}

export interface RowInputs {
  gateways: readonly GatewayView[];
  gatewaysAt: number;
  clockOffsetMs: number;
  statuses: Readonly<Record<string, GatewayStatus>>;
  health: Readonly<Record<string, SourceHealth>>;
  routes: Readonly<Record<string, ContractRoute>>;
  /** The publisher's counts from the feed, newer than the views' (null: none since). */
  publisher?: PublisherStats | null;
}

export function gatewayRows(inputs: RowInputs): GatewayRow[] {
  const routes = Object.values(inputs.routes);
  const haveRoutes = routes.length > 0;
  return inputs.gateways.map((view) => {
    const status = inputs.statuses[view.name];
    const fresh =
      status !== undefined && (view.status_at === null || (ms(status.at) ?? 0) >= (ms(view.status_at) ?? 0));
    const verdict = inputs.health[view.name];

    let canaryReceivedMs: number | null = null;
    if (fresh && status.canary_received_at) canaryReceivedMs = ms(status.canary_received_at);
    else if (verdict && verdict.canary_age_s !== null && verdict.canary_age_s !== undefined)
      canaryReceivedMs = (ms(verdict.at) ?? 0) - verdict.canary_age_s * 1000;
    else if (view.canary_age_s !== null)
      canaryReceivedMs = inputs.gatewaysAt + inputs.clockOffsetMs - view.canary_age_s * 1000;

    const active = haveRoutes
      ? routes.filter((r) => r.source === view.name).map((r) => r.vt_symbol)
      : [...view.active_symbols];
    const stats = inputs.publisher;
    const statsNewer =
      stats !== null && stats !== undefined && (!view.drops_at || (ms(stats.at) ?? 0) >= (ms(view.drops_at) ?? 0));
    const drops = statsNewer ? (stats.sources?.[view.name] ?? NO_DROPS) : (view.drops ?? null);
    const dropsAt = statsNewer ? stats.at : (view.drops_at ?? null);

    const backupFor = routes
      .filter((r) => r.source !== view.name && (r.eligible ?? []).includes(view.name))
      .map((r) => r.vt_symbol);

    const row: GatewayRow = {
      accountId: view.account_id,
      name: view.name,
      gatewayType: view.gateway_type,
      priority: view.priority,
      isEnabled: view.is_enabled,
      state: fresh ? status.state : view.state,
      health: verdict?.state ?? view.health ?? null,
      healthReason: verdict?.reason ?? view.health_reason ?? "",
      healthSince: verdict?.since ?? view.health_since ?? null,
      needsOperator: verdict?.needs_operator ?? view.needs_operator ?? false,
      localFront: view.local_front ?? false,
      reason: fresh ? (status.reason ?? "") : view.reason,
      manualStop: fresh ? (status.manual_stop ?? false) : view.manual_stop,
      pid: fresh ? (status.pid ?? null) : view.pid,
      restarts: fresh ? (status.restarts ?? 0) : view.restarts,
      connected: fresh ? status.state === "running" && status.connection === "connected" : view.connected,
      connection: fresh ? (status.connection ?? null) : view.connection,
      lastTickAt: fresh ? (status.last_tick_at ?? null) : view.last_tick_at,
      ticksPerS: fresh ? (status.ticks_per_s ?? 0) : view.ticks_per_s,
      canary: view.canary,
      canaryReceivedMs,
      canaryLatencyMs: verdict?.canary_latency_ms ?? null,
      active: active.sort(),
      backupFor: backupFor.sort(),
      drops,
      dropsAt,
    };
    return row;
  });
}
