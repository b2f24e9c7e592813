/** The log viewer's filters: pure, so that they are tested without a page. */

import type { LogLevel, LogRecord } from "./types";

/** The three levels an operator filters by: WARN is WARNING, ERROR takes CRITICAL too,
 * INFO takes DEBUG (the hub ships no DEBUG lines unless asked to). */
export type LevelGroup = "INFO" | "WARN" | "ERROR";
export const LEVEL_GROUPS: readonly LevelGroup[] = ["INFO", "WARN", "ERROR"];

export function levelGroup(level: LogLevel | string): LevelGroup {
  switch (level) {
    case "WARNING":
      return "WARN";
    case "ERROR":
    case "CRITICAL":
      return "ERROR";
    default:
      return "INFO";
  }
}

export interface LogFilter {
  levels: ReadonlySet<LevelGroup>;
  /** "" = every service. */
  service: string;
  /** "" = every source. */
  source: string;
  text: string;
}

export const ALL_LEVELS: ReadonlySet<LevelGroup> = new Set(LEVEL_GROUPS);

export function matches(record: LogRecord, filter: LogFilter, needle = filter.text.trim().toLowerCase()): boolean {
  if (!filter.levels.has(levelGroup(record.level))) return false;
  if (filter.service && record.service !== filter.service) return false;
  if (filter.source && record.source !== filter.source) return false;
  if (!needle) return true;
  return [record.message, record.logger, record.service, record.source, record.symbol].some(
    (field) => typeof field === "string" && field.toLowerCase().includes(needle),
  );
}

export function filterLogs<T extends LogRecord>(records: readonly T[], filter: LogFilter): T[] {
  const needle = filter.text.trim().toLowerCase();
  return records.filter((record) => matches(record, filter, needle));
}

/** Distinct values of a field, sorted, for the filter's choices. */
export function distinct(records: readonly LogRecord[], field: "service" | "source"): string[] {
  const seen = new Set<string>();
  for (const record of records) {
    const value = record[field];
    if (value) seen.add(value);
  }
  return [...seen].sort();
}
