"use client";

import { RefreshCw } from "lucide-react";

import { Tooltip, TooltipContent, TooltipTrigger } from "@/components/ui/tooltip";
import type { ConnectionInfo } from "@/lib/ws-client";
import { cn } from "@/lib/utils";

function describe(info: ConnectionInfo): { word: string; dot: string; detail: string } {
  const retry = info.retryInMs !== null ? `, next try in ${(info.retryInMs / 1000).toFixed(1)} s` : "";
  switch (info.phase) {
    case "live":
      return { word: "live", dot: "bg-emerald-500", detail: "receiving the live feed" };
    case "connecting":
      return { word: "connecting", dot: "bg-slate-400 animate-pulse", detail: "opening the live feed" };
    case "reconnecting":
      return {
        word: `reconnecting (attempt ${info.attempt})`,
        dot: "bg-amber-500 animate-pulse",
        detail: `the live feed was lost${info.closeCode ? ` (code ${info.closeCode})` : ""}${retry}; what you see may be stale`,
      };
    case "offline":
      return {
        word: `offline (attempt ${info.attempt})`,
        dot: "bg-red-500",
        detail: `the api has not answered for a while${retry}; what you see is stale`,
      };
    case "unauthorized":
      return { word: "refused", dot: "bg-red-500", detail: "the api refused the token" };
    case "stopped":
      return { word: "closed", dot: "bg-gray-400", detail: "the live feed is closed" };
  }
}

export function ConnectionIndicator({ info, onRetry }: { info: ConnectionInfo; onRetry?: () => void }) {
  const { word, dot, detail } = describe(info);
  const lost = info.phase === "reconnecting" || info.phase === "offline";
  return (
    <div className="flex items-center gap-2">
      <Tooltip>
        <TooltipTrigger asChild>
          <span
            tabIndex={0}
            role="status"
            aria-live="polite"
            data-testid="connection"
            data-phase={info.phase}
            data-attempt={info.attempt}
            className={cn(
              "inline-flex items-center gap-2 rounded-full border px-2.5 py-1 text-xs font-medium",
              lost && "border-amber-300 bg-amber-50 text-amber-900",
              info.phase === "offline" && "border-red-300 bg-red-50 text-red-900",
            )}
          >
            <span aria-hidden className={cn("size-2 rounded-full", dot)} />
            {word}
          </span>
        </TooltipTrigger>
        <TooltipContent>{detail}</TooltipContent>
      </Tooltip>
      {lost && onRetry && (
        <button
          type="button"
          onClick={onRetry}
          className="text-muted-foreground hover:text-foreground inline-flex items-center gap-1 text-xs underline-offset-2 hover:underline"
        >
          <RefreshCw className="size-3" aria-hidden /> retry now
        </button>
      )}
    </div>
  );
}
