/**
 * The universe api's JSON, typed: GET/POST/PATCH/DELETE /api/universe,
 * GET /api/universe/resolved, GET /api/instruments and POST /api/instruments/refresh.
 *
 * A file of its own for the Universe page, checked with types.ts field by field
 * against the api's OpenAPI document (tests/unit/api/test_dashboard_types.py reads
 * both; its INTERFACES names each one's schema).
 */

export type UniverseEntryKind = "contract" | "product" | "exchange" | "pattern" | "alias";
/** tickhub_contracts.messages.InstrumentKind */
export type InstrumentKind = "future" | "option" | "spread" | "other";

/** One line of the universe, as the operator wrote it and the api read it. */
export interface UniverseEntry {
  id: number;
  text: string;
  kind: UniverseEntryKind;
  /** Also the options on what the entry names. */
  options: boolean;
  note: string;
  created_at: string;
  updated_at: string;
}

export interface UniverseList {
  entries: UniverseEntry[];
}

/** Where the instrument catalog came from and when. */
export interface CatalogMeta {
  /** A source's name, `file` or `stored`; "" before the first catalog. */
  origin: string;
  trading_day: string | null;
  refreshed_at: string | null;
  instruments: number;
}

/** One contract the universe resolves to. */
export interface ResolvedContract {
  vt_symbol: string;
  /** The universe entries that name it. */
  entries: string[];
  /** The accounts (sources) that subscribe it: none is uncovered, one is a single point of failure. */
  sources: string[];
  /** "" when the catalog does not list it. */
  kind: InstrumentKind | "";
  expiry: string | null;
}

/** A main-contract alias (`rb888.SHFE`) and what it names today. */
export interface MainAlias {
  alias: string;
  product: string;
  vt_symbol: string | null;
  trading_day: string | null;
}

export type ResolvedProblem = "uncovered" | "single";

export interface ResolvedCounts {
  contracts: number;
  uncovered: number;
  single: number;
}

/** GET /api/universe/resolved: one page of contracts and the whole universe's summary. */
export interface ResolvedUniverse {
  trading_day: string;
  catalog: CatalogMeta;
  /** Contracts matching the search and problem filter (what the pages add up to). */
  total: number;
  counts: ResolvedCounts;
  contracts: ResolvedContract[];
  aliases: MainAlias[];
  /** Entries that name nothing in the catalog. */
  unmatched: string[];
  /** Contracts named explicitly that the catalog does not list. */
  not_listed: string[];
}

export interface Instrument {
  vt_symbol: string;
  symbol: string;
  exchange: string;
  product: string;
  kind: InstrumentKind;
  name: string;
  expiry: string | null;
  listed: string | null;
  tick_size: number;
  multiplier: number;
  underlying: string;
  option_type: "call" | "put" | "";
  strike: number | null;
}

/** GET /api/instruments: one page of the catalog. */
export interface InstrumentPage {
  total: number;
  catalog: CatalogMeta;
  instruments: Instrument[];
}

/** POST /api/instruments/refresh: 200 with ok, 502 with ok false and error. */
export interface CatalogRefreshResult {
  ok: boolean;
  origin?: string;
  trading_day?: string | null;
  instruments?: number;
  listed?: string[];
  expired?: string[];
  at?: string | null;
  error?: string;
}
