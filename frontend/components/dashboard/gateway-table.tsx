"use client";

import Link from "next/link";
import { AlertTriangle, Link2, Link2Off } from "lucide-react";

import { Badge } from "@/components/ui/badge";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { Tooltip, TooltipContent, TooltipTrigger } from "@/components/ui/tooltip";
import { ageSeconds, formatAge, formatClock, formatRate } from "@/lib/format";
import type { GatewayRow } from "@/lib/gateway-rows";
import { cn } from "@/lib/utils";

import { DropsCell } from "./drops-cell";
import { GatewayControls } from "./gateway-controls";
import { HealthBadge } from "./health-badge";

function SymbolList({ symbols, label }: { symbols: string[]; label: string }) {
  if (symbols.length === 0) return <span className="text-muted-foreground">—</span>;
  const shown = symbols.slice(0, 3).join(", ");
  const more = symbols.length > 3 ? ` +${symbols.length - 3}` : "";
  return (
    <Tooltip>
      <TooltipTrigger asChild>
        <span
          tabIndex={0}
          // Wraps rather than widening the table: the controls must stay in view.
          className="inline-block max-w-56 cursor-help font-mono text-xs whitespace-normal"
          aria-label={`${label}: ${symbols.join(", ")}`}
        >
          {shown}
          {more && <span className="text-muted-foreground">{more}</span>}
        </span>
      </TooltipTrigger>
      <TooltipContent className="max-w-sm font-mono">{symbols.join(", ")}</TooltipContent>
    </Tooltip>
  );
}

function processWord(row: GatewayRow): string {
  if (row.manualStop && row.state !== "running") return "stopped by operator";
  if (!row.isEnabled && (row.state === "stopped" || row.state === "exited")) return "disabled";
  return row.state;
}

export function GatewayTable({ rows, loaded, nowMs }: { rows: GatewayRow[]; loaded: boolean; nowMs: number }) {
  if (!loaded && rows.length === 0) {
    return (
      <div className="space-y-2 p-4" data-testid="gateways-loading">
        <Skeleton className="h-8 w-full" />
        <Skeleton className="h-8 w-full" />
        <Skeleton className="h-8 w-2/3" />
      </div>
    );
  }
  if (rows.length === 0) {
    return (
      <p className="text-muted-foreground p-6 text-sm">
        No accounts yet. Add one on the <Link className="underline" href="/accounts/">Accounts</Link> page.
      </p>
    );
  }
  return (
    <Table data-testid="gateway-table">
      <TableHeader>
        <TableRow>
          <TableHead>Gateway</TableHead>
          <TableHead className="text-right">Priority</TableHead>
          <TableHead>Health</TableHead>
          <TableHead>Process</TableHead>
          <TableHead>Connected</TableHead>
          <TableHead className="text-right">Last tick</TableHead>
          <TableHead className="text-right">Ticks/s</TableHead>
          <TableHead title="Ticks of the source the publisher did not send, and why">Not sent</TableHead>
          <TableHead className="text-right">Restarts</TableHead>
          <TableHead>Active for</TableHead>
          <TableHead>Backup for</TableHead>
          <TableHead className="text-right">Controls</TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {rows.map((row) => {
          const tickAge = ageSeconds(row.lastTickAt, nowMs);
          return (
            <TableRow
              key={row.accountId}
              data-testid={`gateway-row-${row.name}`}
              data-health={row.health ?? "UNKNOWN"}
              className={cn(!row.isEnabled && "opacity-70")}
            >
              <TableCell>
                <div className="flex items-center gap-2">
                  <span className="font-medium">{row.name}</span>
                  <Badge variant="secondary" className="uppercase">
                    {row.gatewayType}
                  </Badge>
                  {row.localFront && (
                    <Badge
                      variant="outline"
                      data-testid="local-front"
                      title="tickhub's stand-in CTP library on a local tickhub ctp-front: a rehearsal, not a broker's feed"
                    >
                      local front
                    </Badge>
                  )}
                  {row.needsOperator && (
                    <Badge variant="destructive" data-testid="needs-operator">
                      <AlertTriangle aria-hidden />
                      needs operator
                    </Badge>
                  )}
                </div>
              </TableCell>
              <TableCell className="text-right tabular-nums">{row.priority}</TableCell>
              <TableCell>
                <HealthBadge
                  state={row.health}
                  reason={row.healthSince ? `${row.healthReason} (since ${formatClock(row.healthSince)})` : row.healthReason}
                />
              </TableCell>
              <TableCell>
                <span className="text-sm" title={row.reason || undefined}>
                  {processWord(row)}
                  {row.pid !== null && <span className="text-muted-foreground ml-1 text-xs">pid {row.pid}</span>}
                </span>
              </TableCell>
              <TableCell>
                {row.connected ? (
                  <span className="inline-flex items-center gap-1 text-emerald-700">
                    <Link2 className="size-4" aria-hidden /> yes
                  </span>
                ) : (
                  <span className="text-muted-foreground inline-flex items-center gap-1" title={row.connection ?? undefined}>
                    <Link2Off className="size-4" aria-hidden /> {row.connection === "login_failed" ? "login failed" : "no"}
                  </span>
                )}
              </TableCell>
              <TableCell className="text-right tabular-nums" data-testid="tick-age">
                {formatAge(tickAge)}
              </TableCell>
              <TableCell className="text-right tabular-nums" data-testid="ticks-per-s">
                {formatRate(row.ticksPerS)}
              </TableCell>
              <TableCell>
                <DropsCell drops={row.drops} at={row.dropsAt} />
              </TableCell>
              <TableCell className="text-right tabular-nums">{row.restarts}</TableCell>
              <TableCell>
                <SymbolList symbols={row.active} label="active for" />
              </TableCell>
              <TableCell>
                {row.backupFor.length > 0 ? (
                  <Tooltip>
                    <TooltipTrigger asChild>
                      <span tabIndex={0} className="cursor-help text-sm" data-testid="backup-for">
                        backup for {row.backupFor.length}
                      </span>
                    </TooltipTrigger>
                    <TooltipContent className="max-w-sm font-mono">{row.backupFor.join(", ")}</TooltipContent>
                  </Tooltip>
                ) : (
                  <span className="text-muted-foreground">—</span>
                )}
              </TableCell>
              <TableCell className="text-right">
                <div className="flex justify-end">
                  <GatewayControls accountId={row.accountId} name={row.name} />
                </div>
              </TableCell>
            </TableRow>
          );
        })}
      </TableBody>
    </Table>
  );
}
