/** The exchanges a vt_symbol may name (tickhub_universe.entries.EXCHANGES). */
export const EXCHANGES = ["CFFEX", "CZCE", "DCE", "GFEX", "INE", "SHFE"] as const;
