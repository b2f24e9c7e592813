/** The universe api's answers, built small, and a fetch that records each call's query. */

import { Api } from "@/lib/api";
import { LiveStore } from "@/lib/live-store";
import type {
  CatalogMeta,
  Instrument,
  ResolvedContract,
  ResolvedUniverse,
  UniverseEntry,
} from "@/lib/universe-types";

import { iso } from "./fixtures";

export function entry(id: number, text: string, overrides: Partial<UniverseEntry> = {}): UniverseEntry {
  const kind = text.includes("888")
    ? "alias"
    : text.includes("*")
      ? "pattern"
      : /^[A-Z]+$/.test(text)
        ? "exchange"
        : /\d/.test(text)
          ? "contract"
          : "product";
  return { id, text, kind, options: false, note: "", created_at: iso(-60_000), updated_at: iso(-60_000), ...overrides };
}

export const CATALOG: CatalogMeta = {
  origin: "sim-a",
  trading_day: "2026-12-03",
  refreshed_at: "2026-12-02T13:05:00Z",
  instruments: 12345,
};

/** Contract number `i` of a long universe: every 7th uncovered, every 5th single-source. */
export function contract(i: number): ResolvedContract {
  const sources = i % 7 === 0 ? [] : i % 5 === 0 ? ["sim-a"] : ["sim-a", "sim-b"];
  return { vt_symbol: `c${String(i).padStart(5, "0")}.SHFE`, entries: ["SHFE"], sources, kind: "future", expiry: "2027-01-15" };
}

export function resolved(total: number, offset: number, limit: number, overrides: Partial<ResolvedUniverse> = {}): ResolvedUniverse {
  const contracts: ResolvedContract[] = [];
  for (let i = offset; i < Math.min(total, offset + limit); i++) contracts.push(contract(i));
  return {
    trading_day: "2026-12-03",
    catalog: CATALOG,
    total,
    counts: { contracts: total, uncovered: 12, single: 34 },
    contracts,
    aliases: [{ alias: "rb888.SHFE", product: "rb.SHFE", vt_symbol: "rb2605.SHFE", trading_day: "2026-12-03" }],
    unmatched: ["zz.SHFE"],
    not_listed: ["rb2001.SHFE"],
    ...overrides,
  };
}

export function instrument(i: number): Instrument {
  return {
    vt_symbol: `i${String(i).padStart(5, "0")}.DCE`,
    symbol: `i${i}`,
    exchange: "DCE",
    product: "i",
    kind: "future",
    name: "铁矿石",
    expiry: "2027-05-14",
    listed: "2026-05-15",
    tick_size: 0.5,
    multiplier: 100,
    underlying: "",
    option_type: "",
    strike: null,
  };
}

export interface UCall {
  method: string;
  path: string;
  params: Record<string, string>;
  body: unknown;
}

type Responder = (call: UCall) => Response | Promise<Response> | undefined;

export function universeContext(respond: Responder) {
  const calls: UCall[] = [];
  const impl = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), "http://hub.test");
    const call: UCall = {
      method: init?.method ?? "GET",
      path: url.pathname,
      params: Object.fromEntries(url.searchParams),
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    };
    calls.push(call);
    const answer = await respond(call);
    if (!answer) throw new Error(`no answer for ${call.method} ${call.path}`);
    return answer;
  }) as typeof fetch;
  const store = new LiveStore();
  const api = new Api({ base: "", getToken: () => "t0ken", fetchImpl: impl });
  return { store, api, calls, value: { store, api, reconnectNow: () => undefined } };
}
