"use client";

import * as React from "react";

import { errorText } from "@/components/dashboard/gateway-controls";
import type { Api } from "@/lib/api";
import { useDebounced } from "@/lib/use-debounced";
import { usePagedRows } from "@/lib/use-paged-rows";
import { filterKey, RESOLVED_PAGE, resolvedQuery } from "@/lib/universe-query";
import type { ResolvedContract, ResolvedProblem, ResolvedUniverse } from "@/lib/universe-types";

/** The resolved universe: its search (debounced, sent to the api), its problem filter,
 * its rows a page at a time, and the summary every page carries. */
export function useResolved(api: Api, refreshKey: unknown) {
  const [search, setSearch] = React.useState("");
  const [problem, setProblem] = React.useState<ResolvedProblem | null>(null);
  const settled = useDebounced(search, 300);
  const filter = React.useMemo(() => ({ search: settled, problem }), [settled, problem]);
  const queryKey = filterKey(filter);
  const paged = usePagedRows<ResolvedContract, ResolvedUniverse>(
    async (offset, limit, signal) => {
      const answer = await api.resolvedUniverse(resolvedQuery(filter, offset, limit), signal);
      return { rows: answer.contracts, total: answer.total, meta: answer };
    },
    { pageSize: RESOLVED_PAGE, queryKey, refreshKey, describe: errorText },
  );
  return { paged, search, setSearch, problem, setProblem, queryKey };
}
