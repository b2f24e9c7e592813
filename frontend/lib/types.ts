/**
 * The api's JSON, typed: the /ws messages (docs/ws.md, which carry the NATS messages of
 * libs/contracts/src/tickhub_contracts/messages.py as they are) and the REST bodies
 * (services/api/src/tickhub_api/schemas.py, gateway_view.py, errors.py).
 *
 * Timestamps stay ISO strings, as they arrive: they are parsed where an age is shown.
 *
 * Written by hand, checked by tests/unit/api/test_dashboard_types.py: every string
 * literal and every field named here must be what the api sends (the contracts'
 * Literals and Structs, the api's OpenAPI document), so a change there fails the test
 * until this file follows.
 */

export type GatewayType = "ctp" | "sim";
export type ConnectionState = "connecting" | "connected" | "disconnected" | "login_failed";
export type ProcessState = "starting" | "running" | "stopping" | "stopped" | "exited" | "hung";
export type TradingHours = "exchange" | "always";

export const HEALTH_STATES = [
  "HEALTHY",
  "DEGRADED",
  "UNHEALTHY",
  "RECOVERING",
  "STARTING",
  "STOPPED",
  "MARKET_CLOSED",
] as const;
export type HealthState = (typeof HEALTH_STATES)[number];

export type HealthCause =
  | "ok"
  | "starting"
  | "process_exited"
  | "process_hung"
  | "heartbeat_lost"
  | "disconnected"
  | "login_rejected"
  | "canary_stale"
  | "lagging"
  | "stopped"
  | "market_closed"
  | "recovering"
  | "unknown";

export interface GatewayStatus {
  source: string;
  gateway_type: GatewayType;
  priority: number;
  state: ProcessState;
  at: string;
  pid?: number | null;
  restarts?: number;
  exit_code?: number | null;
  connection?: ConnectionState;
  reason_code?: number | null;
  reason?: string;
  manual_stop?: boolean;
  last_heartbeat_at?: string | null;
  canary?: string;
  canary_tick_at?: string | null;
  last_tick_at?: string | null;
  ticks_total?: number;
  /** How many contracts the worker holds subscribed now, canary included. */
  subscribed_count?: number;
  ticks_per_s?: number;
  canary_received_at?: string | null;
  contracts?: string[];
  trading_hours?: TradingHours;
  pid_started_at?: string | null;
}

export interface SourceHealth {
  source: string;
  state: HealthState;
  cause: HealthCause;
  reason: string;
  at: string;
  since: string;
  previous?: HealthState | null;
  gateway_type?: GatewayType;
  priority?: number;
  contracts?: string[];
  pid?: number | null;
  restarts?: number;
  connected?: boolean;
  heartbeat_age_s?: number | null;
  canary?: string;
  canary_age_s?: number | null;
  canary_latency_ms?: number | null;
  lag_ms?: number | null;
  in_session?: boolean;
  needs_operator?: boolean;
  detected_ms?: number | null;
  /** The exchanges' holiday calendar does not cover today, or ends soon: in words
   * (docs/holidays.md); empty when it is fine. Absent from an older health service. */
  calendar_warning?: string;
}

export type FailoverMode = "hot" | "cold";

export interface ContractRoute {
  vt_symbol: string;
  source: string;
  at: string;
  by?: string;
  eligible?: string[];
  mode?: FailoverMode;
  degraded?: boolean;
}

export type FailoverKind = "failover" | "failback" | "lost" | "restored";

export interface FailoverEvent {
  at: string;
  kind: FailoverKind;
  mode: FailoverMode;
  from_source: string | null;
  to_source: string | null;
  contracts: string[];
  reason: string;
  cause?: HealthCause | null;
  detected_ms?: number | null;
  switched_ms?: number | null;
}

export type RestartAction = "ordered" | "refused" | "succeeded" | "backing_off" | "needs_operator";

export interface RestartEvent {
  at: string;
  source: string;
  action: RestartAction;
  attempt: number;
  reason: string;
  next_in_s?: number | null;
}

export type LogLevel = "DEBUG" | "INFO" | "WARNING" | "ERROR" | "CRITICAL";

export interface LogRecord {
  at: string;
  level: LogLevel;
  service: string;
  message: string;
  logger?: string;
  source?: string | null;
  symbol?: string | null;
}

/** One source's ticks the publisher did not send to clients, by reason: totals since the
 * publisher started (docs/market-data.md states each rule). */
export interface TickDrops {
  duplicate: number;
  stale: number;
  future: number;
  out_of_session: number;
  replay: number;
}

