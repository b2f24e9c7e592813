import { act, render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { CalendarBanner, calendarWarning } from "@/components/dashboard/calendar-banner";
import { DashboardPage } from "@/components/dashboard/dashboard-page";

import { health, iso, snapshot, testContext } from "./fixtures";
import { renderLive } from "./render";

const BEYOND =
  "exchange holidays unknown: the calendar (chinese-calendar 1.11.0) ends 2026-12-31 and today 2027-01-04 is beyond it";

describe("CalendarBanner", () => {
  it("is not there while the calendar is fine", () => {
    const { container } = render(<CalendarBanner warning="" />);
    expect(container).toBeEmptyDOMElement();
  });

  it("says what the health service says, as an alert", () => {
    render(<CalendarBanner warning={BEYOND} />);
    const banner = screen.getByRole("alert");
    expect(banner).toHaveAttribute("data-testid", "calendar-banner");
    expect(banner).toHaveTextContent("Exchange holiday calendar");
    expect(banner).toHaveTextContent("2027-01-04");
  });

  it("takes the newest verdict's word", () => {
    const older = health("sim-a", { at: iso(-5_000), calendar_warning: BEYOND });
    const newer = health("sim-b", { at: iso(), calendar_warning: "" });
    expect(calendarWarning({ "sim-a": older, "sim-b": newer })).toBe("");
    expect(calendarWarning({ "sim-a": { ...older, at: iso(1_000) }, "sim-b": newer })).toBe(BEYOND);
    expect(calendarWarning({ "sim-a": health("sim-a") })).toBe(""); // an older health service
    expect(calendarWarning({})).toBe("");
  });

  it("shows on the dashboard from the verdicts, and goes once the calendar is fine", () => {
    const ctx = testContext();
    ctx.store.apply(snapshot());
    renderLive(<DashboardPage />, ctx.value);
    expect(screen.queryByTestId("calendar-banner")).not.toBeInTheDocument();
    act(() => ctx.store.apply({ type: "health", data: health("sim-a", { at: iso(1_000), calendar_warning: BEYOND }) }));
    expect(screen.getByTestId("calendar-banner")).toHaveTextContent("ends 2026-12-31");
    act(() => ctx.store.apply({ type: "health", data: health("sim-a", { at: iso(2_000), calendar_warning: "" }) }));
    expect(screen.queryByTestId("calendar-banner")).not.toBeInTheDocument();
  });
});
