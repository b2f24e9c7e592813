import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { HealthBadge } from "@/components/dashboard/health-badge";
import { TooltipProvider } from "@/components/ui/tooltip";
import { HEALTH_STATES, type HealthState } from "@/lib/types";

const EXPECTED: Record<HealthState, [word: string, tone: string, colourClass: string]> = {
  HEALTHY: ["HEALTHY", "green", "bg-emerald-50"],
  DEGRADED: ["DEGRADED", "amber", "bg-amber-50"],
  UNHEALTHY: ["UNHEALTHY", "red", "bg-red-50"],
  RECOVERING: ["RECOVERING", "blue", "bg-blue-50"],
  STARTING: ["STARTING", "slate", "bg-slate-100"],
  STOPPED: ["STOPPED", "gray", "bg-gray-100"],
  MARKET_CLOSED: ["MARKET CLOSED", "violet", "bg-violet-50"],
};

describe("HealthBadge", () => {
  it.each(HEALTH_STATES)("shows %s in its word and colour", (state) => {
    const [word, tone, colourClass] = EXPECTED[state];
    render(
      <TooltipProvider>
        <HealthBadge state={state} />
      </TooltipProvider>,
    );
    const badge = screen.getByTestId("health-badge");
    expect(badge).toHaveTextContent(word);
    expect(badge).toHaveAttribute("data-state", state);
    expect(badge).toHaveAttribute("data-tone", tone);
    expect(badge.className).toContain(colourClass);
  });

  it("every state has its own colour", () => {
    const tones = new Set(Object.values(EXPECTED).map(([, tone]) => tone));
    expect(tones.size).toBe(HEALTH_STATES.length);
  });

  it("says UNKNOWN, dashed, before any verdict, and carries the reason for hover", () => {
    render(
      <TooltipProvider>
        <HealthBadge state={null} reason="the health service has not judged this source" />
      </TooltipProvider>,
    );
    const badge = screen.getByTestId("health-badge");
    expect(badge).toHaveTextContent("UNKNOWN");
    expect(badge.className).toContain("border-dashed");
    expect(screen.getByLabelText("UNKNOWN: the health service has not judged this source")).toBeInTheDocument();
  });
});
