/** Messages as the api sends them (shapes copied from a real hub's /ws), built small. */

import { Api } from "@/lib/api";
import { LiveStore } from "@/lib/live-store";
import type {
  Account,
  ContractRoute,
  GatewayStatus,
  GatewayView,
  LogRecord,
  SnapshotMessage,
  SourceHealth,
} from "@/lib/types";

export const T0 = Date.parse("2026-11-24T02:59:01.000Z");
export const iso = (offsetMs = 0) => new Date(T0 + offsetMs).toISOString();

export function view(name: string, overrides: Partial<GatewayView> = {}): GatewayView {
  return {
    account_id: name === "sim-a" ? 1 : name === "sim-b" ? 2 : 3,
    name,
    gateway_type: "sim",
    priority: name === "sim-a" ? 1 : 2,
    is_enabled: true,
    state: "running",
    reason: "",
    manual_stop: false,
    pid: 4451,
    restarts: 0,
    connected: true,
    connection: "connected",
    last_tick_at: iso(-500),
    canary: "rb2605.SHFE",
    canary_age_s: 0.4,
    ticks_per_s: 10,
    active_symbols: [],
    status_at: iso(-100),
    health: null,
    health_reason: "the health service has not judged this source",
    health_since: null,
    needs_operator: false,
    ...overrides,
  };
}

export function status(source: string, overrides: Partial<GatewayStatus> = {}): GatewayStatus {
  return {
    source,
    gateway_type: "sim",
    priority: 1,
    state: "running",
    at: iso(),
    pid: 4451,
    restarts: 0,
    connection: "connected",
    reason: "",
    manual_stop: false,
    last_tick_at: iso(),
    ticks_per_s: 10,
    canary: "rb2605.SHFE",
    canary_received_at: iso(),
    ...overrides,
  };
}

export function health(source: string, overrides: Partial<SourceHealth> = {}): SourceHealth {
  return {
    source,
    state: "HEALTHY",
    cause: "ok",
    reason: "connected, beating, canary fresh",
    at: iso(),
    since: iso(-60_000),
    canary: "rb2605.SHFE",
    canary_age_s: 0.3,
    canary_latency_ms: 12.5,
    lag_ms: 1.2,
    in_session: true,
    needs_operator: false,
    ...overrides,
  };
}

export function route(vt_symbol: string, source: string, eligible: string[] = [source]): ContractRoute {
  return { vt_symbol, source, at: iso(), by: "failover", eligible, mode: "hot", degraded: false };
}

let logClock = 0;
export function log(message: string, overrides: Partial<LogRecord> = {}): LogRecord {
  logClock += 1;
  return {
    at: iso(logClock),
    level: "INFO",
    service: "gateway",
    message,
    logger: "tickhub.gateway",
    source: null,
    symbol: null,
    ...overrides,
  };
}

export function snapshot(overrides: Partial<SnapshotMessage> = {}): SnapshotMessage {
  return {
    type: "snapshot",
    at: iso(),
    gateways: [view("sim-a"), view("sim-b")],
    health: [],
    routes: [],
    failovers: [],
    restarts: [],
    logs: [],
    ...overrides,
  };
}

export function account(name: string, overrides: Partial<Account> = {}): Account {
  return {
    id: name === "sim-a" ? 1 : name === "sim-b" ? 2 : 3,
    name,
    gateway_type: "sim",
    priority: 1,
    is_enabled: true,
    canary: "rb2605.SHFE",
    contracts: ["rb2605.SHFE", "m2605.DCE"],
    capacity: 5000,
    excluded: [],
    ctp: null,
    sim: { ticks_per_second: 2, delay_ms: 0, seed: 0, fail_login: false },
    created_at: iso(-3_600_000),
    updated_at: iso(-3_600_000),
    ...overrides,
  };
}

export function ctpAccount(name: string): Account {
  return account(name, {
    gateway_type: "ctp",
    sim: null,
    ctp: {
      userid: "089123",
      broker_id: "9999",
      md_fronts: ["tcp://180.168.146.187:10211"],
      td_front: "",
      app_id: "simnow_client_test",
      product_info: "",
      environment: "test",
      connect_timeout_s: 10,
      md_library: "ctp",
      trading_hours: "exchange",
      subscribe_per_s: 1000,
      password_set: true,
      auth_code_set: true,
    },
  });
}

export interface Call {
  method: string;
  path: string;
  body: unknown;
  auth: string | null;
}

type Responder = (call: Call) => Response | Promise<Response>;

export function json(status: number, body: unknown): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

export function problem(status: number, detail: string, errors: unknown[] = []): Response {
  const type = { 401: "unauthorized", 404: "not_found", 409: "conflict", 422: "validation_error", 504: "gateway_timeout" }[
    status
  ];
  return json(status, { type: type ?? "bad_request", title: "x", status, detail, errors });
}

/** A fetch that records each call and answers with `respond`. */
export function fakeFetch(respond: Responder) {
  const calls: Call[] = [];
  const impl = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), "http://hub.test");
    const headers = (init?.headers ?? {}) as Record<string, string>;
    const call: Call = {
      method: init?.method ?? "GET",
      path: url.pathname,
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
      auth: headers.Authorization ?? null,
    };
    calls.push(call);
    return respond(call);
  }) as typeof fetch;
  return { calls, impl };
}

export function testContext(respond: Responder = () => json(200, [])) {
  const fetcher = fakeFetch(respond);
  const store = new LiveStore();
  const api = new Api({ base: "", getToken: () => "t0ken", fetchImpl: fetcher.impl });
  return { store, api, calls: fetcher.calls, value: { store, api, reconnectNow: () => undefined } };
}
