import { describe, expect, it } from "vitest";

import {
  checkForm,
  createBody,
  emptyForm,
  formFromAccount,
  hasErrors,
  placeErrors,
  updateBody,
} from "@/lib/account-form";

import { account, ctpAccount } from "./fixtures";

describe("account form bodies", () => {
  it("creates a sim account whole, lists split, numbers parsed", () => {
    const form = {
      ...emptyForm(),
      name: " sim-c ",
      priority: "3",
      canary: "rb2605.SHFE",
      contracts: "rb2605.SHFE\nm2605.DCE, IF2512.CFFEX",
      capacity: "800",
      excluded: "CZCE\nSR.CZCE",
      sim: { ticks_per_second: "4", delay_ms: "15", seed: "", fail_login: false },
    };
    expect(createBody(form)).toEqual({
      name: "sim-c",
      gateway_type: "sim",
      priority: 3,
      is_enabled: true,
      canary: "rb2605.SHFE",
      contracts: ["rb2605.SHFE", "m2605.DCE", "IF2512.CFFEX"],
      capacity: 800,
      excluded: ["CZCE", "SR.CZCE"],
      sim: { ticks_per_second: 4, delay_ms: 15, fail_login: false },
    });
  });

  it("sends what cannot be parsed as typed, for the api to name", () => {
    const body = createBody({ ...emptyForm(), priority: "first" });
    expect(body.priority).toBe("first");
  });

  it("creates a ctp account with its secrets only when typed", () => {
    const form = emptyForm();
    form.gateway_type = "ctp";
    form.ctp = { ...form.ctp, userid: "089123", broker_id: "9999", md_fronts: "tcp://a.b:1", password: "pw" };
    const body = createBody(form);
    expect(body.ctp).toMatchObject({ userid: "089123", password: "pw", md_fronts: ["tcp://a.b:1"] });
    expect(body.ctp).not.toHaveProperty("auth_code");
    expect(body).not.toHaveProperty("sim");
  });

  it("updates only what changed", () => {
    const original = account("sim-a");
    const form = formFromAccount(original);
    expect(updateBody(original, form)).toEqual({});
    form.priority = "5";
    form.sim.delay_ms = "20";
    form.contracts = "rb2605.SHFE m2605.DCE"; // same list, written otherwise
    expect(updateBody(original, form)).toEqual({ priority: 5, sim: { delay_ms: 20 } });
  });

  it("keeps a stored secret when its input is left empty, replaces it when typed", () => {
    const original = ctpAccount("ctp-main");
    const form = formFromAccount(original);
    expect(form.ctp.password).toBe("");
    expect(updateBody(original, form)).toEqual({});
    form.ctp.password = "n3w";
    expect(updateBody(original, form)).toEqual({ ctp: { password: "n3w" } });
  });

  it("sends the new type's settings whole when the type changes", () => {
    const original = account("sim-a");
    const form = formFromAccount(original);
    form.gateway_type = "ctp";
    form.ctp = { ...form.ctp, userid: "u", broker_id: "9999", md_fronts: "tcp://h:1" };
    const body = updateBody(original, form);
    expect(body.gateway_type).toBe("ctp");
    expect(body.ctp).toMatchObject({ userid: "u", broker_id: "9999", md_fronts: ["tcp://h:1"], environment: "production" });
  });
});

describe("capacity and exclusions", () => {
  it("a new account has the api's default capacity, no exclusion, and takes the universe", () => {
    const body = createBody({ ...emptyForm(), name: "a", canary: "rb2605.SHFE" });
    expect(body).toMatchObject({ capacity: 5000, excluded: [], contracts: [] });
  });

  it("updates capacity and exclusions only when they changed", () => {
    const original = account("sim-a", { capacity: 300, excluded: ["CZCE"] });
    const form = formFromAccount(original);
    expect(form.capacity).toBe("300");
    expect(form.excluded).toBe("CZCE");
    expect(updateBody(original, form)).toEqual({});
    form.capacity = "1200";
    form.excluded = "CZCE, SR.CZCE";
    form.contracts = "";
    expect(updateBody(original, form)).toEqual({ capacity: 1200, excluded: ["CZCE", "SR.CZCE"], contracts: [] });
  });

  it("refuses a capacity out of the api's bounds before sending", () => {
    for (const capacity of ["0", "100001", "1.5", "", "many"]) {
      const placed = checkForm({ ...emptyForm(), capacity });
      expect(placed.fields.capacity, capacity).toEqual(["A whole number from 1 to 100,000 (default 5000)."]);
    }
    for (const capacity of ["1", "5000", "100000"]) expect(hasErrors(checkForm({ ...emptyForm(), capacity }))).toBe(false);
  });

  it("refuses an exclusion that is neither an exchange nor a product", () => {
    expect(hasErrors(checkForm({ ...emptyForm(), excluded: "CZCE\nSR.CZCE rb.SHFE" }))).toBe(false);
    expect(checkForm({ ...emptyForm(), excluded: "CZCE, sr czce.x NYSE" }).fields.excluded).toEqual([
      "item 2: sr is neither an exchange (CZCE) nor a product (SR.CZCE)",
      "item 3: czce.x is neither an exchange (CZCE) nor a product (SR.CZCE)",
      "item 4: NYSE is neither an exchange (CZCE) nor a product (SR.CZCE)",
    ]);
    const many = Array.from({ length: 201 }, (_, i) => `p${i}.DCE`).join("\n");
    expect(checkForm({ ...emptyForm(), excluded: many }).fields.excluded).toEqual(["At most 200 exclusions (201 given)."]);
  });
});

describe("placeErrors", () => {
  it("puts each error at its input, list items numbered, the rest above the form", () => {
    const placed = placeErrors([
      { field: "name", location: "body", message: "String should match pattern", type: "string_pattern_mismatch" },
      { field: "contracts.1", location: "body", message: "String should match pattern", type: "string_pattern_mismatch" },
      { field: "ctp.md_fronts.0", location: "body", message: "bad front", type: "x" },
      { field: "sim.ticks_per_second", location: "body", message: "Input should be greater than 0", type: "greater_than" },
      { field: "", location: "body", message: "Input should be an object", type: "model_type" },
      { field: "unknown_thing", location: "body", message: "Extra inputs are not permitted", type: "extra_forbidden" },
    ]);
    expect(placed.fields).toEqual({
      name: ["String should match pattern"],
      contracts: ["item 2: String should match pattern"],
      "ctp.md_fronts": ["item 1: bad front"],
      "sim.ticks_per_second": ["Input should be greater than 0"],
    });
    expect(placed.form).toEqual(["Input should be an object", "unknown_thing: Extra inputs are not permitted"]);
  });
});
