import { act, render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { AppShell } from "@/components/shell/app-shell";
import { AuthStore, authStore, TOKEN_KEY } from "@/lib/auth";
import { DashboardPage } from "@/components/dashboard/dashboard-page";

import { FakeSocket } from "./fake-socket";
import { fakeFetch, json, problem, snapshot } from "./fixtures";

vi.mock("next/navigation", () => ({ usePathname: () => "/" }));

const GOOD = "the-right-token";

function install() {
  const fetcher = fakeFetch((call) => (call.auth === `Bearer ${GOOD}` ? json(200, []) : problem(401, "a valid bearer token is required")));
  vi.stubGlobal("fetch", fetcher.impl);
  vi.stubGlobal("WebSocket", FakeSocket);
  return fetcher;
}

beforeEach(() => {
  FakeSocket.reset();
  authStore().logout();
});

afterEach(() => {
  vi.unstubAllGlobals();
});

function renderShell() {
  return render(
    <AppShell>
      <DashboardPage />
    </AppShell>,
  );
}

describe("login", () => {
  it("asks for a token, refuses a wrong one clearly, keeps a right one", async () => {
    const fetcher = install();
    renderShell();
    const user = userEvent.setup({ delay: null });
    const input = await screen.findByLabelText("API token");
    expect(FakeSocket.instances).toHaveLength(0); // nothing is opened without a token

    await user.type(input, "wrong");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("This token is not the api's token.");
    expect(window.localStorage.getItem(TOKEN_KEY)).toBeNull();

    await user.clear(input);
    await user.type(input, GOOD);
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    await waitFor(() => expect(FakeSocket.instances).toHaveLength(1));
    expect(window.localStorage.getItem(TOKEN_KEY)).toBe(GOOD);
    expect(fetcher.calls.map((c) => c.auth)).toEqual(["Bearer wrong", `Bearer ${GOOD}`]);

    // The feed authenticates with the token and the dashboard fills from the snapshot.
    const socket = FakeSocket.last;
    expect(socket.url).toMatch(/^ws:\/\/.*\/ws$/);
    act(() => socket.accept());
    expect(socket.sent).toEqual([{ type: "auth", token: GOOD }]);
    act(() => socket.receive(snapshot()));
    expect(await screen.findByTestId("gateway-row-sim-a")).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId("connection")).toHaveAttribute("data-phase", "live"));
  });

  it("says when the api cannot be reached", async () => {
    vi.stubGlobal("fetch", () => Promise.reject(new TypeError("Failed to fetch")));
    renderShell();
    const user = userEvent.setup({ delay: null });
    await user.type(await screen.findByLabelText("API token"), "x");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("The api cannot be reached");
  });

  it("goes back to the login screen when /ws closes 4401, with the reason", async () => {
    install();
    authStore().login("stale-token");
    renderShell();
    await waitFor(() => expect(FakeSocket.instances).toHaveLength(1));
    act(() => FakeSocket.last.accept());
    act(() => FakeSocket.last.drop(4401));
    expect(await screen.findByLabelText("API token")).toBeInTheDocument();
    expect(screen.getByRole("alert")).toHaveTextContent("The api refused the stored token");
    expect(window.localStorage.getItem(TOKEN_KEY)).toBeNull();
  });

  it("shows reconnecting with the attempt count when the feed is lost", async () => {
    install();
    authStore().login(GOOD);
    renderShell();
    await waitFor(() => expect(FakeSocket.instances).toHaveLength(1));
    act(() => {
      FakeSocket.last.accept();
      FakeSocket.last.receive(snapshot());
    });
    act(() => FakeSocket.last.drop(1006));
    await waitFor(() => expect(screen.getByTestId("connection")).toHaveAttribute("data-phase", "reconnecting"));
    expect(screen.getByTestId("connection")).toHaveTextContent("reconnecting (attempt 1)");
    // "retry now" skips the backoff.
    await userEvent.setup({ delay: null }).click(screen.getByRole("button", { name: /retry now/ }));
    expect(FakeSocket.instances).toHaveLength(2);
  });

  it("logs out: the token is forgotten and the feed closed", async () => {
    install();
    authStore().login(GOOD);
    renderShell();
    await waitFor(() => expect(FakeSocket.instances).toHaveLength(1));
    await userEvent.setup({ delay: null }).click(screen.getByRole("button", { name: "Log out" }));
    expect(await screen.findByLabelText("API token")).toBeInTheDocument();
    expect(window.localStorage.getItem(TOKEN_KEY)).toBeNull();
    expect(FakeSocket.instances[0]!.closedWith).toBe(1000);
  });
});

describe("AuthStore", () => {
  it("takes the token from the login URL's fragment and removes it from the address", () => {
    const store = new AuthStore(window.localStorage);
    window.history.replaceState(null, "", "/#token=abc123");
    expect(store.adoptFromLocation(window.location, window.history)).toBe(true);
    expect(store.getState().token).toBe("abc123");
    expect(window.localStorage.getItem(TOKEN_KEY)).toBe("abc123");
    expect(window.location.hash).toBe("");
    expect(new AuthStore(window.localStorage).getState().token).toBe("abc123"); // a reload
  });

  it("leaves an address without a token alone", () => {
    const store = new AuthStore(window.localStorage);
    window.history.replaceState(null, "", "/logs/#section");
    expect(store.adoptFromLocation(window.location, window.history)).toBe(false);
    expect(window.location.pathname + window.location.hash).toBe("/logs/#section");
  });
});

describe("backend banner", () => {
  it("says when the api has lost the bus or the database", async () => {
    install();
    authStore().login(GOOD);
    renderShell();
    await waitFor(() => expect(FakeSocket.instances).toHaveLength(1));
    act(() => {
      FakeSocket.last.accept();
      FakeSocket.last.receive(snapshot({ nats: "ok", database: "ok" }));
    });
    await waitFor(() => expect(screen.getByTestId("connection")).toHaveAttribute("data-phase", "live"));
    expect(screen.queryByTestId("backend-banner")).not.toBeInTheDocument();
    act(() => FakeSocket.last.receive({ type: "ping", at: new Date().toISOString(), nats: "unreachable" }));
    expect(await screen.findByTestId("backend-banner")).toHaveTextContent("The api has lost NATS (unreachable)");
  });
});
