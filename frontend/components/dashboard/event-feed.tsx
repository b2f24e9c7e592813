"use client";

import { ArrowRight, History, Shuffle } from "lucide-react";

import { Badge } from "@/components/ui/badge";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { ScrollArea } from "@/components/ui/scroll-area";
import { Tabs, TabsContent, TabsList, TabsTrigger } from "@/components/ui/tabs";
import { formatClock, formatMs } from "@/lib/format";
import type { FailoverEvent, FailoverKind, RestartAction, RestartEvent } from "@/lib/types";
import { cn } from "@/lib/utils";

const KIND_CLASS: Record<FailoverKind, string> = {
  failover: "bg-amber-50 text-amber-800 border-amber-200",
  failback: "bg-emerald-50 text-emerald-800 border-emerald-200",
  lost: "bg-red-50 text-red-800 border-red-200",
  restored: "bg-blue-50 text-blue-800 border-blue-200",
};

const ACTION_CLASS: Record<RestartAction, string> = {
  ordered: "bg-blue-50 text-blue-800 border-blue-200",
  refused: "bg-gray-100 text-gray-700 border-gray-200",
  succeeded: "bg-emerald-50 text-emerald-800 border-emerald-200",
  backing_off: "bg-amber-50 text-amber-800 border-amber-200",
  needs_operator: "bg-red-50 text-red-800 border-red-200",
};

function Contracts({ list }: { list: string[] }) {
  const shown = list.slice(0, 4).join(", ");
  return (
    <span className="font-mono text-xs" title={list.join(", ")}>
      {shown}
      {list.length > 4 && <span className="text-muted-foreground"> +{list.length - 4}</span>}
    </span>
  );
}

export function FailoverList({ events }: { events: readonly FailoverEvent[] }) {
  if (events.length === 0) return <p className="text-muted-foreground p-2 text-sm">No failover yet.</p>;
  return (
    <ol className="divide-y" data-testid="failover-list">
      {[...events].reverse().map((event, index) => (
        <li key={`${event.at}-${index}`} className="py-2" data-testid="failover-event" data-kind={event.kind}>
          <div className="flex flex-wrap items-center gap-2 text-sm">
            <span className="text-muted-foreground tabular-nums">{formatClock(event.at)}</span>
            <Badge variant="outline" className={cn(KIND_CLASS[event.kind])}>
              {event.kind}
            </Badge>
            <span className="font-medium">{event.from_source ?? "none"}</span>
            <ArrowRight className="text-muted-foreground size-3" aria-label="to" />
            <span className="font-medium">{event.to_source ?? "none"}</span>
            <Badge variant="secondary">{event.mode}</Badge>
            <Contracts list={event.contracts} />
          </div>
          <div className="text-muted-foreground mt-0.5 text-xs">
            {event.reason}
            {event.detected_ms != null && <> · detected in {formatMs(event.detected_ms)}</>}
            {event.switched_ms != null && <> · switched in {formatMs(event.switched_ms)}</>}
          </div>
        </li>
      ))}
    </ol>
  );
}

export function RestartList({ events }: { events: readonly RestartEvent[] }) {
  if (events.length === 0) return <p className="text-muted-foreground p-2 text-sm">No automatic restart yet.</p>;
  return (
    <ol className="divide-y" data-testid="restart-list">
      {[...events].reverse().map((event, index) => (
        <li key={`${event.at}-${index}`} className="py-2" data-testid="restart-event" data-action={event.action}>
          <div className="flex flex-wrap items-center gap-2 text-sm">
            <span className="text-muted-foreground tabular-nums">{formatClock(event.at)}</span>
            <Badge variant="outline" className={cn(ACTION_CLASS[event.action])}>
              {event.action.replace("_", " ")}
            </Badge>
            <span className="font-medium">{event.source}</span>
            <span className="text-muted-foreground text-xs">attempt {event.attempt}</span>
            {event.next_in_s != null && (
              <span className="text-muted-foreground text-xs">next in {event.next_in_s.toFixed(0)} s</span>
            )}
          </div>
          <div className="text-muted-foreground mt-0.5 text-xs">{event.reason}</div>
        </li>
      ))}
    </ol>
  );
}

export function EventFeed({
  failovers,
  restarts,
}: {
  failovers: readonly FailoverEvent[];
  restarts: readonly RestartEvent[];
}) {
  return (
    <Card className="gap-3" data-testid="event-feed">
      <CardHeader>
        <CardTitle>Latest events</CardTitle>
        <CardDescription>Routing changes and the failover service&apos;s restarts, newest first.</CardDescription>
      </CardHeader>
      <CardContent>
        <Tabs defaultValue="failovers">
          <TabsList>
            <TabsTrigger value="failovers">
              <Shuffle aria-hidden /> Failovers <Badge variant="secondary">{failovers.length}</Badge>
            </TabsTrigger>
            <TabsTrigger value="restarts">
              <History aria-hidden /> Restarts <Badge variant="secondary">{restarts.length}</Badge>
            </TabsTrigger>
          </TabsList>
          <TabsContent value="failovers">
            <ScrollArea className="h-72">
              <FailoverList events={failovers} />
            </ScrollArea>
          </TabsContent>
          <TabsContent value="restarts">
            <ScrollArea className="h-72">
              <RestartList events={restarts} />
            </ScrollArea>
          </TabsContent>
        </Tabs>
      </CardContent>
    </Card>
  );
}