/** The publisher's counts (tickhub.publisher.stats), every few seconds. */
export interface PublisherStats {
  at: string;
  started_at: string;
  forwarded?: number;
  /** Source -> its drops; a source not named has had none dropped. */
  sources?: Record<string, TickDrops>;
}

export type AccountAction = "created" | "updated" | "deleted";

export interface AccountChanged {
  account_id: number;
  name: string;
  action: AccountAction;
  at: string;
  fields?: string[];
  previous_name?: string | null;
}

/** One row of GET /api/gateways (gateway_view.GatewayView). */
export type ViewState = ProcessState | "unknown";

export interface GatewayView {
  account_id: number;
  name: string;
  gateway_type: GatewayType;
  priority: number;
  is_enabled: boolean;
  state: ViewState;
  reason: string;
  manual_stop: boolean;
  pid: number | null;
  restarts: number;
  connected: boolean;
  connection: ConnectionState | null;
  last_tick_at: string | null;
  canary: string;
  canary_age_s: number | null;
  ticks_per_s: number;
  active_symbols: string[];
  status_at: string | null;
  // Added with the health service (issue 4); absent from an older api.
  health?: HealthState | null;
  health_reason?: string | null;
  health_since?: string | null;
  needs_operator?: boolean;
  /** A ctp account on tickhub's stand-in library and a local `tickhub ctp-front`. */
  local_front?: boolean;
  /** Its ticks the publisher did not send, by reason; null: no word from the publisher
   * (ever, or lately: see drops_at). Absent from an older api. */
  drops?: TickDrops | null;
  /** When the publisher last gave its counts (null: never since the api started). */
  drops_at?: string | null;
}

// --- /ws messages (server -> client) ---------------------------------------------

export interface SnapshotMessage {
  type: "snapshot";
  at: string;
  /** The api's link to the bus: "ok" or "unreachable". */
  nats?: string;
  /** "ok", "not configured", "unreachable", "timeout". */
  database?: string;
  gateways: GatewayView[];
  health: SourceHealth[];
  routes: ContractRoute[];
  failovers: FailoverEvent[];
  restarts: RestartEvent[];
  logs: LogRecord[];
}

export type ServerMessage =
  | SnapshotMessage
  | { type: "status"; data: GatewayStatus }
  | { type: "health"; data: SourceHealth }
  | { type: "route"; vt_symbol: string; data: ContractRoute | null }
  | { type: "failover"; data: FailoverEvent }
  | { type: "restart"; data: RestartEvent }
  | { type: "log"; data: LogRecord }
  | { type: "accounts"; data: AccountChanged }
  | { type: "publisher"; data: PublisherStats }
  // Universe notices (lib/universe-events.ts): the Universe page reads its data again.
  | { type: "catalog_changed"; data: Record<string, unknown> }
  | { type: "universe_changed"; data: Record<string, unknown> }
  | { type: "allocation_changed"; data: Record<string, unknown> }
  | { type: "main_contract_changed"; data: Record<string, unknown> }
  | { type: "ping"; at: string; nats?: string };

// --- accounts (schemas.py) ---------------------------------------------------------

export interface SimConfig {
  ticks_per_second: number;
  delay_ms: number;
  seed: number;
  fail_login: boolean;
}

export interface CtpConfig {
  userid: string;
  broker_id: string;
  md_fronts: string[];
  td_front: string;
  app_id: string;
  product_info: string;
  environment: "production" | "test";
  connect_timeout_s: number;
  /** ctp: the broker's library; local: tickhub's stand-in, on a local `tickhub ctp-front`. */
  md_library: "ctp" | "local";
  trading_hours: "exchange" | "always";
  /** Subscriptions sent to the md front per second at most (a flood gets disconnected). */
  subscribe_per_s: number;
}

export interface CtpOut extends CtpConfig {
  password_set: boolean;
  auth_code_set: boolean;
}

export interface Account {
  id: number;
  name: string;
  gateway_type: GatewayType;
  priority: number;
  is_enabled: boolean;
  canary: string;
  /** An explicit override; empty: the account takes its contracts from the universe. */
  contracts: string[];
  /** The most contracts the universe puts on this account (1..100000). */
  capacity: number;
  /** Exchanges (`CZCE`) and products (`SR.CZCE`) the universe never puts on it. */
  excluded: string[];
  ctp: CtpOut | null;
  sim: SimConfig | null;
  created_at: string;
  updated_at: string;
}

// --- errors (errors.py) --------------------------------------------------------------

export interface FieldError {
  field: string;
  location: "body" | "path" | "query" | "header" | "cookie";
  message: string;
  type: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
}
