"use client";

import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import type { PagedRowsHandle } from "@/lib/use-paged-rows";
import { formatDay } from "@/lib/universe-rows";
import type { ResolvedContract, ResolvedUniverse } from "@/lib/universe-types";

import { RowCount, SearchBox } from "./search-box";
import { EntryBadges, SourceBadges } from "./source-badges";
import { VirtualTable, type Column } from "./virtual-table";

const COLUMNS: readonly Column<ResolvedContract>[] = [
  { key: "vt_symbol", header: "Contract", width: "minmax(9rem, 1.2fr)", className: "font-mono text-xs font-medium", cell: (c) => c.vt_symbol },
  { key: "kind", header: "Kind", width: "6rem", className: "text-xs", cell: (c) => c.kind || "not listed" },
  { key: "expiry", header: "Expiry", width: "7rem", className: "text-xs tabular-nums", cell: (c) => formatDay(c.expiry) },
  { key: "entries", header: "Entries", width: "minmax(10rem, 2fr)", cell: (c) => <EntryBadges entries={c.entries} /> },
  { key: "sources", header: "Sources", width: "minmax(10rem, 2fr)", cell: (c) => <SourceBadges sources={c.sources} /> },
];

const rowKey = (c: ResolvedContract) => c.vt_symbol;

export interface ResolvedTableProps {
  paged: PagedRowsHandle<ResolvedContract, ResolvedUniverse>;
  search: string;
  onSearch: (search: string) => void;
  /** The search and filter the rows are for: the table scrolls to the top when it changes. */
  queryKey: string;
}

/** Every contract the universe resolves to, read a page at a time as it scrolls. */
export function ResolvedTable({ paged, search, onSearch, queryKey }: ResolvedTableProps) {
  const { store, state } = paged;
  return (
    <Card className="gap-3 py-4">
      <CardHeader>
        <CardTitle className="text-lg">Resolved contracts</CardTitle>
        <CardDescription>Each contract, the entries that name it and the accounts that subscribe it.</CardDescription>
      </CardHeader>
      <CardContent className="grid gap-3">
        <div className="flex flex-wrap items-center gap-3">
          <SearchBox label="Search contracts" placeholder="rb2605, SHFE, au…" value={search} onChange={onSearch} />
          <RowCount total={state.total} loading={state.loading > 0} error={state.error} />
        </div>
        <VirtualTable
          label="Resolved contracts"
          testId="resolved"
          columns={COLUMNS}
          count={state.total ?? 0}
          rowAt={store.rowAt}
          rowKey={rowKey}
          onRange={store.want}
          resetKey={queryKey}
          revision={state.revision}
          empty={state.total === 0 ? "No contract matches." : null}
        />
      </CardContent>
    </Card>
  );
}
