import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { GatewayControls } from "@/components/dashboard/gateway-controls";

import { json, problem, testContext, view } from "./fixtures";
import { renderLive } from "./render";

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe("GatewayControls", () => {
  it("Start runs at once and shows a pending state until the api answers", async () => {
    const answer = deferred<Response>();
    const ctx = testContext(() => answer.promise);
    ctx.store.setGateways([view("sim-a", { state: "stopped" })]);
    renderLive(<GatewayControls accountId={1} name="sim-a" />, ctx.value);
    const user = userEvent.setup({ delay: null });

    await user.click(screen.getByRole("button", { name: "Start sim-a" }));
    expect(ctx.calls).toEqual([{ method: "POST", path: "/api/accounts/1/start", body: undefined, auth: "Bearer t0ken" }]);
    // Pending: the button says so and every button of the row waits.
    expect(screen.getByRole("button", { name: "Start sim-a" })).toHaveTextContent("Starting…");
    for (const button of within(screen.getByTestId("controls-sim-a")).getAllByRole("button")) {
      expect(button).toBeDisabled();
    }
    expect(screen.getByTestId("controls-sim-a")).toHaveAttribute("aria-busy", "true");

    answer.resolve(json(200, view("sim-a", { state: "starting", status_at: new Date().toISOString() })));
    await waitFor(() => expect(screen.getByRole("button", { name: "Start sim-a" })).toBeEnabled());
    expect(screen.getByRole("button", { name: "Start sim-a" })).toHaveTextContent("Start");
    // The reply lands in the store: the row shows it without waiting for the feed.
    expect(ctx.store.current.gateways[0]!.state).toBe("starting");
  });

  it.each([
    ["Stop", "stop"],
    ["Hard restart", "restart"],
  ])("%s asks for confirmation; Cancel sends nothing", async (label, action) => {
    const ctx = testContext(() => json(200, view("sim-a")));
    renderLive(<GatewayControls accountId={1} name="sim-a" />, ctx.value);
    const user = userEvent.setup({ delay: null });

    await user.click(screen.getByRole("button", { name: `${label} sim-a` }));
    const dialog = await screen.findByRole("alertdialog");
    expect(dialog).toHaveTextContent(`${label} sim-a?`);
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    await waitFor(() => expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument());
    expect(ctx.calls).toEqual([]);

    await user.click(screen.getByRole("button", { name: `${label} sim-a` }));
    await user.click(within(await screen.findByRole("alertdialog")).getByRole("button", { name: label }));
    await waitFor(() => expect(ctx.calls.map((c) => c.path)).toEqual([`/api/accounts/1/${action}`]));
  });

  it.each([
    [409, "account sim-a is disabled: enable it first"],
    [504, "no gateway manager answered within 5.0 s: is the gateway service up?"],
  ])("a refusal (%i) shows the api's message in a toast", async (code, detail) => {
    const ctx = testContext(() => problem(code, detail));
    renderLive(<GatewayControls accountId={1} name="sim-a" />, ctx.value);
    const user = userEvent.setup({ delay: null });

    await user.click(screen.getByRole("button", { name: "Hard restart sim-a" }));
    await user.click(within(await screen.findByRole("alertdialog")).getByRole("button", { name: "Hard restart" }));
    expect(await screen.findByText("Hard restart of sim-a failed")).toBeInTheDocument();
    expect(screen.getByText(`${detail} (${code})`)).toBeInTheDocument();
    // The buttons are usable again.
    await waitFor(() => expect(screen.getByRole("button", { name: "Hard restart sim-a" })).toBeEnabled());
  });

  it("an unreachable api is said so", async () => {
    const ctx = testContext(() => Promise.reject(new TypeError("Failed to fetch")));
    renderLive(<GatewayControls accountId={1} name="sim-a" />, ctx.value);
    await userEvent.setup({ delay: null }).click(screen.getByRole("button", { name: "Start sim-a" }));
    expect(await screen.findByText("the api cannot be reached; is it running?")).toBeInTheDocument();
  });
});
