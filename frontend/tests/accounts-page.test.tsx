import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { AccountsPage } from "@/components/accounts/accounts-page";

import { account, ctpAccount, json, problem, testContext, type Call } from "./fixtures";
import { renderLive } from "./render";

function api(overrides: (call: Call) => Response | undefined = () => undefined) {
  return testContext((call) => {
    const answer = overrides(call);
    if (answer) return answer;
    if (call.method === "GET" && call.path === "/api/accounts")
      return json(200, [account("sim-a"), { ...ctpAccount("ctp-main"), contracts: [], capacity: 800, excluded: ["CZCE", "SR.CZCE"] }]);
    if (call.method === "PUT") return json(200, { ...account("sim-a"), ...(call.body as object) });
    if (call.method === "DELETE") return json(204, null);
    return json(201, account("sim-c"));
  });
}

const writes = (calls: Call[]) => calls.filter((c) => c.method !== "GET");

describe("AccountsPage", () => {
  it("lists every account and enables or disables one with its switch (PUT is_enabled)", async () => {
    const ctx = api();
    renderLive(<AccountsPage />, ctx.value);
    const row = await screen.findByTestId("account-row-sim-a");
    expect(screen.getByTestId("account-row-ctp-main")).toBeInTheDocument();
    const toggle = within(row).getByRole("switch", { name: "Enable sim-a" });
    expect(toggle).toBeChecked();
    await userEvent.setup({ delay: null }).click(toggle);
    await waitFor(() =>
      expect(writes(ctx.calls)).toEqual([
        { method: "PUT", path: "/api/accounts/1", body: { is_enabled: false }, auth: "Bearer t0ken" },
      ]),
    );
    await waitFor(() => expect(toggle).not.toBeChecked());
    expect(await screen.findByText("sim-a disabled")).toBeInTheDocument();
  });

  it("puts the switch back and says why when the api refuses", async () => {
    const ctx = api((call) => (call.method === "PUT" ? problem(503, "the database is unavailable; try again shortly") : undefined));
    renderLive(<AccountsPage />, ctx.value);
    const toggle = within(await screen.findByTestId("account-row-sim-a")).getByRole("switch");
    await userEvent.setup({ delay: null }).click(toggle);
    expect(await screen.findByText("the database is unavailable; try again shortly (503)")).toBeInTheDocument();
    expect(toggle).toBeChecked();
  });

  it("shows the api's 422 errors at their fields", async () => {
    const ctx = api((call) =>
      call.method === "POST"
        ? problem(422, "name: String should match pattern", [
            { field: "name", location: "body", message: "String should match pattern '^[A-Za-z0-9_-]{1,64}$'", type: "string_pattern_mismatch" },
            { field: "contracts.0", location: "body", message: "String should match pattern", type: "string_pattern_mismatch" },
            { field: "sim.ticks_per_second", location: "body", message: "Input should be less than or equal to 50", type: "less_than_equal" },
          ])
        : undefined,
    );
    renderLive(<AccountsPage />, ctx.value);
    const user = userEvent.setup({ delay: null });
    await screen.findByTestId("account-row-sim-a");
    await user.click(screen.getByRole("button", { name: "New account" }));
    const dialog = await screen.findByRole("dialog");
    await user.type(within(dialog).getByLabelText("Name"), "bad name!");
    await user.type(within(dialog).getByLabelText("Canary contract"), "rb2605.SHFE");
    await user.type(within(dialog).getByLabelText("Contracts"), "nope");
    await user.clear(within(dialog).getByLabelText("Ticks per second"));
    await user.type(within(dialog).getByLabelText("Ticks per second"), "99");
    await user.click(within(dialog).getByRole("button", { name: "Create" }));

    expect(await within(dialog).findByTestId("error-name")).toHaveTextContent("String should match pattern");
    expect(within(dialog).getByLabelText("Name")).toHaveAttribute("aria-invalid", "true");
    expect(within(dialog).getByTestId("error-contracts")).toHaveTextContent("item 1: String should match pattern");
    expect(within(dialog).getByTestId("error-sim.ticks_per_second")).toHaveTextContent("less than or equal to 50");
    expect(within(dialog).getByLabelText("Canary contract")).toHaveAttribute("aria-invalid", "false");
    expect(writes(ctx.calls)[0]!.body).toMatchObject({ name: "bad name!", contracts: ["nope"], sim: { ticks_per_second: 99 } });
    // The dialog stays open with what was typed.
    expect(within(dialog).getByLabelText("Name")).toHaveValue("bad name!");
  });

  it("shows a 409 name conflict at the name field", async () => {
    const ctx = api((call) =>
      call.method === "POST" ? problem(409, "an account named 'sim-a' exists already (names ignore letter case)") : undefined,
    );
    renderLive(<AccountsPage />, ctx.value);
    const user = userEvent.setup({ delay: null });
    await screen.findByTestId("account-row-sim-a");
    await user.click(screen.getByRole("button", { name: "New account" }));
    const dialog = await screen.findByRole("dialog");
    await user.type(within(dialog).getByLabelText("Name"), "SIM-A");
    await user.click(within(dialog).getByRole("button", { name: "Create" }));
    expect(await within(dialog).findByTestId("error-name")).toHaveTextContent("exists already");
  });

  it("creates an account and closes the form", async () => {
    const ctx = api();
    renderLive(<AccountsPage />, ctx.value);
    const user = userEvent.setup({ delay: null });
    await screen.findByTestId("account-row-sim-a");
    await user.click(screen.getByRole("button", { name: "New account" }));
    const dialog = await screen.findByRole("dialog");
    await user.type(within(dialog).getByLabelText("Name"), "sim-c");
    await user.type(within(dialog).getByLabelText("Canary contract"), "rb2605.SHFE");
    await user.click(within(dialog).getByRole("button", { name: "Create" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    expect(await screen.findByTestId("account-row-sim-c")).toBeInTheDocument();
    expect(writes(ctx.calls)[0]).toMatchObject({ method: "POST", path: "/api/accounts", body: { name: "sim-c", gateway_type: "sim" } });
  });

  it("edits a ctp account: secrets are never shown, empty keeps them, only changes are sent", async () => {
    const ctx = api();
    renderLive(<AccountsPage />, ctx.value);
    const user = userEvent.setup({ delay: null });
    await screen.findByTestId("account-row-ctp-main");
    await user.click(screen.getByRole("button", { name: "Edit ctp-main" }));
    const dialog = await screen.findByRole("dialog");
    const password = within(dialog).getByLabelText("Password");
    expect(password).toHaveAttribute("type", "password");
    expect(password).toHaveValue("");
    expect(within(dialog).getByLabelText("Auth code")).toHaveValue("");
    expect(within(dialog).getByText("Stored (never shown). Leave empty to keep it.", { selector: "#account-ctp-password-hint" })).toBeInTheDocument();
    expect(within(dialog).getByLabelText("User id")).toHaveValue("089123");

    await user.clear(within(dialog).getByLabelText("Priority"));
    await user.type(within(dialog).getByLabelText("Priority"), "2");
    await user.click(within(dialog).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    expect(writes(ctx.calls)).toEqual([{ method: "PUT", path: "/api/accounts/3", body: { priority: 2 }, auth: "Bearer t0ken" }]);
  });

  it("deletes only after confirmation", async () => {
    const ctx = api();
    renderLive(<AccountsPage />, ctx.value);
    const user = userEvent.setup({ delay: null });
    await screen.findByTestId("account-row-sim-a");
    await user.click(screen.getByRole("button", { name: "Delete sim-a" }));
    let dialog = await screen.findByRole("alertdialog");
    expect(dialog).toHaveTextContent("Delete sim-a?");
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(writes(ctx.calls)).toEqual([]);

    await user.click(screen.getByRole("button", { name: "Delete sim-a" }));
    dialog = await screen.findByRole("alertdialog");
    await user.click(within(dialog).getByRole("button", { name: "Delete" }));
    await waitFor(() => expect(screen.queryByTestId("account-row-sim-a")).not.toBeInTheDocument());
    expect(writes(ctx.calls)).toEqual([{ method: "DELETE", path: "/api/accounts/1", body: undefined, auth: "Bearer t0ken" }]);
  });

  it("reads the list again when the feed says the pool changed", async () => {
    const ctx = api();
    renderLive(<AccountsPage />, ctx.value);
    await screen.findByTestId("account-row-sim-a");
    const reads = () => ctx.calls.filter((c) => c.method === "GET").length;
    expect(reads()).toBe(1);
    ctx.store.apply({ type: "accounts", data: { account_id: 9, name: "x", action: "created", at: new Date().toISOString() } });
    await waitFor(() => expect(reads()).toBe(2));
  });

  it("shows each account's capacity, and 'universe' where it takes its contracts from there", async () => {
    const ctx = api();
    renderLive(<AccountsPage />, ctx.value);
    const explicit = await screen.findByTestId("account-row-sim-a");
    expect(within(explicit).getByTestId("contracts-cell")).toHaveTextContent("2 explicit");
    expect(within(explicit).getByText("5,000")).toBeInTheDocument();
    const universe = screen.getByTestId("account-row-ctp-main");
    expect(within(universe).getByTestId("contracts-cell")).toHaveTextContent("universe");
    expect(within(universe).getByTestId("contracts-cell")).toHaveTextContent("excl. CZCE, SR.CZCE");
    expect(within(universe).getByText("800")).toBeInTheDocument();
  });

  it("refuses a capacity out of bounds at its field without asking the api, and sends a good one", async () => {
    const ctx = api();
    renderLive(<AccountsPage />, ctx.value);
    const user = userEvent.setup({ delay: null });
    await screen.findByTestId("account-row-sim-a");
    await user.click(screen.getByRole("button", { name: "Edit sim-a" }));
    const dialog = await screen.findByRole("dialog");
    expect(within(dialog).getByText(/leave empty to take contracts from the universe/)).toBeInTheDocument();
    const capacity = within(dialog).getByLabelText("Capacity");
    expect(capacity).toHaveValue("5000");
    await user.clear(capacity);
    await user.type(capacity, "100001");
    await user.type(within(dialog).getByLabelText("Excluded"), "CZCE");
    await user.click(within(dialog).getByRole("button", { name: "Save" }));
    expect(await within(dialog).findByTestId("error-capacity")).toHaveTextContent("A whole number from 1 to 100,000");
    expect(capacity).toHaveAttribute("aria-invalid", "true");
    expect(writes(ctx.calls)).toEqual([]);

    await user.clear(capacity);
    await user.type(capacity, "2000");
    await user.click(within(dialog).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    expect(writes(ctx.calls)).toEqual([
      { method: "PUT", path: "/api/accounts/1", body: { capacity: 2000, excluded: ["CZCE"] }, auth: "Bearer t0ken" },
    ]);
  });
});
