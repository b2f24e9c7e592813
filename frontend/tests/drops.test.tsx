import { act, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { DashboardPage } from "@/components/dashboard/dashboard-page";
import { dropsSummary, formatCount } from "@/components/dashboard/drops-cell";
import { gatewayRows, NO_DROPS } from "@/lib/gateway-rows";
import { LiveStore } from "@/lib/live-store";
import type { PublisherStats, TickDrops } from "@/lib/types";

import { iso, snapshot, T0, testContext, view } from "./fixtures";
import { renderLive } from "./render";

const SOME: TickDrops = { duplicate: 12, stale: 0, future: 0, out_of_session: 3, replay: 40 };

function stats(at: string, sources: Record<string, TickDrops>): PublisherStats {
  return { at, started_at: iso(-3_600_000), forwarded: 1000, sources };
}

const cell = (name: string) => within(screen.getByTestId(`gateway-row-${name}`)).getByTestId("drops");

describe("what the publisher did not send, per source", () => {
  it("reads compactly: the reasons with a count, big counts shortened", () => {
    expect(dropsSummary(SOME)).toBe("12 dup · 3 out of session · 40 replay");
    expect(dropsSummary({ ...NO_DROPS, duplicate: 902_113, stale: 12_345, future: 2 })).toBe(
      "902k dup · 12.3k stale · 2 future",
    );
    expect(dropsSummary(NO_DROPS)).toBe("none");
    expect([formatCount(9999), formatCount(1_804_411)]).toEqual(["9999", "1.8M"]);
  });

  it("shows each row's counts from the api, and says when the publisher has said nothing", () => {
    const ctx = testContext();
    ctx.store.apply(
      snapshot({
        gateways: [view("sim-a", { drops: SOME, drops_at: iso(-1000) }), view("sim-b", { drops: null, drops_at: null })],
      }),
    );
    renderLive(<DashboardPage />, ctx.value);
    expect(cell("sim-a")).toHaveTextContent("12 dup · 3 out of session · 40 replay");
    expect(cell("sim-a")).toHaveAttribute(
      "aria-label",
      "not sent: 12 dup, 0 stale, 0 future, 3 out of session, 40 replay",
    );
    expect(cell("sim-b")).toHaveTextContent("no word");
    expect(cell("sim-b")).toHaveAttribute("data-state", "unknown");
    expect(cell("sim-b")).toHaveAttribute("title", "no word from the publisher");
  });

  it("follows the publisher's counts live over /ws; a source it does not name had none dropped", () => {
    const ctx = testContext();
    ctx.store.apply(snapshot({ gateways: [view("sim-a"), view("sim-b")] })); // an older api: no drops at all
    renderLive(<DashboardPage />, ctx.value);
    expect(cell("sim-a")).toHaveTextContent("no word");
    act(() => ctx.store.apply({ type: "publisher", data: stats(iso(2000), { "sim-a": { ...NO_DROPS, stale: 7 } }) }));
    expect(cell("sim-a")).toHaveTextContent("7 stale");
    expect(cell("sim-b")).toHaveTextContent("none");
    expect(cell("sim-b")).toHaveAttribute("data-state", "none");
  });

  it("keeps the newest counts: the view's or the feed's, whichever the publisher said last", () => {
    const store = new LiveStore({ now: () => T0 });
    store.apply(snapshot({ gateways: [view("sim-a", { drops: SOME, drops_at: iso(5000) })] }));
    // Older than what the snapshot holds (sent before it was read): not shown.
    store.apply({ type: "publisher", data: stats(iso(1000), {}) });
    expect(gatewayRows(store.current)[0]).toMatchObject({ drops: SOME, dropsAt: iso(5000) });
    store.apply({ type: "publisher", data: stats(iso(7000), { "sim-a": { ...SOME, replay: 41 } }) });
    expect(gatewayRows(store.current)[0]).toMatchObject({ drops: { ...SOME, replay: 41 }, dropsAt: iso(7000) });
    // An older message after a newer one changes nothing.
    store.apply({ type: "publisher", data: stats(iso(6000), {}) });
    expect(gatewayRows(store.current)[0]!.drops).toEqual({ ...SOME, replay: 41 });
    // A new snapshot starts again from its own gateways.
    store.apply(snapshot({ gateways: [view("sim-a", { drops: null, drops_at: iso(7000) })] }));
    expect(store.current.publisher).toBeNull();
    expect(gatewayRows(store.current)[0]).toMatchObject({ drops: null, dropsAt: iso(7000) });
  });
});
