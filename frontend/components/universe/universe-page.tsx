"use client";

import * as React from "react";

import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { useLive, useLiveContext } from "@/lib/live-context";
import { useDebounced } from "@/lib/use-debounced";

import { AliasTable } from "./alias-table";
import { EntryForm } from "./entry-form";
import { EntryList } from "./entry-list";
import { InstrumentsTable } from "./instruments-table";
import { ResolvedTable } from "./resolved-table";
import { UniverseSummary } from "./universe-summary";
import { UniverseWarnings } from "./universe-warnings";
import { useEntries } from "./use-entries";
import { useResolved } from "./use-resolved";

/** Bursts of universe events (an allocation right after a change) cost one read. */
const EVENT_SETTLE_MS = 250;

/** The Universe page: the entries, what they resolve to, and the catalog behind them. */
export function UniversePage() {
  const { api } = useLiveContext();
  const refreshKey = useRefreshKey();
  const [localChanges, setLocalChanges] = React.useState(0);
  const changed = React.useCallback(() => setLocalChanges((n) => n + 1), []);
  const dataKey = `${refreshKey.key}:${localChanges}`;

  const entries = useEntries(api, refreshKey.key, changed);
  const resolved = useResolved(api, dataKey);
  const summary = resolved.paged.state.meta;

  return (
    <div className="grid gap-4">
      <UniverseSummary
        summary={summary}
        problem={resolved.problem}
        onProblem={resolved.setProblem}
        onReload={refreshKey.reload}
      />
      <div className="grid gap-4 xl:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
        <Card className="gap-3 py-4">
          <CardHeader>
            <CardTitle className="text-lg">Entries</CardTitle>
            <CardDescription>
              Accounts whose contracts are left empty take theirs from here. Options: also the options on what an entry
              names.
            </CardDescription>
          </CardHeader>
          <CardContent className="grid gap-3">
            <EntryForm onAdd={entries.add} />
            {entries.loadError && (
              <p role="alert" className="text-destructive text-sm">
                {entries.loadError}
              </p>
            )}
            <EntryList
              entries={entries.entries}
              busy={entries.busy}
              onOptions={(entry, options) => void entries.setOptions(entry, options)}
              onNote={entries.setNote}
              onDelete={(entry) => void entries.remove(entry)}
            />
          </CardContent>
        </Card>
        <div className="grid content-start gap-4">
          <Card className="gap-3 py-4">
            <CardHeader>
              <CardTitle className="text-lg">Main contracts</CardTitle>
              <CardDescription>Each alias and the contract it names for the trading day.</CardDescription>
            </CardHeader>
            <CardContent>
              <AliasTable aliases={summary?.aliases ?? []} />
            </CardContent>
          </Card>
          <UniverseWarnings unmatched={summary?.unmatched ?? []} notListed={summary?.not_listed ?? []} />
        </div>
      </div>
      <ResolvedTable paged={resolved.paged} search={resolved.search} onSearch={resolved.setSearch} queryKey={resolved.queryKey} />
      <InstrumentsTable refreshKey={refreshKey.key} />
    </div>
  );
}

/** A key that changes when the page must read its data again: a universe event on
 * /ws (lib/universe-events.ts; bursts settled), a new /ws snapshot after a reconnect
 * (events may have been missed), or the operator's Reload. */
function useRefreshKey(): { key: string; reload: () => void } {
  const version = useLive((s) => s.universeVersion);
  const snapshotAt = useLive((s) => s.snapshotAt);
  const [reloads, setReloads] = React.useState(0);
  const settledVersion = useDebounced(version, EVENT_SETTLE_MS);
  // The first snapshot is not a reconnect: only later ones count.
  const firstSnapshot = React.useRef(snapshotAt);
  if (firstSnapshot.current === null && snapshotAt !== null) firstSnapshot.current = snapshotAt;
  const reconnects = snapshotAt !== null && snapshotAt !== firstSnapshot.current ? snapshotAt : "";
  const reload = React.useCallback(() => setReloads((n) => n + 1), []);
  return { key: `${settledVersion}:${reconnects}:${reloads}`, reload };
}
