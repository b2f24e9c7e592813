"use client";

import { Activity } from "lucide-react";

import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { ageSeconds, formatAge, formatMs } from "@/lib/format";
import type { GatewayRow } from "@/lib/gateway-rows";
import type { CanaryPoint } from "@/lib/live-store";
import type { SourceHealth } from "@/lib/types";
import { cn } from "@/lib/utils";

import { HealthBadge } from "./health-badge";
import { Sparkline } from "./sparkline";

/** A canary older than this reads amber, older than twice it red (the health service
 * has its own thresholds; these only colour the number). */
const STALE_S = 5;

/** Per source: how old its canary's newest tick is (live) and its recent latency. */
export function CanaryMonitor({
  rows,
  health,
  canary,
  nowMs,
}: {
  rows: GatewayRow[];
  health: Readonly<Record<string, SourceHealth>>;
  canary: Readonly<Record<string, readonly CanaryPoint[]>>;
  nowMs: number;
}) {
  const sources = rows.filter((row) => row.isEnabled || health[row.name] !== undefined);
  return (
    <Card className="gap-4" data-testid="canary-monitor">
      <CardHeader>
        <CardTitle className="flex items-center gap-2">
          <Activity className="size-4" aria-hidden /> Canary monitor
        </CardTitle>
        <CardDescription>
          Age of each source&apos;s newest canary tick and its latency (arrival minus exchange time), last{" "}
          {120} verdicts.
        </CardDescription>
      </CardHeader>
      <CardContent>
        {sources.length === 0 ? (
          <p className="text-muted-foreground text-sm">No enabled source.</p>
        ) : (
          <div className="grid gap-3 sm:grid-cols-2 xl:grid-cols-3">
            {sources.map((row) => {
              const verdict = health[row.name];
              const age = ageSeconds(row.canaryReceivedMs, nowMs);
              const inSession = verdict?.in_session ?? true;
              const points = canary[row.name] ?? [];
              return (
                <div key={row.accountId} className="rounded-lg border p-3" data-testid={`canary-${row.name}`}>
                  <div className="flex items-center justify-between gap-2">
                    <div className="min-w-0">
                      <div className="truncate font-medium">{row.name}</div>
                      <div className="text-muted-foreground truncate font-mono text-xs">{row.canary || "no canary"}</div>
                    </div>
                    <HealthBadge state={row.health} reason={row.healthReason} />
                  </div>
                  <div className="mt-2 grid gap-2">
                    <dl className="grid grid-cols-3 gap-x-3 text-xs">
                      <div>
                        <dt className="text-muted-foreground">canary age</dt>
                        <dd
                          data-testid="canary-age"
                          className={cn(
                            "text-sm font-medium whitespace-nowrap tabular-nums",
                            inSession && age !== null && age > STALE_S && "text-amber-700",
                            inSession && age !== null && age > 2 * STALE_S && "text-red-700",
                          )}
                        >
                          {formatAge(age)}
                          {!inSession && <span className="text-muted-foreground ml-1 text-xs">(closed)</span>}
                        </dd>
                      </div>
                      <div>
                        <dt className="text-muted-foreground">latency</dt>
                        <dd className="text-sm whitespace-nowrap tabular-nums">{formatMs(row.canaryLatencyMs)}</dd>
                      </div>
                      <div>
                        <dt className="text-muted-foreground" title="behind the first copy of the canary from any peer">lag</dt>
                        <dd className="text-sm whitespace-nowrap tabular-nums">{formatMs(verdict?.lag_ms)}</dd>
                      </div>
                    </dl>
                    <Sparkline points={points} label={`${row.name} canary latency`} />
                  </div>
                </div>
              );
            })}
          </div>
        )}
      </CardContent>
    </Card>
  );
}
