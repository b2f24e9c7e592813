/**
 * The /ws live feed (docs/ws.md): authenticate with the first message, take the
 * snapshot, then every event; reconnect by itself with exponential backoff, and give up
 * only when the api refuses the token (close code 4401).
 *
 * A connection that goes silent (no message, not even the api's 10 s ping, for
 * `silenceMs`) is taken for dead and replaced: a half-open TCP connection would
 * otherwise look live for minutes.
 */

import type { ServerMessage } from "./types";

export const CLOSE_UNAUTHORIZED = 4401;
export const CLOSE_TOO_SLOW = 4408;
/** Our own code when we drop a silent connection. */
export const CLOSE_SILENT = 4000;

export type ConnectionPhase =
  | "connecting" // the first attempt, not yet live
  | "live" // snapshot received, events flowing
  | "reconnecting" // lost; the next attempt is scheduled or under way
  | "offline" // lost for several attempts in a row (or the browser is offline); still retrying
  | "unauthorized" // the api refused the token: no retry
  | "stopped"; // closed by us

export interface ConnectionInfo {
  phase: ConnectionPhase;
  /** Failed attempts since the connection was last live (0 while live). */
  attempt: number;
  /** Delay before the next attempt, while one is scheduled. */
  retryInMs: number | null;
  /** Close code of the last lost connection. */
  closeCode: number | null;
}

export const INITIAL_CONNECTION: ConnectionInfo = {
  phase: "connecting",
  attempt: 0,
  retryInMs: null,
  closeCode: null,
};

/** The part of the DOM WebSocket the client uses (a test passes its own class). */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: Event) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  onclose: ((event: CloseEvent) => void) | null;
  onerror: ((event: Event) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketFactory = (url: string) => WebSocketLike;

export interface LiveClientOptions {
  url: string;
  token: string;
  onMessage: (message: ServerMessage) => void;
  onConnection: (info: ConnectionInfo) => void;
  onUnauthorized?: () => void;
  createSocket?: WebSocketFactory;
  /** First retry delay; doubles per failed attempt up to maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  silenceMs?: number;
  /** After this many failed attempts in a row the phase reads "offline". */
  offlineAfter?: number;
  isOnline?: () => boolean;
}

export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

function isServerMessage(value: unknown): value is ServerMessage {
  return typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string";
}

export class LiveClient {
  private socket: WebSocketLike | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private silenceTimer: ReturnType<typeof setTimeout> | null = null;
  private attempt = 0;
  private stopped = false;
  private info: ConnectionInfo = INITIAL_CONNECTION;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly silenceMs: number;
  private readonly offlineAfter: number;

  constructor(private readonly options: LiveClientOptions) {
    this.baseDelayMs = options.baseDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 5000;
    this.silenceMs = options.silenceMs ?? 25_000;
    this.offlineAfter = options.offlineAfter ?? 6;
  }

  get connection(): ConnectionInfo {
    return this.info;
  }

  start(): void {
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      this.detach(socket);
      socket.close(1000, "bye");
    }
    this.report({ phase: "stopped", attempt: this.attempt, retryInMs: null, closeCode: null });
  }

  /** Skip the wait (the browser came back online, or the operator asked). */
  reconnectNow(): void {
    if (this.stopped || this.info.phase === "unauthorized" || this.info.phase === "live") return;
    if (this.retryTimer !== null) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this.open();
    }
  }

  private open(): void {
    const create = this.options.createSocket ?? ((url: string) => new WebSocket(url));
    let socket: WebSocketLike;
    try {
      socket = create(this.options.url);
    } catch {
      this.lost(null);
      return;
    }
    this.socket = socket;
    // Also bounds the opening itself: a connect that hangs is given up like a silence.
    this.armSilence();
    this.report({
      phase: this.attempt === 0 ? "connecting" : this.lostPhase(),
      attempt: this.attempt,
      retryInMs: null,
      closeCode: this.info.closeCode,
    });
    socket.onopen = () => {
      socket.send(JSON.stringify({ type: "auth", token: this.options.token }));
      this.armSilence();
    };
    socket.onmessage = (event: MessageEvent) => {
      this.armSilence();
      let message: unknown;
      try {
        message = JSON.parse(String(event.data));
      } catch {
        return; // not ours to show; the next message will do
      }
      if (!isServerMessage(message)) return;
      if (message.type === "snapshot") {
        this.attempt = 0;
        this.report({ phase: "live", attempt: 0, retryInMs: null, closeCode: null });
      }
      this.options.onMessage(message);
    };
    socket.onerror = () => {
      // A close event follows: the reconnect is decided there.
    };
    socket.onclose = (event: CloseEvent) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.detach(socket);
      this.lost(event.code);
    };
  }

  private lost(code: number | null): void {
    this.clearTimers();
    if (this.stopped) return;
    if (code === CLOSE_UNAUTHORIZED) {
      this.report({ phase: "unauthorized", attempt: this.attempt, retryInMs: null, closeCode: code });
      this.options.onUnauthorized?.();
      return;
    }
    this.attempt += 1;
    const delay = backoffDelay(this.attempt, this.baseDelayMs, this.maxDelayMs);
    this.report({ phase: this.lostPhase(), attempt: this.attempt, retryInMs: delay, closeCode: code });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.open();
    }, delay);
  }

  private lostPhase(): ConnectionPhase {
    const online = this.options.isOnline?.() ?? true;
    return !online || this.attempt >= this.offlineAfter ? "offline" : "reconnecting";
  }

  private armSilence(): void {
    if (this.silenceTimer !== null) clearTimeout(this.silenceTimer);
    this.silenceTimer = setTimeout(() => {
      this.silenceTimer = null;
      const socket = this.socket;
      if (!socket) return;
      // Not waiting for a close event: a dead peer may never send one.
      this.socket = null;
      this.detach(socket);
      socket.close(CLOSE_SILENT, "silent");
      this.lost(CLOSE_SILENT);
    }, this.silenceMs);
  }

  private detach(socket: WebSocketLike): void {
    socket.onopen = null;
    socket.onmessage = null;
    socket.onclose = null;
    socket.onerror = null;
  }

  private clearTimers(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    if (this.silenceTimer !== null) clearTimeout(this.silenceTimer);
    this.retryTimer = null;
    this.silenceTimer = null;
  }

  private report(info: ConnectionInfo): void {
    this.info = info;
    this.options.onConnection(info);
  }
}
