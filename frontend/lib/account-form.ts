/**
 * The account form's model: what the inputs hold (strings, as typed), the request
 * bodies made from it (POST whole, PUT only what changed), and the api's field errors
 * placed at the inputs they are about.
 *
 * Values are sent as typed where they cannot be parsed ("1.5" for a priority stays
 * 1.5, "abc" stays "abc"): the api's rules are the only rules, and its 422 names the
 * field, so the operator reads one message from one place.
 */

import { EXCHANGES } from "./exchanges";
import type { Account, FieldError, GatewayType } from "./types";

export interface SimFields {
  ticks_per_second: string;
  delay_ms: string;
  seed: string;
  fail_login: boolean;
}

export interface CtpFields {
  userid: string;
  broker_id: string;
  md_fronts: string;
  td_front: string;
  app_id: string;
  product_info: string;
  environment: "production" | "test";
  connect_timeout_s: string;
  md_library: "ctp" | "local";
  trading_hours: "exchange" | "always";
  /** Write-only: empty means "keep the stored one" (edit) or "none" (create). */
  password: string;
  auth_code: string;
}

export interface AccountFormValues {
  name: string;
  gateway_type: GatewayType;
  priority: string;
  is_enabled: boolean;
  canary: string;
  contracts: string;
  capacity: string;
  excluded: string;
  sim: SimFields;
  ctp: CtpFields;
}

export const FORM_FIELDS = [
  "name",
  "gateway_type",
  "priority",
  "is_enabled",
  "canary",
  "contracts",
  "capacity",
  "excluded",
  "sim.ticks_per_second",
  "sim.delay_ms",
  "sim.seed",
  "sim.fail_login",
  "ctp.userid",
  "ctp.password",
  "ctp.broker_id",
  "ctp.md_fronts",
  "ctp.td_front",
  "ctp.app_id",
  "ctp.auth_code",
  "ctp.product_info",
  "ctp.environment",
  "ctp.connect_timeout_s",
  "ctp.md_library",
  "ctp.trading_hours",
] as const;
export type FormField = (typeof FORM_FIELDS)[number];

/** The api's bounds of an account's capacity (schemas.py), and its default. */
export const CAPACITY_MIN = 1;
export const CAPACITY_MAX = 100_000;
export const CAPACITY_DEFAULT = 5000;

const SIM_DEFAULTS: SimFields = { ticks_per_second: "2", delay_ms: "0", seed: "0", fail_login: false };
const CTP_DEFAULTS: CtpFields = {
  userid: "",
  broker_id: "",
  md_fronts: "",
  td_front: "",
  app_id: "",
  product_info: "",
  environment: "production",
  connect_timeout_s: "10",
  md_library: "ctp",
  trading_hours: "exchange",
  password: "",
  auth_code: "",
};

export function emptyForm(): AccountFormValues {
  return {
    name: "",
    gateway_type: "sim",
    priority: "1",
    is_enabled: true,
    canary: "",
    contracts: "",
    capacity: String(CAPACITY_DEFAULT),
    excluded: "",
    sim: { ...SIM_DEFAULTS },
    ctp: { ...CTP_DEFAULTS },
  };
}

export function formFromAccount(account: Account): AccountFormValues {
  const sim = account.sim;
  const ctp = account.ctp;
  return {
    name: account.name,
    gateway_type: account.gateway_type,
    priority: String(account.priority),
    is_enabled: account.is_enabled,
    canary: account.canary,
    contracts: account.contracts.join("\n"),
    capacity: String(account.capacity ?? CAPACITY_DEFAULT),
    excluded: (account.excluded ?? []).join("\n"),
    sim: sim
      ? {
          ticks_per_second: String(sim.ticks_per_second),
          delay_ms: String(sim.delay_ms),
          seed: String(sim.seed),
          fail_login: sim.fail_login,
        }
      : { ...SIM_DEFAULTS },
    ctp: ctp
      ? {
          userid: ctp.userid,
          broker_id: ctp.broker_id,
          md_fronts: ctp.md_fronts.join("\n"),
          td_front: ctp.td_front,
          app_id: ctp.app_id,
          product_info: ctp.product_info,
          environment: ctp.environment,
          connect_timeout_s: String(ctp.connect_timeout_s),
          md_library: ctp.md_library,
          trading_hours: ctp.trading_hours,
          password: "", // never shown: the api does not return it
          auth_code: "",
        }
      : { ...CTP_DEFAULTS },
  };
}

