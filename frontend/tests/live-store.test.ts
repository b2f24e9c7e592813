import { describe, expect, it, vi } from "vitest";

import { gatewayRows } from "@/lib/gateway-rows";
import { CANARY_POINTS, LiveStore } from "@/lib/live-store";

import { health, iso, log, route, snapshot, status, T0, view } from "./fixtures";

function rows(store: LiveStore) {
  return gatewayRows(store.current);
}

describe("LiveStore: snapshot then events", () => {
  it("merges status, health and route events into the snapshot's rows", () => {
    const store = new LiveStore({ now: () => T0 });
    store.apply(
      snapshot({
        gateways: [view("sim-a", { health: "STARTING" }), view("sim-b")],
        routes: [route("rb2605.SHFE", "sim-a", ["sim-a", "sim-b"])],
      }),
    );
    let [a, b] = rows(store);
    expect(a).toMatchObject({ name: "sim-a", health: "STARTING", active: ["rb2605.SHFE"], backupFor: [] });
    expect(b).toMatchObject({ name: "sim-b", health: null, active: [], backupFor: ["rb2605.SHFE"] });

    store.apply({ type: "health", data: health("sim-a", { state: "UNHEALTHY", reason: "heartbeat lost for 2.1 s" }) });
    store.apply({ type: "status", data: status("sim-a", { at: iso(1000), state: "exited", restarts: 3, ticks_per_s: 0 }) });
    store.apply({ type: "route", vt_symbol: "rb2605.SHFE", data: route("rb2605.SHFE", "sim-b", ["sim-b"]) });
    store.apply({ type: "route", vt_symbol: "m2605.DCE", data: route("m2605.DCE", "sim-b", ["sim-b", "sim-a"]) });
    [a, b] = rows(store);
    expect(a).toMatchObject({
      health: "UNHEALTHY",
      healthReason: "heartbeat lost for 2.1 s",
      state: "exited",
      restarts: 3,
      connected: false,
      active: [],
      backupFor: ["m2605.DCE"],
    });
    expect(b!.active).toEqual(["m2605.DCE", "rb2605.SHFE"]);

    store.apply({ type: "route", vt_symbol: "m2605.DCE", data: null });
    expect(rows(store)[1]!.active).toEqual(["rb2605.SHFE"]);
  });

  it("keeps the newer of a status and the view, whichever came last", () => {
    const store = new LiveStore();
    store.apply(snapshot({ gateways: [view("sim-a", { status_at: iso(5000), state: "running" })] }));
    // A status older than the view's (delivered late) does not win.
    store.apply({ type: "status", data: status("sim-a", { at: iso(1000), state: "stopped" }) });
    expect(rows(store)[0]!.state).toBe("running");
    store.apply({ type: "status", data: status("sim-a", { at: iso(6000), state: "stopping" }) });
    expect(rows(store)[0]!.state).toBe("stopping");
    // An older status does not replace a newer one either.
    store.apply({ type: "status", data: status("sim-a", { at: iso(5500), state: "running" }) });
    expect(rows(store)[0]!.state).toBe("stopping");
    // A control command's reply (newer) replaces the row.
    store.takeView(view("sim-a", { status_at: iso(7000), state: "starting" }));
    expect(rows(store)[0]!.state).toBe("starting");
  });

  it("falls back to the view's active_symbols when no route is known", () => {
    const store = new LiveStore();
    store.apply(snapshot({ gateways: [view("sim-a", { active_symbols: ["IF2512.CFFEX"] })] }));
    expect(rows(store)[0]!.active).toEqual(["IF2512.CFFEX"]);
  });

  it("keeps at most 120 canary points per source, one per verdict", () => {
    const store = new LiveStore();
    store.apply(snapshot());
    for (let i = 0; i < CANARY_POINTS + 30; i++) {
      store.apply({ type: "health", data: health("sim-a", { at: iso(i * 1000), canary_latency_ms: i }) });
    }
    // A repeat of the same verdict adds nothing.
    store.apply({ type: "health", data: health("sim-a", { at: iso((CANARY_POINTS + 29) * 1000), canary_latency_ms: 1 }) });
    const points = store.current.canary["sim-a"]!;
    expect(points.length).toBe(CANARY_POINTS);
    expect(points[0]!.ms).toBe(30);
    expect(points.at(-1)!.ms).toBe(CANARY_POINTS + 29);
    // No latency (no canary tick yet): no point.
    store.apply({ type: "health", data: health("sim-b", { canary_latency_ms: null }) });
    expect(store.current.canary["sim-b"]).toBeUndefined();
  });

  it("bounds the log buffer and counts what it dropped", () => {
    const store = new LiveStore({ logLimit: 100 });
    store.apply(snapshot());
    for (let i = 0; i < 250; i++) store.apply({ type: "log", data: log(`line ${i}`) });
    expect(store.current.logs.length).toBe(100);
    expect(store.current.logs[0]!.message).toBe("line 150");
    expect(store.current.logs.at(-1)!.message).toBe("line 249");
    expect(store.current.logsTotal).toBe(250);
  });

  it("does not repeat the lines a reconnect's snapshot holds again", () => {
    const store = new LiveStore();
    const first = [log("one"), log("two")];
    store.apply(snapshot({ logs: first }));
    const three = log("three");
    store.apply({ type: "log", data: three });
    const four = log("four");
    // After a reconnect: the recent lines again, plus one missed while away.
    store.apply(snapshot({ logs: [...first, three, four] }));
    expect(store.current.logs.map((l) => l.message)).toEqual(["one", "two", "three", "four"]);
  });

  it("keeps events newest last, at most 50", () => {
    const store = new LiveStore();
    store.apply(snapshot());
    for (let i = 0; i < 60; i++) {
      store.apply({
        type: "failover",
        data: { at: iso(i), kind: "failover", mode: "hot", from_source: "sim-a", to_source: "sim-b", contracts: [], reason: `#${i}` },
      });
    }
    expect(store.current.failovers.length).toBe(50);
    expect(store.current.failovers.at(-1)!.reason).toBe("#59");
  });

  it("counts account changes and learns the server's clock from pings", () => {
    const store = new LiveStore({ now: () => T0 });
    store.apply({ type: "accounts", data: { account_id: 1, name: "sim-a", action: "updated", at: iso() } });
    expect(store.current.accountsVersion).toBe(1);
    store.apply({ type: "ping", at: iso(2500) });
    expect(store.current.clockOffsetMs).toBe(2500);
  });

  it("tells listeners once per scheduled flush, not once per message", () => {
    const flushes: (() => void)[] = [];
    const store = new LiveStore({ schedule: (flush) => flushes.push(flush) });
    const listener = vi.fn();
    store.subscribe(listener);
    for (let i = 0; i < 20; i++) store.apply({ type: "log", data: log(`burst ${i}`) });
    expect(listener).not.toHaveBeenCalled();
    expect(store.getState().logs.length).toBe(0);
    expect(flushes.length).toBe(1);
    flushes[0]!();
    expect(listener).toHaveBeenCalledOnce();
    expect(store.getState().logs.length).toBe(20);
  });
});

