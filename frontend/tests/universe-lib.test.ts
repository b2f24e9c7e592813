import { describe, expect, it } from "vitest";

import { ApiError } from "@/lib/api";
import { LiveStore } from "@/lib/live-store";
import { entryBody, entryErrorText } from "@/lib/universe-form";
import { isUniverseEvent, UNIVERSE_EVENTS } from "@/lib/universe-events";
import { filterKey, instrumentsQuery, queryString, resolvedQuery } from "@/lib/universe-query";
import { catalogLine, coverage, formatDay, instrumentDetail, refreshOutcome } from "@/lib/universe-rows";
import type { ServerMessage } from "@/lib/types";
import { rowWindow } from "@/lib/virtual-window";

import { CATALOG, instrument } from "./universe-fixtures";

describe("universe queries", () => {
  it("leaves empty filters out, so the api applies its defaults", () => {
    expect(queryString({ search: "  ", problem: null, offset: 0, limit: 200 })).toBe("?offset=0&limit=200");
    expect(queryString({})).toBe("");
    expect(resolvedQuery({ search: " rb26 ", problem: "uncovered" }, 400)).toBe("?search=rb26&problem=uncovered&offset=400&limit=200");
    expect(instrumentsQuery({ search: "au", exchange: "SHFE", kind: "" }, 100)).toBe("?search=au&exchange=SHFE&offset=100&limit=100");
  });

  it("escapes what is typed", () => {
    expect(resolvedQuery({ search: "rb26*&x=1", problem: null }, 0, 50)).toBe("?search=rb26*%26x%3D1&offset=0&limit=50");
  });

  it("keys a filter by what it asks, not by stray spaces", () => {
    expect(filterKey({ search: "rb ", problem: null })).toBe(filterKey({ search: "rb", problem: null }));
    expect(filterKey({ search: "rb", problem: "single" })).not.toBe(filterKey({ search: "rb", problem: null }));
  });
});

describe("universe rows", () => {
  it("tells no source, one source and more apart", () => {
    expect(coverage([])).toBe("none");
    expect(coverage(["sim-a"])).toBe("single");
    expect(coverage(["sim-a", "sim-b"])).toBe("ok");
  });

  it("says where the catalog came from, or that there is none", () => {
    expect(catalogLine(CATALOG)).toBe("12,345 instruments from sim-a for 2026-12-03");
    expect(catalogLine({ origin: "", trading_day: null, refreshed_at: null, instruments: 0 })).toMatch(/^No catalog yet/);
    expect(catalogLine(null)).toMatch(/^No catalog yet/);
    expect(formatDay(null)).toBe("—");
    expect(formatDay("2026-12-03T00:00:00")).toBe("2026-12-03");
  });

  it("reads a refresh's result: counts when it worked, the error when not", () => {
    expect(
      refreshOutcome({ ok: true, origin: "sim-a", trading_day: "2026-12-03", instruments: 1, listed: ["a", "b"], expired: [], error: "" }),
    ).toEqual({ ok: true, text: "1 instrument from sim-a for 2026-12-03: 2 listed, 0 expired" });
    expect(refreshOutcome({ ok: false, error: "no source answered in 30 s" })).toEqual({
      ok: false,
      text: "Refresh failed: no source answered in 30 s",
    });
  });

  it("puts an instrument's tick, multiplier and option terms on one line", () => {
    expect(instrumentDetail(instrument(1))).toBe("tick 0.5 · ×100");
    expect(
      instrumentDetail({ ...instrument(1), option_type: "call", strike: 800, underlying: "i2705.DCE" }),
    ).toBe("tick 0.5 · ×100 · call 800 on i2705.DCE");
    expect(instrumentDetail({ ...instrument(1), tick_size: 0, multiplier: 0 })).toBe("—");
  });
});

describe("the add-entry form", () => {
  it("sends the trimmed text, options and a note only when given", () => {
    expect(entryBody({ text: " rb.SHFE ", options: false, note: "  " })).toEqual({ text: "rb.SHFE" });
    expect(entryBody({ text: "SHFE", options: true, note: " all of it " })).toEqual({ text: "SHFE", options: true, note: "all of it" });
  });

  it("shows the api's refusal as one message", () => {
    const invalid = new ApiError(422, "validation_error", "text: Value error, not a contract", [
      { field: "text", location: "body", message: "Value error, rb26**.SHFE is not a contract, product, exchange, pattern or alias", type: "value_error" },
      { field: "note", location: "body", message: "String should have at most 200 characters", type: "string_too_long" },
    ]);
    expect(entryErrorText(invalid)).toBe(
      "rb26**.SHFE is not a contract, product, exchange, pattern or alias; note: String should have at most 200 characters",
    );
    expect(entryErrorText(new ApiError(422, "validation_error", "the text is empty"))).toBe("the text is empty");
    expect(entryErrorText(new ApiError(409, "conflict", "rb.SHFE is in the universe already"))).toBe("rb.SHFE is in the universe already");
    expect(entryErrorText(new ApiError(503, "unavailable", "the database is unavailable"))).toBe("the database is unavailable (503)");
  });
});

describe("rowWindow", () => {
  it("draws the rows in view and a few either side, within the list", () => {
    expect(rowWindow({ scrollTop: 0, viewportHeight: 360, rowHeight: 36, count: 40_000, overscan: 5 })).toEqual({
      start: 0,
      end: 15,
      viewStart: 0,
      viewEnd: 10,
    });
    expect(rowWindow({ scrollTop: 36 * 20_000 + 10, viewportHeight: 360, rowHeight: 36, count: 40_000, overscan: 5 })).toEqual({
      start: 19_995,
      end: 20_016,
      viewStart: 20_000,
      viewEnd: 20_011,
    });
    expect(rowWindow({ scrollTop: 10_000, viewportHeight: 360, rowHeight: 36, count: 3 }).end).toBe(3);
    expect(rowWindow({ scrollTop: 0, viewportHeight: 360, rowHeight: 36, count: 0 })).toEqual({ start: 0, end: 0, viewStart: 0, viewEnd: 0 });
  });
});

describe("universe events", () => {
  it("each bumps the store's universeVersion; other messages do not", () => {
    const store = new LiveStore();
    for (const type of UNIVERSE_EVENTS) {
      store.apply({ type, data: {} } as unknown as ServerMessage);
    }
    expect(store.getState().universeVersion).toBe(UNIVERSE_EVENTS.length);
    store.apply({ type: "ping", at: new Date().toISOString() });
    expect(store.getState().universeVersion).toBe(UNIVERSE_EVENTS.length);
    expect(isUniverseEvent({ type: "universe_changed" })).toBe(true);
    expect(isUniverseEvent({ type: "accounts" })).toBe(false);
  });
});