/** A list typed one per line (or separated by commas or spaces). */
export function parseList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

/** A number as typed: "" is absent (undefined), a number is a number, anything else
 * goes as typed for the api to refuse at its field. */
export function parseNumber(text: string): number | string | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : trimmed;
}

type Body = Record<string, unknown>;

function defined(body: Body): Body {
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined));
}

function simBody(sim: SimFields): Body {
  return defined({
    ticks_per_second: parseNumber(sim.ticks_per_second),
    delay_ms: parseNumber(sim.delay_ms),
    seed: parseNumber(sim.seed),
    fail_login: sim.fail_login,
  });
}

function ctpBody(ctp: CtpFields): Body {
  return defined({
    userid: ctp.userid.trim(),
    broker_id: ctp.broker_id.trim(),
    md_fronts: parseList(ctp.md_fronts),
    td_front: ctp.td_front.trim(),
    app_id: ctp.app_id.trim(),
    product_info: ctp.product_info.trim(),
    environment: ctp.environment,
    connect_timeout_s: parseNumber(ctp.connect_timeout_s),
    md_library: ctp.md_library,
    trading_hours: ctp.trading_hours,
    password: ctp.password === "" ? undefined : ctp.password,
    auth_code: ctp.auth_code === "" ? undefined : ctp.auth_code,
  });
}

