/**
 * How the universe's rows read: an entry's kind, a contract's sources (none is a hole
 * in the feed, one a single point of failure), the catalog's provenance and the outcome
 * of a catalog refresh.
 */

import { formatDateTime } from "./format";
import type {
  CatalogMeta,
  CatalogRefreshResult,
  ResolvedCounts,
  ResolvedProblem,
  UniverseEntryKind,
} from "./universe-types";

/** What an entry's text may look like, one of each kind (the add form's examples). */
export const ENTRY_EXAMPLES: readonly { text: string; kind: UniverseEntryKind; means: string }[] = [
  { text: "rb2605.SHFE", kind: "contract", means: "contract" },
  { text: "rb.SHFE", kind: "product", means: "every month of a product" },
  { text: "SHFE", kind: "exchange", means: "exchange" },
  { text: "rb26*.SHFE", kind: "pattern", means: "pattern" },
  { text: "rb888.SHFE", kind: "alias", means: "main contract" },
];

export const ENTRY_KIND_STYLE: Record<UniverseEntryKind, string> = {
  contract: "border-slate-300 bg-slate-50 text-slate-800",
  product: "border-sky-300 bg-sky-50 text-sky-800",
  exchange: "border-violet-300 bg-violet-50 text-violet-800",
  pattern: "border-teal-300 bg-teal-50 text-teal-800",
  alias: "border-orange-300 bg-orange-50 text-orange-800",
};

/** A kind the api added after this page was written still gets a badge. */
export function entryKindStyle(kind: string): string {
  return ENTRY_KIND_STYLE[kind as UniverseEntryKind] ?? "border-slate-300 bg-slate-50 text-slate-800";
}

export type Coverage = "none" | "single" | "ok";

export function coverage(sources: readonly string[]): Coverage {
  if (sources.length === 0) return "none";
  return sources.length === 1 ? "single" : "ok";
}

export const COVERAGE_STYLE: Record<Coverage, string> = {
  none: "border-red-300 bg-red-50 text-red-800",
  single: "border-amber-300 bg-amber-50 text-amber-900",
  ok: "border-emerald-300 bg-emerald-50 text-emerald-800",
};

/** A date as the api sends it ("2026-12-03"), or "—". */
export function formatDay(day: string | null | undefined): string {
  return day ? day.slice(0, 10) : "—";
}

export function formatCount(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? "—" : value.toLocaleString("en-US");
}

function plural(count: number, word: string): string {
  return `${formatCount(count)} ${word}${count === 1 ? "" : "s"}`;
}

/** "12,345 instruments from sim-a for 2026-12-03"; says so when there is no catalog. */
export function catalogLine(catalog: CatalogMeta | null | undefined): string {
  if (!catalog || (!catalog.origin && catalog.instruments === 0)) return "No catalog yet: refresh it from the sources.";
  const from = catalog.origin ? ` from ${catalog.origin}` : "";
  const day = catalog.trading_day ? ` for ${formatDay(catalog.trading_day)}` : "";
  return `${plural(catalog.instruments, "instrument")}${from}${day}`;
}

export function refreshedLine(catalog: CatalogMeta | null | undefined): string {
  return catalog?.refreshed_at ? `refreshed ${formatDateTime(catalog.refreshed_at)}` : "never refreshed";
}

/** A refresh's outcome in one sentence, and whether it is good news. */
export function refreshOutcome(result: CatalogRefreshResult): { ok: boolean; text: string } {
  if (!result.ok) return { ok: false, text: `Refresh failed: ${result.error || "the api gave no reason"}` };
  const listed = result.listed?.length ?? 0;
  const expired = result.expired?.length ?? 0;
  const from = result.origin ? ` from ${result.origin}` : "";
  const day = result.trading_day ? ` for ${formatDay(result.trading_day)}` : "";
  return {
    ok: true,
    text: `${plural(result.instruments ?? 0, "instrument")}${from}${day}: ${formatCount(listed)} listed, ${formatCount(expired)} expired`,
  };
}

export interface ProblemFilter {
  value: ResolvedProblem | null;
  label: string;
  count: (counts: ResolvedCounts) => number;
  tone: "neutral" | "amber" | "red";
}

/** The summary's counts, each a filter of the contracts table. */
export const PROBLEM_FILTERS: readonly ProblemFilter[] = [
  { value: null, label: "Contracts", count: (c) => c.contracts, tone: "neutral" },
  { value: "uncovered", label: "Uncovered", count: (c) => c.uncovered, tone: "red" },
  { value: "single", label: "Single source", count: (c) => c.single, tone: "amber" },
];

/** An instrument's tick, multiplier and (an option's) right and strike, in one line. */
export function instrumentDetail(instrument: {
  tick_size: number;
  multiplier: number;
  option_type: string;
  strike: number | null;
  underlying: string;
}): string {
  const parts = [
    instrument.tick_size ? `tick ${instrument.tick_size}` : null,
    instrument.multiplier ? `×${instrument.multiplier}` : null,
    instrument.option_type
      ? `${instrument.option_type}${instrument.strike !== null ? ` ${instrument.strike}` : ""}${instrument.underlying ? ` on ${instrument.underlying}` : ""}`
      : null,
  ];
  return parts.filter(Boolean).join(" · ") || "—";
}
