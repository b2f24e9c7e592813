import { render } from "@testing-library/react";
import type * as React from "react";

import { Toaster } from "@/components/ui/sonner";
import { TooltipProvider } from "@/components/ui/tooltip";
import { LiveContextProvider, type LiveContextValue } from "@/lib/live-context";

/** Renders a page part the way the shell does: live context, tooltips, toasts. */
export function renderLive(ui: React.ReactElement, value: LiveContextValue) {
  return render(
    <LiveContextProvider value={value}>
      <TooltipProvider>
        {ui}
        <Toaster />
      </TooltipProvider>
    </LiveContextProvider>,
  );
}
