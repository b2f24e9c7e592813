import { act, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { DashboardPage } from "@/components/dashboard/dashboard-page";

import { health, iso, route, snapshot, status, T0, testContext, view } from "./fixtures";
import { renderLive } from "./render";

afterEach(() => {
  vi.useRealTimers();
});

describe("DashboardPage", () => {
  it("shows every gateway with its health, state, rates and contracts", () => {
    const ctx = testContext();
    ctx.store.apply(
      snapshot({
        gateways: [
          view("sim-a", { health: "HEALTHY", ticks_per_s: 10, restarts: 2 }),
          view("sim-b", { health: "UNHEALTHY", needs_operator: true, connected: false, connection: "login_failed", state: "exited" }),
        ],
        routes: [route("rb2605.SHFE", "sim-a", ["sim-a", "sim-b"]), route("m2605.DCE", "sim-a", ["sim-a", "sim-b"])],
      }),
    );
    renderLive(<DashboardPage />, ctx.value);
    const a = screen.getByTestId("gateway-row-sim-a");
    const b = screen.getByTestId("gateway-row-sim-b");
    expect(within(a).getByTestId("health-badge")).toHaveTextContent("HEALTHY");
    expect(within(a).getByTestId("ticks-per-s")).toHaveTextContent("10.0");
    expect(within(a).getByText("2")).toBeInTheDocument();
    expect(within(a).getByLabelText("active for: m2605.DCE, rb2605.SHFE")).toBeInTheDocument();
    expect(within(b).getByTestId("health-badge")).toHaveAttribute("data-tone", "red");
    expect(within(b).getByTestId("needs-operator")).toBeInTheDocument();
    expect(within(b).getByText("login failed")).toBeInTheDocument();
    expect(within(b).getByTestId("backup-for")).toHaveTextContent("backup for 2");
    expect(within(a).queryByTestId("needs-operator")).not.toBeInTheDocument();
  });

  it("updates a row live from status and health events", () => {
    const ctx = testContext();
    ctx.store.apply(snapshot());
    renderLive(<DashboardPage />, ctx.value);
    const row = () => screen.getByTestId("gateway-row-sim-a");
    expect(within(row()).getByTestId("health-badge")).toHaveTextContent("UNKNOWN");
    act(() => ctx.store.apply({ type: "health", data: health("sim-a", { state: "RECOVERING", reason: "new process after a failure" }) }));
    expect(within(row()).getByTestId("health-badge")).toHaveTextContent("RECOVERING");
    act(() => ctx.store.apply({ type: "status", data: status("sim-a", { at: iso(60_000), state: "stopped", manual_stop: true }) }));
    expect(within(row()).getByText("stopped by operator")).toBeInTheDocument();
  });

  it("ages the last tick and the canary live from the data's timestamps", () => {
    vi.useFakeTimers({ toFake: ["Date", "setInterval", "clearInterval"] });
    vi.setSystemTime(T0);
    const ctx = testContext();
    ctx.store.apply(snapshot({ at: iso(), gateways: [view("sim-a", { last_tick_at: iso(-500) })] }));
    ctx.store.apply({ type: "status", data: status("sim-a", { at: iso(), last_tick_at: iso(-500), canary_received_at: iso(-200) }) });
    renderLive(<DashboardPage />, ctx.value);
    const tickAge = () => within(screen.getByTestId("gateway-row-sim-a")).getByTestId("tick-age").textContent;
    const canaryAge = () => within(screen.getByTestId("canary-sim-a")).getByTestId("canary-age").textContent;
    expect(tickAge()).toBe("0.5 s");
    expect(canaryAge()).toBe("0.2 s");
    act(() => vi.advanceTimersByTime(3000));
    expect(tickAge()).toBe("3.5 s");
    expect(canaryAge()).toBe("3.2 s");
  });

  it("draws the canary latency of recent health verdicts", () => {
    const ctx = testContext();
    ctx.store.apply(snapshot());
    renderLive(<DashboardPage />, ctx.value);
    expect(within(screen.getByTestId("canary-sim-a")).getByTestId("sparkline-empty")).toBeInTheDocument();
    act(() => {
      for (let i = 0; i < 5; i++) {
        ctx.store.apply({ type: "health", data: health("sim-a", { at: iso(i * 1000), canary_latency_ms: 10 + i }) });
      }
    });
    const line = within(screen.getByTestId("canary-sim-a")).getByTestId("sparkline");
    expect(line).toHaveAttribute("data-points", "5");
    expect(line).toHaveAccessibleName("sim-a canary latency: 5 samples, 10.0 ms to 14.0 ms");
  });

  it("lists the latest failover events newest first", () => {
    const ctx = testContext();
    ctx.store.apply(
      snapshot({
        failovers: [
          { at: iso(0), kind: "failover", mode: "hot", from_source: "sim-a", to_source: "sim-b", contracts: ["rb2605.SHFE"], reason: "sim-a UNHEALTHY: heartbeat lost", detected_ms: 1500, switched_ms: 3 },
        ],
      }),
    );
    renderLive(<DashboardPage />, ctx.value);
    act(() =>
      ctx.store.apply({
        type: "failover",
        data: { at: iso(9000), kind: "failback", mode: "hot", from_source: "sim-b", to_source: "sim-a", contracts: ["rb2605.SHFE"], reason: "sim-a HEALTHY again" },
      }),
    );
    const events = screen.getAllByTestId("failover-event");
    expect(events.map((e) => e.dataset.kind)).toEqual(["failback", "failover"]);
    expect(events[1]).toHaveTextContent("detected in 1500 ms");
    expect(events[1]).toHaveTextContent("switched in 3.0 ms");
  });

  it("lists the failover service's restarts in their own tab", async () => {
    const ctx = testContext();
    ctx.store.apply(
      snapshot({
        restarts: [{ at: iso(), source: "sim-a", action: "backing_off", attempt: 3, reason: "exit code 1", next_in_s: 8 }],
      }),
    );
    renderLive(<DashboardPage />, ctx.value);
    await userEvent.setup({ delay: null }).click(screen.getByRole("tab", { name: /Restarts/ }));
    const event = await screen.findByTestId("restart-event");
    expect(event).toHaveAttribute("data-action", "backing_off");
    expect(event).toHaveTextContent("attempt 3");
    expect(event).toHaveTextContent("next in 8 s");
  });
});
