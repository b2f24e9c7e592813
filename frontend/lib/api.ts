/**
 * The REST api with the bearer token, and its errors as one typed class.
 *
 * Every error of the api is a Problem (errors.py): `detail` is a sentence for the
 * operator, `errors[]` names the offending fields of invalid input. A request that
 * never reached the api (network down, api stopped) becomes an ApiError with status 0.
 */

import type { Account, FieldError, GatewayView, Problem } from "./types";
import type {
  CatalogRefreshResult,
  InstrumentPage,
  ResolvedUniverse,
  UniverseEntry,
  UniverseList,
} from "./universe-types";

export class ApiError extends Error {
  readonly status: number;
  readonly type: string;
  readonly detail: string;
  readonly fieldErrors: FieldError[];
  /** The answer's JSON as it came (a reply that is not a Problem, e.g. a 502's result). */
  readonly body: unknown;

  constructor(status: number, type: string, detail: string, fieldErrors: FieldError[] = [], body: unknown = undefined) {
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.type = type;
    this.detail = detail;
    this.fieldErrors = fieldErrors;
    this.body = body;
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
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
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
        throw new ApiError(response.status, parsed.type, parsed.detail, parsed.errors ?? [], parsed);
      }
      throw new ApiError(
        response.status,
        "http_error",
        `the api answered ${response.status} ${response.statusText}`.trim(),
        [],
        parsed,
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

  // --- the universe and the instrument catalog -------------------------------------

  universe(signal?: AbortSignal): Promise<UniverseList> {
    return this.request<UniverseList>("/api/universe", { signal });
  }

  createUniverseEntry(body: { text: string; options?: boolean; note?: string }): Promise<UniverseEntry> {
    return this.request<UniverseEntry>("/api/universe", { method: "POST", body });
  }

  updateUniverseEntry(id: number, body: { options?: boolean; note?: string }): Promise<UniverseEntry> {
    return this.request<UniverseEntry>(`/api/universe/${id}`, { method: "PATCH", body });
  }

  deleteUniverseEntry(id: number): Promise<void> {
    return this.request<void>(`/api/universe/${id}`, { method: "DELETE" });
  }

  /** `query`: "?search=...&offset=...&limit=..." (lib/universe-query.ts builds it). */
  resolvedUniverse(query: string, signal?: AbortSignal): Promise<ResolvedUniverse> {
    return this.request<ResolvedUniverse>(`/api/universe/resolved${query}`, { signal });
  }

  instruments(query: string, signal?: AbortSignal): Promise<InstrumentPage> {
    return this.request<InstrumentPage>(`/api/instruments${query}`, { signal });
  }

  /** A new catalog from the sources now (seconds). The api's 502 (the gateway manager
   * could not make one: the stored catalog stays) is returned as a result with ok false
   * and its reason; anything else it refuses (503: no manager answered) is thrown. */
  async refreshCatalog(): Promise<CatalogRefreshResult> {
    try {
      return await this.request<CatalogRefreshResult>("/api/instruments/refresh", { method: "POST" });
    } catch (error) {
      if (error instanceof ApiError && error.status === 502) {
        const body = (typeof error.body === "object" && error.body !== null ? error.body : {}) as Partial<CatalogRefreshResult>;
        return { ...body, ok: false, error: body.error || error.detail };
      }
      throw error;
    }
  }
}
