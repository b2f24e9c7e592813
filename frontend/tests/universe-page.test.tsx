import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { UniversePage } from "@/components/universe/universe-page";
import type { ServerMessage } from "@/lib/types";
import type { UniverseEntry } from "@/lib/universe-types";

import { json, problem } from "./fixtures";
import { renderLive } from "./render";
import { entry, instrument, resolved, universeContext, type UCall } from "./universe-fixtures";

const TOTAL = 40_000;

function hub(overrides: (call: UCall) => Response | Promise<Response> | undefined = () => undefined) {
  let entries: UniverseEntry[] = [entry(1, "SHFE"), entry(2, "rb888.SHFE", { note: "main" }), entry(3, "au.SHFE", { options: true })];
  return universeContext((call) => {
    const answer = overrides(call);
    if (answer) return answer;
    const offset = Number(call.params.offset ?? 0);
    const limit = Number(call.params.limit ?? 200);
    if (call.method === "GET" && call.path === "/api/universe") return json(200, { entries });
    if (call.method === "GET" && call.path === "/api/universe/resolved") {
      const total = call.params.search ? 3 : call.params.problem === "uncovered" ? 12 : TOTAL;
      return json(200, resolved(total, offset, limit));
    }
    if (call.method === "GET" && call.path === "/api/instruments") {
      const total = 12_345;
      const rows = Array.from({ length: Math.min(limit, total - offset) }, (_, i) => instrument(offset + i));
      return json(200, { total, catalog: resolved(0, 0, 0).catalog, instruments: rows });
    }
    if (call.method === "POST" && call.path === "/api/universe") {
      const created = entry(9, (call.body as { text: string }).text, call.body as Partial<UniverseEntry>);
      entries = [...entries, created];
      return json(201, created);
    }
    if (call.method === "PATCH") {
      const id = Number(call.path.split("/").at(-1));
      const found = entries.find((e) => e.id === id)!;
      return json(200, { ...found, ...(call.body as object) });
    }
    if (call.method === "DELETE") return json(204, null);
    return undefined;
  });
}

const reads = (calls: UCall[], path: string) => calls.filter((c) => c.method === "GET" && c.path === path);
const writes = (calls: UCall[]) => calls.filter((c) => c.method !== "GET");

async function ready() {
  await screen.findByTestId("entry-row-SHFE");
  await waitFor(() => expect(screen.getByTestId("trading-day")).toHaveTextContent("2026-12-03"));
}

