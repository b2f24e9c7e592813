/**
 * The REST api with the bearer token, and its errors as one typed class.
 *
 * Every error of the api is a Problem (errors.py): `detail` is a sentence for the
 * operator, `errors[]` names the offending fields of invalid input. A request that
 * never reached the api (network down, api stopped) becomes an ApiError with status 0.
 */

import type { Account, FieldError, GatewayView, Problem } from "./types";

export class ApiError extends Error {
  readonly status: number;
  readonly type: string;
  readonly detail: string;
  readonly fieldErrors: FieldError[];

  constructor(status: number, type: string, detail: string, fieldErrors: FieldError[] = []) {
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.type = type;
    this.detail = detail;
    this.fieldErrors = fieldErrors;
  }
}

function isProblem(value: unknown): value is Problem {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Problem).detail === "string" &&
    typeof (value as Problem).status === "number"
  );
}

export interface ApiOptions {
  base: string;
  getToken: () => string | null;
  /** Called on a 401: the token is wrong or was replaced. */
  onUnauthorized?: () => void;
  fetchImpl?: typeof fetch;
}

export interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "DELETE";
  body?: unknown;
  signal?: AbortSignal;
  /** Use this token instead of the stored one (the login screen tries one). */
  token?: string;
}

export type ControlAction = "start" | "stop" | "restart";

export class Api {
  constructor(private options: ApiOptions) {}

  async request<T>(path: string, { method = "GET", body, signal, token }: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json" };
    const bearer = token ?? this.options.getToken();
    if (bearer) headers.Authorization = `Bearer ${bearer}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const doFetch = this.options.fetchImpl ?? fetch;
    let response: Response;
    try {
      response = await doFetch(`${this.options.base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
        cache: "no-store",
      });
    } catch (error) {
      if (error instanceof DOMException && error.name === "AbortError") throw error;
      throw new ApiError(0, "unreachable", "the api cannot be reached; is it running?");
    }
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      if (response.status === 401 && token === undefined) this.options.onUnauthorized?.();
      if (isProblem(parsed)) {
        throw new ApiError(response.status, parsed.type, parsed.detail, parsed.errors ?? []);
      }
      throw new ApiError(
        response.status,
        "http_error",
        `the api answered ${response.status} ${response.statusText}`.trim(),
      );
    }
    return parsed as T;
  }

  gateways(signal?: AbortSignal): Promise<GatewayView[]> {
    return this.request<GatewayView[]>("/api/gateways", { signal });
  }

  accounts(signal?: AbortSignal): Promise<Account[]> {
    return this.request<Account[]>("/api/accounts", { signal });
  }

  createAccount(body: Record<string, unknown>): Promise<Account> {
    return this.request<Account>("/api/accounts", { method: "POST", body });
  }

  updateAccount(id: number, body: Record<string, unknown>): Promise<Account> {
    return this.request<Account>(`/api/accounts/${id}`, { method: "PUT", body });
  }

  deleteAccount(id: number): Promise<void> {
    return this.request<void>(`/api/accounts/${id}`, { method: "DELETE" });
  }

  control(id: number, action: ControlAction): Promise<GatewayView> {
    return this.request<GatewayView>(`/api/accounts/${id}/${action}`, { method: "POST" });
  }
}
