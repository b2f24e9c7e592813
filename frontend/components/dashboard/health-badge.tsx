import { Badge } from "@/components/ui/badge";
import { Tooltip, TooltipContent, TooltipTrigger } from "@/components/ui/tooltip";
import { cn } from "@/lib/utils";
import type { HealthState } from "@/lib/types";

export type Tone = "green" | "amber" | "red" | "blue" | "slate" | "gray" | "violet" | "zinc";

/** Colour and word of each health state: the same everywhere on the dashboard. */
export const HEALTH_TONE: Record<HealthState, Tone> = {
  HEALTHY: "green",
  DEGRADED: "amber",
  UNHEALTHY: "red",
  RECOVERING: "blue",
  STARTING: "slate",
  STOPPED: "gray",
  MARKET_CLOSED: "violet",
};

const TONE_CLASSES: Record<Tone, { badge: string; dot: string }> = {
  green: { badge: "bg-emerald-50 text-emerald-800 border-emerald-200", dot: "bg-emerald-500" },
  amber: { badge: "bg-amber-50 text-amber-800 border-amber-200", dot: "bg-amber-500" },
  red: { badge: "bg-red-50 text-red-800 border-red-200", dot: "bg-red-500" },
  blue: { badge: "bg-blue-50 text-blue-800 border-blue-200", dot: "bg-blue-500" },
  slate: { badge: "bg-slate-100 text-slate-700 border-slate-300", dot: "bg-slate-400" },
  gray: { badge: "bg-gray-100 text-gray-600 border-gray-200", dot: "bg-gray-400" },
  violet: { badge: "bg-violet-50 text-violet-800 border-violet-200", dot: "bg-violet-500" },
  zinc: { badge: "bg-transparent text-zinc-500 border-zinc-300 border-dashed", dot: "bg-zinc-300" },
};

export function healthWord(state: HealthState | null): string {
  if (state === null) return "UNKNOWN";
  return state === "MARKET_CLOSED" ? "MARKET CLOSED" : state;
}

export function toneOf(state: HealthState | null): Tone {
  return state === null ? "zinc" : HEALTH_TONE[state];
}

export function HealthBadge({
  state,
  reason,
  className,
}: {
  state: HealthState | null;
  reason?: string;
  className?: string;
}) {
  const tone = toneOf(state);
  const classes = TONE_CLASSES[tone];
  const badge = (
    <Badge
      variant="outline"
      data-testid="health-badge"
      data-state={state ?? "UNKNOWN"}
      data-tone={tone}
      className={cn("gap-1.5 font-semibold tracking-wide", classes.badge, className)}
    >
      <span
        aria-hidden
        className={cn("size-2 rounded-full", classes.dot, state === "RECOVERING" && "animate-pulse")}
      />
      {healthWord(state)}
    </Badge>
  );
  const why = reason || (state === null ? "no verdict from the health service yet" : "");
  if (!why) return badge;
  return (
    <Tooltip>
      <TooltipTrigger asChild>
        <span tabIndex={0} className="inline-flex cursor-help rounded-md" aria-label={`${healthWord(state)}: ${why}`}>
          {badge}
        </span>
      </TooltipTrigger>
      <TooltipContent side="right" className="max-w-xs">
        {why}
      </TooltipContent>
    </Tooltip>
  );
}
