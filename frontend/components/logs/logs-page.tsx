"use client";

import * as React from "react";
import { Pause, Play, Search, Trash2 } from "lucide-react";

import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { formatClock } from "@/lib/format";
import { useLogs } from "@/lib/live-context";
import { LOG_LIMIT, type LogEntry } from "@/lib/live-store";
import { distinct, filterLogs, LEVEL_GROUPS, levelGroup, type LevelGroup } from "@/lib/log-filter";
import { cn } from "@/lib/utils";

/** Rows drawn at once: the buffer holds LOG_LIMIT, the page shows the newest of what
 * matches, so a long session stays fast. */
export const ROWS_SHOWN = 500;
const ALL = "__all__";

const LEVEL_STYLE: Record<LevelGroup, { chip: string; on: string }> = {
  INFO: { chip: "text-sky-800", on: "bg-sky-50 border-sky-300" },
  WARN: { chip: "text-amber-800", on: "bg-amber-50 border-amber-300" },
  ERROR: { chip: "text-red-800", on: "bg-red-50 border-red-300" },
};

interface Frozen {
  logs: readonly LogEntry[];
  total: number;
}

export function LogsPage() {
  const live = useLogs();
  const [levels, setLevels] = React.useState<ReadonlySet<LevelGroup>>(() => new Set(LEVEL_GROUPS));
  const [service, setService] = React.useState("");
  const [source, setSource] = React.useState("");
  const [text, setText] = React.useState("");
  const [frozen, setFrozen] = React.useState<Frozen | null>(null);
  // Lines cleared from view by the operator (the buffer itself is shared with the feed).
  const [clearedBefore, setClearedBefore] = React.useState(0);

  const shown = frozen ?? live;
  const visible = React.useMemo(
    () => (clearedBefore ? shown.logs.filter((entry) => entry.id > clearedBefore) : shown.logs),
    [shown.logs, clearedBefore],
  );
  const deferredText = React.useDeferredValue(text);
  const matching = React.useMemo(
    () => filterLogs(visible, { levels, service, source, text: deferredText }),
    [visible, levels, service, source, deferredText],
  );
  const rows = React.useMemo(() => matching.slice(-ROWS_SHOWN).reverse(), [matching]);
  const services = React.useMemo(() => distinct(live.logs, "service"), [live.logs]);
  const sources = React.useMemo(() => distinct(live.logs, "source"), [live.logs]);
  const counts = React.useMemo(() => {
    const result: Record<LevelGroup, number> = { INFO: 0, WARN: 0, ERROR: 0 };
    for (const entry of visible) result[levelGroup(entry.level)] += 1;
    return result;
  }, [visible]);
  const buffered = frozen ? live.total - frozen.total : 0;

  function toggle(level: LevelGroup) {
    setLevels((current) => {
      const next = new Set(current);
      if (next.has(level)) next.delete(level);
      else next.add(level);
      return next;
    });
  }

  return (
    <Card className="gap-3 py-4">
      <CardHeader className="flex flex-wrap items-center gap-3">
        <CardTitle className="mr-2 text-lg">Logs</CardTitle>
        <div className="flex items-center gap-1" role="group" aria-label="Levels">
          {LEVEL_GROUPS.map((level) => (
            <Button
              key={level}
              size="sm"
              variant="outline"
              aria-pressed={levels.has(level)}
              data-testid={`level-${level}`}
              onClick={() => toggle(level)}
              className={cn(
                LEVEL_STYLE[level].chip,
                levels.has(level) ? LEVEL_STYLE[level].on : "text-muted-foreground opacity-60",
              )}
            >
              {level}
              <span className="tabular-nums text-xs">{counts[level]}</span>
            </Button>
          ))}
        </div>
        <Select value={service || ALL} onValueChange={(value) => setService(value === ALL ? "" : value)}>
          <SelectTrigger size="sm" aria-label="Service" className="min-w-36">
            <SelectValue placeholder="Service" />
          </SelectTrigger>
          <SelectContent>
            <SelectItem value={ALL}>All services</SelectItem>
            {services.map((name) => (
              <SelectItem key={name} value={name}>
                {name}
              </SelectItem>
            ))}
          </SelectContent>
        </Select>
        <Select value={source || ALL} onValueChange={(value) => setSource(value === ALL ? "" : value)}>
          <SelectTrigger size="sm" aria-label="Source" className="min-w-36">
            <SelectValue placeholder="Source" />
          </SelectTrigger>
          <SelectContent>
            <SelectItem value={ALL}>All sources</SelectItem>
            {sources.map((name) => (
              <SelectItem key={name} value={name}>
                {name}
              </SelectItem>
            ))}
          </SelectContent>
        </Select>
        <div className="relative min-w-48 flex-1">
          <Search className="text-muted-foreground absolute top-2 left-2.5 size-4" aria-hidden />
          <Input
            type="search"
            placeholder="Search messages"
            aria-label="Search"
            value={text}
            onChange={(event) => setText(event.target.value)}
            className="h-8 pl-8"
          />
        </div>
        <div className="flex items-center gap-2">
          {frozen ? (
            <Button size="sm" onClick={() => setFrozen(null)} data-testid="resume">
              <Play aria-hidden /> Resume
              {buffered > 0 && (
                <Badge variant="secondary" data-testid="buffered">
                  {buffered} new
                </Badge>
              )}
            </Button>
          ) : (
            <Button
              size="sm"
              variant="outline"
              onClick={() => setFrozen({ logs: live.logs, total: live.total })}
              data-testid="pause"
            >
              <Pause aria-hidden /> Pause
            </Button>
          )}
          <Button
            size="sm"
            variant="ghost"
            onClick={() => setClearedBefore(live.logs.at(-1)?.id ?? clearedBefore)}
            aria-label="Clear the view"
          >
            <Trash2 aria-hidden />
          </Button>
        </div>
      </CardHeader>
      <CardContent className="px-0">
        <div className="text-muted-foreground flex flex-wrap gap-x-4 px-6 pb-2 text-xs" data-testid="log-stats">
          <span>
            {matching.length} matching
            {matching.length > ROWS_SHOWN && ` (newest ${ROWS_SHOWN} shown)`}
          </span>
          <span>
            {live.logs.length} kept of {live.total} received (buffer {LOG_LIMIT})
          </span>
          {frozen && <span className="font-medium text-amber-700">paused: {buffered} new lines held back</span>}
        </div>
        <div className="max-h-[calc(100vh-13rem)] overflow-auto border-t">
          <table className="w-full text-sm" data-testid="log-table">
            <thead className="bg-muted/60 sticky top-0 text-left text-xs">
              <tr>
                <th className="px-3 py-1.5 font-medium">Time</th>
                <th className="px-3 py-1.5 font-medium">Level</th>
                <th className="px-3 py-1.5 font-medium">Service</th>
                <th className="px-3 py-1.5 font-medium">Source</th>
                <th className="w-full px-3 py-1.5 font-medium">Message</th>
              </tr>
            </thead>
            <tbody className="font-mono text-xs">
              {rows.map((entry) => {
                const group = levelGroup(entry.level);
                return (
                  <tr
                    key={entry.id}
                    data-testid="log-row"
                    data-level={entry.level}
                    className={cn(
                      "border-b align-top",
                      group === "ERROR" && "bg-red-50 text-red-900 hover:bg-red-100",
                      group === "WARN" && "bg-amber-50/50",
                    )}
                  >
                    <td className="px-3 py-1 whitespace-nowrap tabular-nums" title={entry.at}>
                      {formatClock(entry.at)}
                    </td>
                    <td className={cn("px-3 py-1 font-semibold whitespace-nowrap", LEVEL_STYLE[group].chip)}>
                      {entry.level}
                    </td>
                    <td className="px-3 py-1 whitespace-nowrap">{entry.service}</td>
                    <td className="px-3 py-1 whitespace-nowrap">{entry.source ?? ""}</td>
                    <td className="px-3 py-1 break-all whitespace-pre-wrap">
                      {entry.message}
                      {entry.symbol && <span className="text-muted-foreground ml-2">[{entry.symbol}]</span>}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {rows.length === 0 && (
            <p className="text-muted-foreground p-6 text-center text-sm" data-testid="log-empty">
              {visible.length === 0 ? "No log lines yet." : "No line matches the filters."}
            </p>
          )}
        </div>
      </CardContent>
    </Card>
  );
}
