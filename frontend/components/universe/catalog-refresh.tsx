"use client";

import * as React from "react";
import { DatabaseZap, Loader2 } from "lucide-react";

import { Button } from "@/components/ui/button";
import { errorText } from "@/components/dashboard/gateway-controls";
import { useLiveContext } from "@/lib/live-context";
import { refreshOutcome } from "@/lib/universe-rows";
import { cn } from "@/lib/utils";

/** "Refresh catalog": asks the sources for their instruments now (seconds), shows that
 * it runs, then what came of it. */
export function CatalogRefresh({ onRefreshed }: { onRefreshed: () => void }) {
  const { api } = useLiveContext();
  const [running, setRunning] = React.useState(false);
  const [outcome, setOutcome] = React.useState<{ ok: boolean; text: string } | null>(null);

  async function refresh() {
    setRunning(true);
    setOutcome(null);
    try {
      const result = await api.refreshCatalog();
      setOutcome(refreshOutcome(result));
      if (result.ok) onRefreshed();
    } catch (error) {
      setOutcome({ ok: false, text: `Refresh failed: ${errorText(error)}` });
    } finally {
      setRunning(false);
    }
  }

  return (
    <div className="flex min-w-0 flex-wrap items-center gap-3">
      <Button size="sm" variant="outline" onClick={() => void refresh()} disabled={running} aria-busy={running}>
        {running ? <Loader2 className="animate-spin" aria-hidden /> : <DatabaseZap aria-hidden />}
        {running ? "Refreshing catalog…" : "Refresh catalog"}
      </Button>
      <p
        role="status"
        data-testid="catalog-refresh-outcome"
        className={cn("min-w-0 text-xs", outcome ? (outcome.ok ? "text-emerald-700" : "text-destructive") : "text-muted-foreground")}
      >
        {running ? "Asking the sources for their instruments; this can take a few seconds." : outcome?.text}
      </p>
    </div>
  );
}
