"use client";

import * as React from "react";

import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { errorText } from "@/components/dashboard/gateway-controls";
import { EXCHANGES } from "@/lib/exchanges";
import { useLiveContext } from "@/lib/live-context";
import { useDebounced } from "@/lib/use-debounced";
import { usePagedRows } from "@/lib/use-paged-rows";
import { filterKey, INSTRUMENT_PAGE, instrumentsQuery, type InstrumentFilter } from "@/lib/universe-query";
import { formatDay, instrumentDetail } from "@/lib/universe-rows";
import type { CatalogMeta, Instrument } from "@/lib/universe-types";

import { FilterSelect } from "./filter-select";
import { RowCount, SearchBox } from "./search-box";
import { VirtualTable, type Column } from "./virtual-table";

const KINDS = ["future", "option", "spread", "other"];

const COLUMNS: readonly Column<Instrument>[] = [
  { key: "vt_symbol", header: "Instrument", width: "minmax(10rem, 1.3fr)", className: "font-mono text-xs font-medium", cell: (i) => i.vt_symbol },
  { key: "product", header: "Product", width: "6rem", className: "font-mono text-xs", cell: (i) => i.product },
  { key: "kind", header: "Kind", width: "5.5rem", className: "text-xs", cell: (i) => i.kind },
  { key: "name", header: "Name", width: "minmax(8rem, 1fr)", className: "text-xs", cell: (i) => i.name || "—" },
  { key: "expiry", header: "Expiry", width: "7rem", className: "text-xs tabular-nums", cell: (i) => formatDay(i.expiry) },
  { key: "detail", header: "Tick · multiplier · option", width: "minmax(12rem, 1.6fr)", className: "text-muted-foreground text-xs tabular-nums", cell: instrumentDetail },
];

const rowKey = (i: Instrument) => i.vt_symbol;

/** The instrument catalog, searched on the server, read a page at a time. */
export function InstrumentsTable({ refreshKey }: { refreshKey: unknown }) {
  const { api } = useLiveContext();
  const [filter, setFilter] = React.useState<InstrumentFilter>({ search: "", exchange: "", kind: "" });
  const search = useDebounced(filter.search, 300);
  const query = React.useMemo(() => ({ ...filter, search }), [filter, search]);
  const key = filterKey(query);
  const { store, state } = usePagedRows<Instrument, CatalogMeta>(
    async (offset, limit, signal) => {
      const page = await api.instruments(instrumentsQuery(query, offset, limit), signal);
      return { rows: page.instruments, total: page.total, meta: page.catalog };
    },
    { pageSize: INSTRUMENT_PAGE, queryKey: key, refreshKey, describe: errorText },
  );
  const set = (patch: Partial<InstrumentFilter>) => setFilter((current) => ({ ...current, ...patch }));

  return (
    <Card className="gap-3 py-4">
      <CardHeader>
        <CardTitle className="text-lg">Instrument catalog</CardTitle>
        <CardDescription>Everything the exchanges list, as the sources last reported it: what entries resolve against.</CardDescription>
      </CardHeader>
      <CardContent className="grid gap-3">
        <div className="flex flex-wrap items-center gap-3">
          <SearchBox label="Search instruments" placeholder="rb26, au, IF…" value={filter.search} onChange={(value) => set({ search: value })} />
          <FilterSelect label="Exchange" all="All exchanges" options={EXCHANGES} value={filter.exchange} onChange={(exchange) => set({ exchange })} />
          <FilterSelect label="Kind" all="All kinds" options={KINDS} value={filter.kind} onChange={(kind) => set({ kind })} />
          <RowCount total={state.total} loading={state.loading > 0} error={state.error} />
        </div>
        <VirtualTable
          label="Instrument catalog"
          testId="instruments"
          columns={COLUMNS}
          count={state.total ?? 0}
          rowAt={store.rowAt}
          rowKey={rowKey}
          onRange={store.want}
          resetKey={key}
          revision={state.revision}
          minWidth="56rem"
          empty={state.total === 0 ? "No instrument matches." : null}
        />
      </CardContent>
    </Card>
  );
}
