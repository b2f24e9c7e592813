/**
 * The query strings of the universe's paged reads: what the page's filters become
 * on the wire (empty filters are left out, so the api applies its defaults).
 */

import type { ResolvedProblem } from "./universe-types";

/** Contracts per page of GET /api/universe/resolved. */
export const RESOLVED_PAGE = 200;
/** Instruments per page of GET /api/instruments. */
export const INSTRUMENT_PAGE = 100;

export interface ResolvedFilter {
  search: string;
  problem: ResolvedProblem | null;
}

export interface InstrumentFilter {
  search: string;
  exchange: string;
  kind: string;
}

export const NO_RESOLVED_FILTER: ResolvedFilter = { search: "", problem: null };
export const NO_INSTRUMENT_FILTER: InstrumentFilter = { search: "", exchange: "", kind: "" };

type Params = Record<string, string | number | null | undefined>;

/** "?a=1&b=x" of the params that have a value ("" and null are left out); "" when none. */
export function queryString(params: Params): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === null || value === undefined) continue;
    const text = typeof value === "number" ? String(value) : value.trim();
    if (text === "") continue;
    search.set(key, text);
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

export function resolvedQuery(filter: ResolvedFilter, offset: number, limit = RESOLVED_PAGE): string {
  return queryString({ search: filter.search, problem: filter.problem, offset, limit });
}

export function instrumentsQuery(filter: InstrumentFilter, offset: number, limit = INSTRUMENT_PAGE): string {
  return queryString({ search: filter.search, exchange: filter.exchange, kind: filter.kind, offset, limit });
}

/** A filter as one string: the paged rows start over when it changes. */
export function filterKey(filter: ResolvedFilter | InstrumentFilter): string {
  return JSON.stringify(Object.entries(filter).map(([key, value]) => [key, typeof value === "string" ? value.trim() : value]));
}