describe("LiveStore: what the api may repeat", () => {
  it("takes an event the snapshot already held only once", () => {
    const store = new LiveStore();
    const line = log("/ws client 3 connected", { service: "api" });
    const failover = { at: iso(), kind: "failover" as const, mode: "hot" as const, from_source: "sim-a", to_source: "sim-b", contracts: ["rb2605.SHFE"], reason: "x" };
    const restart = { at: iso(), source: "sim-a", action: "ordered" as const, attempt: 1, reason: "x" };
    store.apply(snapshot({ logs: [line], failovers: [failover], restarts: [restart] }));
    store.apply({ type: "log", data: line });
    store.apply({ type: "failover", data: failover });
    store.apply({ type: "restart", data: restart });
    expect(store.current.logs).toHaveLength(1);
    expect(store.current.failovers).toHaveLength(1);
    expect(store.current.restarts).toHaveLength(1);
    // A later one with the same words is a new line.
    store.apply({ type: "log", data: { ...line, at: iso(5) } });
    expect(store.current.logs).toHaveLength(2);
  });

  it("keeps what the api says of its links to the bus and the database", () => {
    const store = new LiveStore();
    store.apply(snapshot({ nats: "ok", database: "unreachable" }));
    expect(store.current.backend).toEqual({ nats: "ok", database: "unreachable" });
    store.apply({ type: "ping", at: iso(), nats: "unreachable" });
    expect(store.current.backend).toEqual({ nats: "unreachable", database: "unreachable" });
  });
});