/** POST /api/accounts: the whole account. */
export function createBody(form: AccountFormValues): Body {
  const body: Body = defined({
    name: form.name.trim(),
    gateway_type: form.gateway_type,
    priority: parseNumber(form.priority),
    is_enabled: form.is_enabled,
    canary: form.canary.trim(),
    contracts: parseList(form.contracts),
    capacity: parseNumber(form.capacity),
    excluded: parseList(form.excluded),
  });
  if (form.gateway_type === "sim") body.sim = simBody(form.sim);
  else body.ctp = ctpBody(form.ctp);
  return body;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

/** PUT /api/accounts/{id}: only what differs from `original` (a partial update); an
 * empty secret keeps the stored one. A change of gateway_type sends the new type's
 * settings whole, as the api requires. */
export function updateBody(original: Account, form: AccountFormValues): Body {
  const body: Body = {};
  const name = form.name.trim();
  if (name !== original.name) body.name = name;
  const priority = parseNumber(form.priority);
  if (priority !== original.priority) body.priority = priority;
  if (form.is_enabled !== original.is_enabled) body.is_enabled = form.is_enabled;
  const canary = form.canary.trim();
  if (canary !== original.canary) body.canary = canary;
  const contracts = parseList(form.contracts);
  if (!sameList(contracts, original.contracts)) body.contracts = contracts;
  const capacity = parseNumber(form.capacity);
  if (capacity !== original.capacity) body.capacity = capacity;
  const excluded = parseList(form.excluded);
  if (!sameList(excluded, original.excluded ?? [])) body.excluded = excluded;

  if (form.gateway_type !== original.gateway_type) {
    body.gateway_type = form.gateway_type;
    if (form.gateway_type === "sim") body.sim = simBody(form.sim);
    else body.ctp = ctpBody(form.ctp);
    return body;
  }
  if (form.gateway_type === "sim") {
    const next = simBody(form.sim);
    const old = original.sim;
    const changed: Body = {};
    for (const [key, value] of Object.entries(next)) {
      if (!old || value !== old[key as keyof typeof old]) changed[key] = value;
    }
    if (Object.keys(changed).length > 0) body.sim = changed;
  } else {
    const next = ctpBody(form.ctp);
    const old = original.ctp;
    const changed: Body = {};
    for (const [key, value] of Object.entries(next)) {
      if (key === "password" || key === "auth_code") {
        changed[key] = value; // present only when typed
        continue;
      }
      const before = old ? old[key as keyof typeof old] : undefined;
      const same = Array.isArray(value) && Array.isArray(before) ? sameList(value, before) : value === before;
      if (!same) changed[key] = value;
    }
    if (Object.keys(changed).length > 0) body.ctp = changed;
  }
  return body;
}

export interface PlacedErrors {
  /** Messages per input. */
  fields: Partial<Record<FormField, string[]>>;
  /** Messages no input is for: shown above the form. */
  form: string[];
}

const FIELD_SET: ReadonlySet<string> = new Set(FORM_FIELDS);

/** Put each of the api's field errors at its input: the longest form field that the
 * error's path starts with ("contracts.3" -> contracts, as "item 4: ..."). */
export function placeErrors(errors: readonly FieldError[]): PlacedErrors {
  const placed: PlacedErrors = { fields: {}, form: [] };
  for (const error of errors) {
    const parts = error.location === "body" && error.field ? error.field.split(".") : [];
    let field: FormField | null = null;
    let rest: string[] = [];
    for (let n = parts.length; n > 0; n--) {
      const candidate = parts.slice(0, n).join(".");
      if (FIELD_SET.has(candidate)) {
        field = candidate as FormField;
        rest = parts.slice(n);
        break;
      }
    }
    if (field === null) {
      placed.form.push(error.field ? `${error.field}: ${error.message}` : error.message);
      continue;
    }
    const index = rest.length > 0 && /^\d+$/.test(rest[0] ?? "") ? Number(rest[0]) : null;
    const message = index !== null ? `item ${index + 1}: ${error.message}` : error.message;
    (placed.fields[field] ??= []).push(message);
  }
  return placed;
}

export const MAX_EXCLUDED = 200;

/** An exchange (`CZCE`) or a product of one (`SR.CZCE`, `rb.SHFE`): the api's
 * EXCLUSION_PATTERN. */
const EXCLUDED_ITEM = new RegExp(`^([A-Za-z0-9_]{1,32}\\.)?(${EXCHANGES.join("|")})$`);

/** What is refused before anything is sent: the same bounds as the api's, said at the
 * input (the api's own 422 stays the final word on everything else). */
export function checkForm(form: AccountFormValues): PlacedErrors {
  const placed: PlacedErrors = { fields: {}, form: [] };
  const capacity = form.capacity.trim();
  const value = Number(capacity);
  if (capacity === "" || !Number.isInteger(value) || value < CAPACITY_MIN || value > CAPACITY_MAX) {
    placed.fields.capacity = [
      `A whole number from ${CAPACITY_MIN} to ${CAPACITY_MAX.toLocaleString("en-US")} (default ${CAPACITY_DEFAULT}).`,
    ];
  }
  const bad = parseList(form.excluded)
    .map((item, index) => ({ item, index }))
    .filter(({ item }) => !EXCLUDED_ITEM.test(item));
  const count = parseList(form.excluded).length;
  if (count > MAX_EXCLUDED) {
    placed.fields.excluded = [`At most ${MAX_EXCLUDED} exclusions (${count} given).`];
  } else if (bad.length > 0) {
    placed.fields.excluded = bad.map(
      ({ item, index }) => `item ${index + 1}: ${item} is neither an exchange (CZCE) nor a product (SR.CZCE)`,
    );
  }
  return placed;
}

export function hasErrors(placed: PlacedErrors): boolean {
  return placed.form.length > 0 || Object.keys(placed.fields).length > 0;
}
