import { act, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { LogsPage, ROWS_SHOWN } from "@/components/logs/logs-page";
import { LOG_LIMIT } from "@/lib/live-store";
import { filterLogs, levelGroup, ALL_LEVELS } from "@/lib/log-filter";

import { log, snapshot, testContext } from "./fixtures";
import { renderLive } from "./render";

function messages(): string[] {
  return screen.queryAllByTestId("log-row").map((row) => row.querySelectorAll("td")[4]!.textContent ?? "");
}

function setup() {
  const ctx = testContext();
  ctx.store.apply(
    snapshot({
      logs: [
        log("worker started", { service: "gateway", source: "sim-a" }),
        log("canary silent for 3.4 s", { level: "WARNING", service: "health", source: "sim-b" }),
        log("worker exited with code 1", { level: "ERROR", service: "gateway", source: "sim-b" }),
        log("database gone", { level: "CRITICAL", service: "api" }),
        log("switched rb2605.SHFE to sim-a", { service: "failover", source: "sim-a", symbol: "rb2605.SHFE" }),
      ],
    }),
  );
  renderLive(<LogsPage />, ctx.value);
  return { ctx, user: userEvent.setup({ delay: null }) };
}

describe("LogsPage", () => {
  it("shows the newest line first and highlights ERROR and CRITICAL rows", () => {
    setup();
    expect(messages()[0]).toContain("switched rb2605.SHFE to sim-a");
    const rows = screen.getAllByTestId("log-row");
    const error = rows.find((row) => row.dataset.level === "ERROR")!;
    const critical = rows.find((row) => row.dataset.level === "CRITICAL")!;
    const info = rows.find((row) => row.dataset.level === "INFO")!;
    expect(error.className).toContain("bg-red-50");
    expect(critical.className).toContain("bg-red-50");
    expect(info.className).not.toContain("bg-red-50");
  });

  it("filters by level: WARN is WARNING, ERROR takes CRITICAL", async () => {
    const { user } = setup();
    await user.click(screen.getByTestId("level-INFO"));
    await user.click(screen.getByTestId("level-WARN"));
    expect(screen.getByTestId("level-INFO")).toHaveAttribute("aria-pressed", "false");
    expect(messages()).toEqual(["database gone", "worker exited with code 1"]);
    await user.click(screen.getByTestId("level-WARN"));
    await user.click(screen.getByTestId("level-ERROR"));
    expect(messages()).toEqual(["canary silent for 3.4 s"]);
  });

  it("filters by source and service, and searches the text", async () => {
    const { user } = setup();
    await user.click(screen.getByRole("combobox", { name: "Source" }));
    await user.click(await screen.findByRole("option", { name: "sim-b" }));
    expect(messages()).toEqual(["worker exited with code 1", "canary silent for 3.4 s"]);

    await user.click(screen.getByRole("combobox", { name: "Service" }));
    await user.click(await screen.findByRole("option", { name: "health" }));
    expect(messages()).toEqual(["canary silent for 3.4 s"]);

    await user.click(screen.getByRole("combobox", { name: "Source" }));
    await user.click(await screen.findByRole("option", { name: "All sources" }));
    await user.click(screen.getByRole("combobox", { name: "Service" }));
    await user.click(await screen.findByRole("option", { name: "All services" }));
    await user.type(screen.getByRole("searchbox", { name: "Search" }), "RB2605");
    // Case-insensitive, over the message and the symbol.
    expect(messages()).toHaveLength(1);
    expect(messages()[0]).toContain("switched rb2605.SHFE to sim-a");
    await user.clear(screen.getByRole("searchbox", { name: "Search" }));
    await user.type(screen.getByRole("searchbox", { name: "Search" }), "nothing like it");
    expect(messages()).toEqual([]);
    expect(screen.getByTestId("log-empty")).toHaveTextContent("No line matches the filters.");
  });

  it("pause holds new lines back and counts them; resume shows them", async () => {
    const { ctx, user } = setup();
    await user.click(screen.getByTestId("pause"));
    act(() => {
      ctx.store.apply({ type: "log", data: log("while paused 1") });
      ctx.store.apply({ type: "log", data: log("while paused 2", { level: "ERROR" }) });
    });
    expect(messages()).not.toContain("while paused 1");
    expect(screen.getByTestId("buffered")).toHaveTextContent("2 new");
    expect(screen.getByTestId("log-stats")).toHaveTextContent("paused: 2 new lines held back");
    await user.click(screen.getByTestId("resume"));
    expect(messages().slice(0, 2)).toEqual(["while paused 2", "while paused 1"]);
    expect(screen.queryByTestId("buffered")).not.toBeInTheDocument();
  });

  it("keeps a bounded buffer and draws a bounded number of rows", () => {
    const ctx = testContext();
    ctx.store.apply(snapshot());
    renderLive(<LogsPage />, ctx.value);
    act(() => {
      for (let i = 0; i < LOG_LIMIT + 500; i++) ctx.store.apply({ type: "log", data: log(`line ${i}`) });
    });
    expect(ctx.store.current.logs.length).toBe(LOG_LIMIT);
    expect(screen.getAllByTestId("log-row")).toHaveLength(ROWS_SHOWN);
    expect(messages()[0]).toBe(`line ${LOG_LIMIT + 499}`);
    const stats = screen.getByTestId("log-stats");
    expect(stats).toHaveTextContent(`${LOG_LIMIT} matching (newest ${ROWS_SHOWN} shown)`);
    expect(stats).toHaveTextContent(`${LOG_LIMIT} kept of ${LOG_LIMIT + 500} received`);
  });

  it("shows the counts per level", () => {
    setup();
    expect(within(screen.getByTestId("level-ERROR")).getByText("2")).toBeInTheDocument();
    expect(within(screen.getByTestId("level-WARN")).getByText("1")).toBeInTheDocument();
    expect(within(screen.getByTestId("level-INFO")).getByText("2")).toBeInTheDocument();
  });
});

describe("log filter", () => {
  it("groups levels as the operator reads them", () => {
    expect(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"].map(levelGroup)).toEqual([
      "INFO",
      "INFO",
      "WARN",
      "ERROR",
      "ERROR",
    ]);
  });

  it("matches every filter at once", () => {
    const records = [
      log("a", { source: "sim-a", service: "gateway" }),
      log("b", { source: "sim-b", service: "gateway", level: "ERROR" }),
    ];
    expect(filterLogs(records, { levels: ALL_LEVELS, service: "gateway", source: "sim-b", text: "" })).toHaveLength(1);
    expect(filterLogs(records, { levels: new Set(["INFO"]), service: "", source: "sim-b", text: "" })).toHaveLength(0);
  });
});