describe("UniversePage", () => {
  it("shows the entries with their kinds, the summary, the aliases and the warnings", async () => {
    const ctx = hub();
    renderLive(<UniversePage />, ctx.value);
    await ready();
    const rows = within(screen.getByTestId("universe-entries"));
    expect(within(rows.getByTestId("entry-row-SHFE")).getByText("exchange")).toBeInTheDocument();
    expect(within(rows.getByTestId("entry-row-rb888.SHFE")).getByText("alias")).toBeInTheDocument();
    expect(within(rows.getByTestId("entry-row-rb888.SHFE")).getByText("main")).toBeInTheDocument();
    expect(rows.getByRole("switch", { name: "Options of au.SHFE" })).toBeChecked();

    expect(screen.getByTestId("catalog-line")).toHaveTextContent("12,345 instruments from sim-a for 2026-12-03");
    expect(screen.getByTestId("filter-all")).toHaveTextContent("Contracts40,000");
    expect(screen.getByTestId("filter-uncovered")).toHaveTextContent("Uncovered12");
    expect(screen.getByTestId("filter-uncovered")).toHaveClass("text-red-800");
    expect(screen.getByTestId("filter-single")).toHaveClass("text-amber-900");

    expect(within(screen.getByTestId("alias-row-rb888.SHFE")).getByText("rb2605.SHFE")).toBeInTheDocument();
    expect(screen.getByTestId("unmatched")).toHaveTextContent("zz.SHFE");
    expect(screen.getByTestId("not-listed")).toHaveTextContent("rb2001.SHFE");
  });

  it("draws only the rows in view of 40,000 and reads the pages the operator scrolls to", async () => {
    const ctx = hub();
    renderLive(<UniversePage />, ctx.value);
    await ready();
    const table = screen.getByRole("table", { name: "Resolved contracts" });
    expect(table).toHaveAttribute("aria-rowcount", String(TOTAL + 1));
    await waitFor(() => expect(within(table).getByText("c00001.SHFE")).toBeInTheDocument());
    expect(within(table).getAllByRole("row").length).toBeLessThan(40);
    expect(reads(ctx.calls, "/api/universe/resolved").map((c) => c.params)).toEqual([{ offset: "0", limit: "200" }]);

    // Sources: none in red, one in amber.
    const uncovered = within(table).getByText("c00007.SHFE").closest("[role=row]") as HTMLElement;
    expect(within(uncovered).getByText("no source")).toHaveClass("text-red-800");
    const single = within(table).getByText("c00005.SHFE").closest("[role=row]") as HTMLElement;
    expect(within(single).getByText("sim-a")).toHaveClass("text-amber-900");

    table.scrollTop = 36 * 20_000;
    fireEvent.scroll(table);
    await waitFor(() => expect(within(table).getByText("c20001.SHFE")).toBeInTheDocument());
    expect(within(table).queryByText("c00001.SHFE")).not.toBeInTheDocument();
    expect(within(table).getAllByRole("row").length).toBeLessThan(40);
    expect(reads(ctx.calls, "/api/universe/resolved").map((c) => c.params.offset)).toEqual(["0", "20000"]);
  });

  it("searches on the server once the typing settles, and filters by problem", async () => {
    const ctx = hub();
    renderLive(<UniversePage />, ctx.value);
    await ready();
    const user = userEvent.setup({ delay: null });
    await user.type(screen.getByRole("searchbox", { name: "Search contracts" }), "rb26");
    await waitFor(() => expect(reads(ctx.calls, "/api/universe/resolved").at(-1)!.params).toMatchObject({ search: "rb26", offset: "0" }));
    // One read for the settled text, not one per key.
    expect(reads(ctx.calls, "/api/universe/resolved").filter((c) => c.params.search)).toHaveLength(1);
    await waitFor(() => expect(screen.getByRole("table", { name: "Resolved contracts" })).toHaveAttribute("aria-rowcount", "4"));

    await user.clear(screen.getByRole("searchbox", { name: "Search contracts" }));
    await user.click(screen.getByTestId("filter-uncovered"));
    expect(screen.getByTestId("filter-uncovered")).toHaveAttribute("aria-pressed", "true");
    await waitFor(() =>
      expect(reads(ctx.calls, "/api/universe/resolved").at(-1)!.params).toEqual({ problem: "uncovered", offset: "0", limit: "200" }),
    );
  });

  it("adds an entry, and shows the api's refusal under the input", async () => {
    let refuse: Response | null = problem(422, "text: not a universe entry", [
      { field: "text", location: "body", message: "Value error, rb26**.SHFE is not a contract, product, exchange, pattern or alias", type: "value_error" },
    ]);
    const ctx = hub((call) => {
      if (call.method === "POST" && refuse) {
        const answer = refuse;
        refuse = null;
        return answer;
      }
      return undefined;
    });
    renderLive(<UniversePage />, ctx.value);
    await ready();
    const user = userEvent.setup({ delay: null });
    const text = screen.getByLabelText("Entry");
    expect(text).toHaveAttribute("placeholder", "rb.SHFE, SHFE, rb26*.SHFE, rb888.SHFE");

    await user.type(text, "rb26**.SHFE");
    await user.click(screen.getByRole("button", { name: "Add" }));
    expect(await screen.findByTestId("entry-error")).toHaveTextContent("rb26**.SHFE is not a contract");
    expect(text).toHaveAttribute("aria-invalid", "true");
    expect(text).toHaveValue("rb26**.SHFE");

    await user.clear(text);
    await user.type(text, "m.DCE");
    await user.click(screen.getByLabelText("Options too"));
    await user.type(screen.getByLabelText("Note"), "soy meal");
    await user.click(screen.getByRole("button", { name: "Add" }));
    expect(await screen.findByTestId("entry-row-m.DCE")).toBeInTheDocument();
    expect(writes(ctx.calls).at(-1)).toMatchObject({ method: "POST", path: "/api/universe", body: { text: "m.DCE", options: true, note: "soy meal" } });
    expect(text).toHaveValue("");
    expect(screen.queryByTestId("entry-error")).not.toBeInTheDocument();
    // The resolved view is read again after the change.
    await waitFor(() => expect(reads(ctx.calls, "/api/universe/resolved").length).toBeGreaterThan(1));
  });

  it("says a duplicate is one", async () => {
    const ctx = hub((call) => (call.method === "POST" ? problem(409, "SHFE is in the universe already") : undefined));
    renderLive(<UniversePage />, ctx.value);
    await ready();
    const user = userEvent.setup({ delay: null });
    await user.type(screen.getByLabelText("Entry"), "SHFE");
    await user.click(screen.getByRole("button", { name: "Add" }));
    expect(await screen.findByTestId("entry-error")).toHaveTextContent("SHFE is in the universe already");
  });

  it("turns options on and off, edits a note and deletes after confirmation", async () => {
    const ctx = hub();
    renderLive(<UniversePage />, ctx.value);
    await ready();
    const user = userEvent.setup({ delay: null });
    await user.click(screen.getByRole("switch", { name: "Options of SHFE" }));
    await waitFor(() => expect(writes(ctx.calls)).toEqual([{ method: "PATCH", path: "/api/universe/1", params: {}, body: { options: true } }]));
    await waitFor(() => expect(screen.getByRole("switch", { name: "Options of SHFE" })).toBeChecked());

    await user.click(screen.getByRole("button", { name: "Edit the note of rb888.SHFE" }));
    const note = screen.getByLabelText("Note of rb888.SHFE");
    await user.clear(note);
    await user.type(note, "follows the main month{Enter}");
    await waitFor(() => expect(writes(ctx.calls).at(-1)).toMatchObject({ method: "PATCH", path: "/api/universe/2", body: { note: "follows the main month" } }));
    expect(await within(screen.getByTestId("entry-row-rb888.SHFE")).findByText("follows the main month")).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Delete au.SHFE" }));
    let dialog = await screen.findByRole("alertdialog");
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(writes(ctx.calls).filter((c) => c.method === "DELETE")).toEqual([]);
    await user.click(screen.getByRole("button", { name: "Delete au.SHFE" }));
    dialog = await screen.findByRole("alertdialog");
    await user.click(within(dialog).getByRole("button", { name: "Delete" }));
    await waitFor(() => expect(screen.queryByTestId("entry-row-au.SHFE")).not.toBeInTheDocument());
    expect(writes(ctx.calls).at(-1)).toMatchObject({ method: "DELETE", path: "/api/universe/3" });
  });

  it("refreshes the catalog: shows it running, then the counts, or the error", async () => {
    let release: (value: Response) => void = () => undefined;
    let failNext = false;
    const ctx = hub((call) => {
      if (call.method !== "POST" || call.path !== "/api/instruments/refresh") return undefined;
      if (failNext) return problem(502, "no source answered within 30 s");
      return new Promise<Response>((resolve) => {
        release = resolve;
      });
    });
    renderLive(<UniversePage />, ctx.value);
    await ready();
    const user = userEvent.setup({ delay: null });
    await user.click(screen.getByRole("button", { name: "Refresh catalog" }));
    const running = screen.getByRole("button", { name: "Refreshing catalog…" });
    expect(running).toBeDisabled();
    expect(screen.getByTestId("catalog-refresh-outcome")).toHaveTextContent("this can take a few seconds");
    const before = reads(ctx.calls, "/api/universe/resolved").length;
    act(() =>
      release(
        json(200, {
          ok: true,
          origin: "sim-a",
          trading_day: "2026-12-04",
          instruments: 12_400,
          listed: ["a", "b", "c"],
          expired: ["d"],
          at: "2026-12-03T15:00:00Z",
          error: "",
        }),
      ),
    );
    await waitFor(() =>
      expect(screen.getByTestId("catalog-refresh-outcome")).toHaveTextContent(
        "12,400 instruments from sim-a for 2026-12-04: 3 listed, 1 expired",
      ),
    );
    await waitFor(() => expect(reads(ctx.calls, "/api/universe/resolved").length).toBeGreaterThan(before));

    failNext = true;
    await user.click(screen.getByRole("button", { name: "Refresh catalog" }));
    await waitFor(() =>
      expect(screen.getByTestId("catalog-refresh-outcome")).toHaveTextContent("Refresh failed: no source answered within 30 s"),
    );
    expect(screen.getByTestId("catalog-refresh-outcome")).toHaveClass("text-destructive");
  });

  it("says when no gateway manager answers a refresh", async () => {
    const ctx = hub((call) =>
      call.path === "/api/instruments/refresh" ? problem(503, "no gateway manager is listening on NATS: is the gateway service up?") : undefined,
    );
    renderLive(<UniversePage />, ctx.value);
    await ready();
    await userEvent.setup({ delay: null }).click(screen.getByRole("button", { name: "Refresh catalog" }));
    await waitFor(() =>
      expect(screen.getByTestId("catalog-refresh-outcome")).toHaveTextContent(
        "Refresh failed: no gateway manager is listening on NATS: is the gateway service up? (503)",
      ),
    );
    expect(screen.getByRole("button", { name: "Refresh catalog" })).toBeEnabled();
  });

  it("reads everything again when the feed says the universe or the catalog changed", async () => {
    const ctx = hub();
    renderLive(<UniversePage />, ctx.value);
    await ready();
    await waitFor(() => expect(reads(ctx.calls, "/api/instruments")).toHaveLength(1));
    const counts = () => [
      reads(ctx.calls, "/api/universe").length,
      reads(ctx.calls, "/api/universe/resolved").length,
      reads(ctx.calls, "/api/instruments").length,
    ];
    expect(counts()).toEqual([1, 1, 1]);
    act(() => {
      // A burst costs one read of each.
      ctx.store.apply({ type: "universe_changed", data: {} } as unknown as ServerMessage);
      ctx.store.apply({ type: "allocation_changed", data: {} } as unknown as ServerMessage);
    });
    await waitFor(() => expect(counts()).toEqual([2, 2, 2]));
  });

  it("lists the catalog's instruments, searched on the server", async () => {
    const ctx = hub();
    renderLive(<UniversePage />, ctx.value);
    await ready();
    const table = screen.getByRole("table", { name: "Instrument catalog" });
    await waitFor(() => expect(within(table).getByText("i00002.DCE")).toBeInTheDocument());
    expect(table).toHaveAttribute("aria-rowcount", "12346");
    const user = userEvent.setup({ delay: null });
    await user.type(screen.getByRole("searchbox", { name: "Search instruments" }), "i27");
    await waitFor(() => expect(reads(ctx.calls, "/api/instruments").at(-1)!.params).toEqual({ search: "i27", offset: "0", limit: "100" }));
  });
});
