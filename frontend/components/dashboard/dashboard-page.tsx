"use client";

import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { useFailovers, useGateways, useHealth, useServerNow } from "@/lib/live-context";
import type { HealthState } from "@/lib/types";

import { CalendarBanner, calendarWarning } from "./calendar-banner";
import { CanaryMonitor } from "./canary-monitor";
import { EventFeed } from "./event-feed";
import { GatewayTable } from "./gateway-table";
import { HEALTH_TONE, HealthBadge } from "./health-badge";

function Summary({ states }: { states: (HealthState | null)[] }) {
  const counts = new Map<HealthState, number>();
  for (const state of states) if (state) counts.set(state, (counts.get(state) ?? 0) + 1);
  const order = Object.keys(HEALTH_TONE) as HealthState[];
  return (
    <div className="flex flex-wrap items-center gap-2" data-testid="health-summary">
      {order
        .filter((state) => counts.has(state))
        .map((state) => (
          <span key={state} className="inline-flex items-center gap-1 text-sm">
            <HealthBadge state={state} /> <span className="tabular-nums">× {counts.get(state)}</span>
          </span>
        ))}
    </div>
  );
}

export function DashboardPage() {
  const { rows, loaded } = useGateways();
  const { health, canary } = useHealth();
  const { failovers, restarts } = useFailovers();
  const nowMs = useServerNow(500);
  return (
    <div className="grid grid-cols-1 gap-4">
      <CalendarBanner warning={calendarWarning(health)} />
      <Card className="min-w-0 gap-2 py-4">
        <CardHeader className="flex flex-wrap items-center justify-between gap-2">
          <div>
            <CardTitle className="text-lg">Gateways</CardTitle>
            <CardDescription>Every account&apos;s gateway, preferred first; health as the health service judges it.</CardDescription>
          </div>
          <Summary states={rows.map((row) => row.health)} />
        </CardHeader>
        <CardContent className="px-2">
          <GatewayTable rows={rows} loaded={loaded} nowMs={nowMs} />
        </CardContent>
      </Card>
      <div className="grid grid-cols-1 gap-4 xl:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
        <CanaryMonitor rows={rows} health={health} canary={canary} nowMs={nowMs} />
        <EventFeed failovers={failovers} restarts={restarts} />
      </div>
    </div>
  );
}
