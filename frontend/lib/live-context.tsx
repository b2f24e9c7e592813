"use client";

/**
 * The live data of the signed-in page: one store, one /ws client, one api. Components
 * read it through the hooks below (useSyncExternalStore), never from the client.
 */

import * as React from "react";

import { Api } from "./api";
import { apiBase, wsUrl } from "./config";
import { gatewayRows, type GatewayRow } from "./gateway-rows";
import { LiveStore, type CanaryPoint, type LiveState, type LogEntry } from "./live-store";
import type { FailoverEvent, RestartEvent, SourceHealth } from "./types";
import { LiveClient, type ConnectionInfo, type WebSocketFactory } from "./ws-client";

export interface LiveContextValue {
  store: LiveStore;
  api: Api;
  /** Skip the backoff wait and try the feed now. */
  reconnectNow: () => void;
}

const LiveContext = React.createContext<LiveContextValue | null>(null);

export function useLiveContext(): LiveContextValue {
  const value = React.useContext(LiveContext);
  if (value === null) throw new Error("useLiveContext outside <LiveProvider>");
  return value;
}

/** For tests and for composing: a ready store and api, no /ws. */
export function LiveContextProvider({
  value,
  children,
}: {
  value: LiveContextValue;
  children: React.ReactNode;
}) {
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}

function frameScheduler(flush: () => void): void {
  if (typeof window !== "undefined" && typeof window.requestAnimationFrame === "function") {
    window.requestAnimationFrame(() => flush());
    // A hidden tab gets no frames: a timer keeps the state from going stale there.
    setTimeout(flush, 1000);
  } else {
    setTimeout(flush, 16);
  }
}

export function LiveProvider({
  token,
  onUnauthorized,
  createSocket,
  children,
}: {
  token: string;
  onUnauthorized: () => void;
  createSocket?: WebSocketFactory;
  children: React.ReactNode;
}) {
  const unauthorized = React.useRef(onUnauthorized);
  unauthorized.current = onUnauthorized;

  const [value] = React.useState<LiveContextValue & { client: { current: LiveClient | null } }>(() => {
    const client: { current: LiveClient | null } = { current: null };
    return {
      store: new LiveStore({ schedule: frameScheduler }),
      api: new Api({ base: apiBase(), getToken: () => token, onUnauthorized: () => unauthorized.current() }),
      reconnectNow: () => client.current?.reconnectNow(),
      client,
    };
  });

  React.useEffect(() => {
    const { store } = value;
    const client = new LiveClient({
      url: wsUrl(),
      token,
      createSocket,
      onMessage: (message) => store.apply(message),
      onConnection: (info) => store.setConnection(info),
      onUnauthorized: () => unauthorized.current(),
      isOnline: () => (typeof navigator === "undefined" ? true : navigator.onLine !== false),
    });
    value.client.current = client;
    client.start();
    const online = () => client.reconnectNow();
    window.addEventListener("online", online);
    return () => {
      window.removeEventListener("online", online);
      client.stop();
      value.client.current = null;
    };
  }, [token, createSocket, value]);

  useAccountsRefresh(value);

  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}

/** An `accounts` message means the pool changed: read /api/gateways again. */
function useAccountsRefresh({ store, api }: LiveContextValue): void {
  const version = useStoreSelector(store, (s) => s.accountsVersion);
  React.useEffect(() => {
    if (version === 0) return;
    const abort = new AbortController();
    api.gateways(abort.signal).then(
      (views) => store.setGateways(views),
      () => undefined, // the next snapshot or change brings it; the feed shows the outage
    );
    return () => abort.abort();
  }, [version, api, store]);
}

// --- hooks ---------------------------------------------------------------------------

export function useLive<T>(selector: (state: LiveState) => T): T {
  return useStoreSelector(useLiveContext().store, selector);
}

function useStoreSelector<T>(store: LiveStore, selector: (state: LiveState) => T): T {
  return React.useSyncExternalStore(
    store.subscribe,
    () => selector(store.getState()),
    () => selector(store.getState()),
  );
}

export function useConnection(): ConnectionInfo {
  return useLive((s) => s.connection);
}

export function useGateways(): { rows: GatewayRow[]; loaded: boolean } {
  const gateways = useLive((s) => s.gateways);
  const gatewaysAt = useLive((s) => s.gatewaysAt);
  const clockOffsetMs = useLive((s) => s.clockOffsetMs);
  const statuses = useLive((s) => s.statuses);
  const health = useLive((s) => s.health);
  const routes = useLive((s) => s.routes);
  const publisher = useLive((s) => s.publisher);
  const loaded = useLive((s) => s.snapshotAt !== null);
  const rows = React.useMemo(
    () => gatewayRows({ gateways, gatewaysAt, clockOffsetMs, statuses, health, routes, publisher }),
    [gateways, gatewaysAt, clockOffsetMs, statuses, health, routes, publisher],
  );
  return { rows, loaded };
}

export function useHealth(): {
  health: Readonly<Record<string, SourceHealth>>;
  canary: Readonly<Record<string, readonly CanaryPoint[]>>;
} {
  const health = useLive((s) => s.health);
  const canary = useLive((s) => s.canary);
  return React.useMemo(() => ({ health, canary }), [health, canary]);
}

export function useLogs(): { logs: readonly LogEntry[]; total: number } {
  const logs = useLive((s) => s.logs);
  const total = useLive((s) => s.logsTotal);
  return React.useMemo(() => ({ logs, total }), [logs, total]);
}

export function useFailovers(): { failovers: readonly FailoverEvent[]; restarts: readonly RestartEvent[] } {
  const failovers = useLive((s) => s.failovers);
  const restarts = useLive((s) => s.restarts);
  return React.useMemo(() => ({ failovers, restarts }), [failovers, restarts]);
}

/** The server's clock now, re-rendering every `intervalMs`: ages tick up between messages. */
export function useServerNow(intervalMs = 500): number {
  const offset = useLive((s) => s.clockOffsetMs);
  const [now, setNow] = React.useState(() => Date.now());
  React.useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now + offset;
}
