import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { LiveStore } from "@/lib/live-store";
import { backoffDelay, LiveClient, type ConnectionInfo } from "@/lib/ws-client";

import { FakeSocket } from "./fake-socket";
import { health, log, snapshot, status } from "./fixtures";

function client(overrides: Partial<ConstructorParameters<typeof LiveClient>[0]> = {}) {
  const phases: ConnectionInfo[] = [];
  const store = new LiveStore();
  const onUnauthorized = vi.fn();
  const live = new LiveClient({
    url: "ws://hub.test/ws",
    token: "s3cret",
    createSocket: (url) => new FakeSocket(url),
    onMessage: (message) => store.apply(message),
    onConnection: (info) => {
      phases.push(info);
      store.setConnection(info);
    },
    onUnauthorized,
    ...overrides,
  });
  return { live, phases, store, onUnauthorized };
}

beforeEach(() => {
  FakeSocket.reset();
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("LiveClient", () => {
  it("authenticates with its first message and is live on the snapshot", () => {
    const { live, store } = client();
    live.start();
    expect(store.current.connection.phase).toBe("connecting");
    const socket = FakeSocket.last;
    expect(socket.url).toBe("ws://hub.test/ws");
    socket.accept();
    expect(socket.sent).toEqual([{ type: "auth", token: "s3cret" }]);
    expect(store.current.connection.phase).toBe("connecting");
    socket.receive(snapshot());
    expect(store.current.connection).toMatchObject({ phase: "live", attempt: 0 });
    expect(store.current.gateways.map((g) => g.name)).toEqual(["sim-a", "sim-b"]);
    live.stop();
  });

  it("reconnects by itself with exponential backoff capped at 5 s, counting attempts", () => {
    const { live, phases } = client();
    live.start();
    FakeSocket.last.accept();
    FakeSocket.last.receive(snapshot());

    const delays: number[] = [];
    for (let attempt = 1; attempt <= 6; attempt++) {
      const before = FakeSocket.instances.length;
      FakeSocket.last.drop(1006);
      const info = phases.at(-1)!;
      expect(info.attempt).toBe(attempt);
      expect(info.closeCode).toBe(1006);
      delays.push(info.retryInMs!);
      // Not a moment earlier than the delay...
      vi.advanceTimersByTime(info.retryInMs! - 1);
      expect(FakeSocket.instances.length).toBe(before);
      // ...and then a new socket.
      vi.advanceTimersByTime(1);
      expect(FakeSocket.instances.length).toBe(before + 1);
    }
    expect(delays).toEqual([500, 1000, 2000, 4000, 5000, 5000]);
    expect(phases.filter((p) => p.phase === "reconnecting").length).toBeGreaterThan(0);
    expect(phases.at(-1)!.phase).toBe("offline"); // six failures in a row

    // The new connection's snapshot makes it live again, the count starts over.
    FakeSocket.last.accept();
    FakeSocket.last.receive(snapshot());
    expect(phases.at(-1)).toMatchObject({ phase: "live", attempt: 0 });
    FakeSocket.last.drop(1006);
    expect(phases.at(-1)).toMatchObject({ phase: "reconnecting", attempt: 1, retryInMs: 500 });
    live.stop();
  });

  it("stops on 4401, reports unauthorized and never retries", () => {
    const { live, phases, onUnauthorized } = client();
    live.start();
    FakeSocket.last.accept();
    FakeSocket.last.drop(4401);
    expect(phases.at(-1)!.phase).toBe("unauthorized");
    expect(onUnauthorized).toHaveBeenCalledOnce();
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.instances.length).toBe(1);
  });

  it("takes a silent connection for dead and opens another", () => {
    const { live, phases } = client({ silenceMs: 25_000 });
    live.start();
    FakeSocket.last.accept();
    FakeSocket.last.receive(snapshot());
    vi.advanceTimersByTime(20_000);
    FakeSocket.last.receive({ type: "ping", at: new Date().toISOString() });
    vi.advanceTimersByTime(20_000); // 40 s since open, 20 s since the ping: still fine
    expect(FakeSocket.instances.length).toBe(1);
    vi.advanceTimersByTime(5_000);
    expect(FakeSocket.instances[0]!.closedWith).toBe(4000);
    expect(phases.at(-1)).toMatchObject({ phase: "reconnecting", attempt: 1 });
    vi.advanceTimersByTime(500);
    expect(FakeSocket.instances.length).toBe(2);
    live.stop();
  });

  it("reconnects after 4408 (too slow) and renders from the new snapshot", () => {
    const { live, store } = client();
    live.start();
    FakeSocket.last.accept();
    FakeSocket.last.receive(snapshot());
    FakeSocket.last.receive({ type: "status", data: status("sim-a", { state: "hung" }) });
    expect(store.current.statuses["sim-a"]?.state).toBe("hung");
    FakeSocket.last.drop(4408);
    vi.advanceTimersByTime(500);
    FakeSocket.last.accept();
    expect(FakeSocket.last.sent).toEqual([{ type: "auth", token: "s3cret" }]);
    FakeSocket.last.receive(snapshot({ health: [health("sim-a", { state: "UNHEALTHY" })] }));
    // The statuses from before the snapshot are superseded by it.
    expect(store.current.statuses).toEqual({});
    expect(store.current.health["sim-a"]?.state).toBe("UNHEALTHY");
    live.stop();
  });

  it("reconnectNow skips the wait; stop closes and stays closed", () => {
    const { live, phases } = client();
    live.start();
    FakeSocket.last.drop(1006);
    expect(FakeSocket.instances.length).toBe(1);
    live.reconnectNow();
    expect(FakeSocket.instances.length).toBe(2);
    live.stop();
    expect(FakeSocket.last.closedWith).toBe(1000);
    expect(phases.at(-1)!.phase).toBe("stopped");
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.instances.length).toBe(2);
  });

  it("ignores what is not a message of the protocol", () => {
    const { live, store } = client();
    live.start();
    FakeSocket.last.accept();
    FakeSocket.last.onmessage?.(new MessageEvent("message", { data: "not json" }));
    FakeSocket.last.receive(snapshot());
    FakeSocket.last.receive({ type: "log", data: log("after") });
    expect(store.current.logs.map((l) => l.message)).toEqual(["after"]);
    live.stop();
  });
});

describe("backoffDelay", () => {
  it("doubles from the base up to the cap", () => {
    expect([1, 2, 3, 4, 5, 6, 20].map((n) => backoffDelay(n, 500, 5000))).toEqual([
      500, 1000, 2000, 4000, 5000, 5000, 5000,
    ]);
  });
});

describe("LiveClient: a connect that hangs", () => {
  beforeEach(() => {
    FakeSocket.reset();
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("is given up after the silence bound and tried again", () => {
    const { live, phases } = client({ silenceMs: 10_000 });
    live.start();
    vi.advanceTimersByTime(9_999);
    expect(FakeSocket.instances).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.instances[0]!.closedWith).toBe(4000);
    expect(phases.at(-1)).toMatchObject({ phase: "reconnecting", attempt: 1 });
    vi.advanceTimersByTime(500);
    expect(FakeSocket.instances).toHaveLength(2);
    live.stop();
  });
});
