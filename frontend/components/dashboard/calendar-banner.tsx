"use client";

import { CalendarX2 } from "lucide-react";

import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import type { SourceHealth } from "@/lib/types";

/** What the newest verdict says about the exchanges' holiday calendar ("" when it is
 * fine): the health service sets the same words on every verdict it makes. */
export function calendarWarning(health: Readonly<Record<string, SourceHealth>>): string {
  let newest: SourceHealth | null = null;
  for (const verdict of Object.values(health)) {
    if (newest === null || Date.parse(verdict.at) > Date.parse(newest.at)) newest = verdict;
  }
  return newest?.calendar_warning ?? "";
}

/** A banner while the health service judges with a calendar that does not know today's
 * holidays (or will not for long): a closed exchange would look like failed sources. */
export function CalendarBanner({ warning }: { warning: string }) {
  if (!warning) return null;
  return (
    <Card role="alert" data-testid="calendar-banner" className="gap-1 border-amber-300 bg-amber-50 py-3 text-amber-950">
      <CardHeader className="flex items-center gap-2 px-4">
        <CalendarX2 className="size-4 shrink-0" aria-hidden />
        <CardTitle className="text-sm">Exchange holiday calendar</CardTitle>
      </CardHeader>
      <CardContent className="px-4">
        <CardDescription className="text-amber-900">{warning}</CardDescription>
      </CardContent>
    </Card>
  );
}
