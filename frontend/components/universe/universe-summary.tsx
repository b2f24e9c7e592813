"use client";

import { RefreshCw } from "lucide-react";

import { Button } from "@/components/ui/button";
import { Card, CardAction, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { catalogLine, formatCount, formatDay, PROBLEM_FILTERS, refreshedLine } from "@/lib/universe-rows";
import type { ResolvedProblem, ResolvedUniverse } from "@/lib/universe-types";
import { cn } from "@/lib/utils";

import { CatalogRefresh } from "./catalog-refresh";

type Summary = Omit<ResolvedUniverse, "contracts" | "total">;

const TONE = {
  neutral: { on: "bg-accent border-foreground/30", warn: "" },
  amber: { on: "bg-amber-100 border-amber-400", warn: "border-amber-300 bg-amber-50 text-amber-900" },
  red: { on: "bg-red-100 border-red-400", warn: "border-red-300 bg-red-50 text-red-800" },
};

export interface UniverseSummaryProps {
  summary: Summary | null;
  problem: ResolvedProblem | null;
  onProblem: (problem: ResolvedProblem | null) => void;
  onReload: () => void;
}

/** The trading day, the catalog and its refresh, and the coverage counts (each a filter
 * of the contracts table; uncovered in red, single-source in amber). */
export function UniverseSummary({ summary, problem, onProblem, onReload }: UniverseSummaryProps) {
  return (
    <Card className="gap-3 py-4">
      <CardHeader>
        <CardTitle className="text-lg">Universe</CardTitle>
        <CardDescription>
          What the hub subscribes: the entries below, resolved against the instrument catalog and spread over the
          accounts.
        </CardDescription>
        <CardAction>
          <Button variant="ghost" size="sm" onClick={onReload} aria-label="Reload">
            <RefreshCw aria-hidden />
          </Button>
        </CardAction>
      </CardHeader>
      <CardContent className="grid gap-3">
        <dl className="grid gap-x-6 gap-y-1 text-sm sm:grid-cols-[auto_1fr]">
          <dt className="text-muted-foreground">Trading day</dt>
          <dd className="font-medium tabular-nums" data-testid="trading-day">
            {summary ? formatDay(summary.trading_day) : <Skeleton className="h-5 w-24" />}
          </dd>
          <dt className="text-muted-foreground">Catalog</dt>
          <dd data-testid="catalog-line">
            {summary ? (
              <>
                {catalogLine(summary.catalog)}
                <span className="text-muted-foreground"> · {refreshedLine(summary.catalog)}</span>
              </>
            ) : (
              <Skeleton className="h-5 w-64" />
            )}
          </dd>
        </dl>
        <CatalogRefresh onRefreshed={onReload} />
        <div className="flex flex-wrap items-center gap-2" role="group" aria-label="Show contracts">
          {PROBLEM_FILTERS.map((filter) => {
            const count = summary ? filter.count(summary.counts) : null;
            const warn = filter.tone !== "neutral" && (count ?? 0) > 0;
            const active = problem === filter.value;
            return (
              <Button
                key={filter.label}
                size="sm"
                variant="outline"
                aria-pressed={active}
                data-testid={`filter-${filter.value ?? "all"}`}
                data-warn={warn || undefined}
                onClick={() => onProblem(filter.value)}
                className={cn(warn && TONE[filter.tone].warn, active && TONE[filter.tone].on)}
              >
                {filter.label}
                <span className="tabular-nums">{formatCount(count)}</span>
              </Button>
            );
          })}
        </div>
      </CardContent>
    </Card>
  );
}
