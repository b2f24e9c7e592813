"use client";

import { Tooltip, TooltipContent, TooltipTrigger } from "@/components/ui/tooltip";
import { formatClock } from "@/lib/format";
import type { TickDrops } from "@/lib/types";

/** Why the publisher did not send a tick (docs/market-data.md), in the order shown. */
export const DROP_REASONS: readonly { key: keyof TickDrops; short: string; what: string }[] = [
  { key: "duplicate", short: "dup", what: "a copy of a tick already sent (another source's, a resend)" },
  { key: "stale", short: "stale", what: "older than what was sent" },
  { key: "future", short: "future", what: "dated ahead of the publisher's clock" },
  { key: "out_of_session", short: "out of session", what: "stamped outside every trading session" },
  { key: "replay", short: "replay", what: "a snapshot replayed at login or subscription" },
];

/** "12", "9412", "12.3k", "902k", "1.8M": a count that fits a table cell. */
export function formatCount(value: number): string {
  if (value >= 1_000_000) return `${(value / 1_000_000).toFixed(1)}M`;
  if (value >= 100_000) return `${Math.round(value / 1000)}k`;
  if (value >= 10_000) return `${(value / 1000).toFixed(1)}k`;
  return String(value);
}

/** "12 dup · 3 out of session · 40 replay": the reasons with a count; "none" when none. */
export function dropsSummary(drops: TickDrops): string {
  const parts = DROP_REASONS.filter(({ key }) => drops[key] > 0).map(
    ({ key, short }) => `${formatCount(drops[key])} ${short}`,
  );
  return parts.length > 0 ? parts.join(" · ") : "none";
}

/** A source's ticks the publisher did not send, and why (GET /api/gateways `drops`). */
export function DropsCell({ drops, at }: { drops: TickDrops | null; at: string | null }) {
  if (drops === null) {
    const said = at ? `no word from the publisher since ${formatClock(at)}` : "no word from the publisher";
    return (
      <span className="text-muted-foreground text-xs" data-testid="drops" data-state="unknown" title={said}>
        no word
      </span>
    );
  }
  const summary = dropsSummary(drops);
  const all = DROP_REASONS.map(({ key, short }) => `${drops[key]} ${short}`).join(", ");
  return (
    <Tooltip>
      <TooltipTrigger asChild>
        <span
          tabIndex={0}
          data-testid="drops"
          data-state={summary === "none" ? "none" : "some"}
          aria-label={`not sent: ${all}`}
          className={
            summary === "none"
              ? "text-muted-foreground cursor-help text-xs"
              : "inline-block max-w-48 cursor-help text-xs whitespace-normal tabular-nums"
          }
        >
          {summary}
        </span>
      </TooltipTrigger>
      <TooltipContent className="max-w-sm">
        <p className="mb-1">
          Ticks of this source the publisher did not send, since it started
          {at ? ` (as of ${formatClock(at)})` : ""}:
        </p>
        <table className="tabular-nums">
          <tbody>
            {DROP_REASONS.map(({ key, short, what }) => (
              <tr key={key}>
                <td className="pr-2 text-right font-mono">{drops[key]}</td>
                <td className="pr-2">{short}</td>
                <td className="opacity-80">{what}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TooltipContent>
    </Tooltip>
  );
}
