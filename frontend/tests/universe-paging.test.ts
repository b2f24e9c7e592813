import { describe, expect, it } from "vitest";

import { PagedRows, pagesFor, type Page } from "@/lib/universe-paging";

interface Pending {
  offset: number;
  limit: number;
  signal: AbortSignal;
  resolve: (page: Page<number, string>) => void;
  reject: (error: unknown) => void;
}

/** A fetcher the test answers by hand, page by page. */
function manual() {
  const pending: Pending[] = [];
  const fetcher = (offset: number, limit: number, signal: AbortSignal) =>
    new Promise<Page<number, string>>((resolve, reject) => pending.push({ offset, limit, signal, resolve, reject }));
  const answer = async (index: number, total: number, meta = "m", base = 0) => {
    const call = pending[index]!;
    const rows = Array.from({ length: Math.max(0, Math.min(call.limit, total - call.offset)) }, (_, i) => base + call.offset + i);
    call.resolve({ rows, total, meta });
    await Promise.resolve();
    await Promise.resolve();
  };
  return { pending, fetcher, answer };
}

describe("pagesFor", () => {
  it("names the pages a range falls in, clipped to the total, page 0 at the least", () => {
    expect(pagesFor(0, 12, 200, null)).toEqual([0]);
    expect(pagesFor(190, 215, 200, 40_000)).toEqual([0, 1]);
    expect(pagesFor(39_990, 40_020, 200, 40_000)).toEqual([199]);
    expect(pagesFor(0, 0, 200, 0)).toEqual([0]);
    expect(pagesFor(5_000, 5_010, 200, 300)).toEqual([1]);
  });
});

describe("PagedRows", () => {
  it("reads only the pages in view, and the rows come from them", async () => {
    const api = manual();
    const rows = new PagedRows(api.fetcher, { pageSize: 200 });
    rows.want(0, 12);
    expect(api.pending.map((p) => p.offset)).toEqual([0]);
    expect(rows.getState().loading).toBe(1);
    await api.answer(0, 40_000, "summary");
    expect(rows.getState()).toMatchObject({ total: 40_000, meta: "summary", loading: 0, error: null });
    expect(rows.rowAt(5)).toBe(5);
    expect(rows.rowAt(200)).toBeUndefined();

    rows.want(20_000, 20_012);
    expect(api.pending.map((p) => p.offset)).toEqual([0, 20_000]);
    await api.answer(1, 40_000);
    expect(rows.rowAt(20_003)).toBe(20_003);
    rows.want(0, 12); // read already: nothing asked
    expect(api.pending).toHaveLength(2);
  });

  it("does not read the pages a fast scroll passed over", async () => {
    const api = manual();
    const rows = new PagedRows(api.fetcher, { pageSize: 100, concurrency: 1 });
    rows.want(0, 10);
    await api.answer(0, 40_000);
    for (let start = 0; start < 40_000; start += 1_000) rows.want(start, start + 10); // dragging the scrollbar
    expect(api.pending).toHaveLength(2); // page 10 started at once, the rest waited
    await api.answer(1, 40_000);
    // Only where it stopped is read next.
    expect(api.pending.map((p) => p.offset)).toEqual([0, 1_000, 39_000]);
  });

  it("drops the answers of a query it left, and starts over", async () => {
    const api = manual();
    const rows = new PagedRows(api.fetcher, { pageSize: 200 });
    rows.want(0, 12);
    rows.reset();
    expect(api.pending[0]!.signal.aborted).toBe(true);
    expect(rows.getState().total).toBeNull();
    await api.answer(0, 40_000, "old");
    expect(rows.getState().total).toBeNull();
    await api.answer(1, 3, "new");
    expect(rows.getState()).toMatchObject({ total: 3, meta: "new" });
    expect(rows.rowAt(2)).toBe(2);
    expect(rows.rowAt(3)).toBeUndefined();
  });

  it("keeps the rows on screen while a refresh reads them again", async () => {
    const api = manual();
    const rows = new PagedRows(api.fetcher, { pageSize: 200 });
    rows.want(0, 12);
    await api.answer(0, 500);
    rows.refresh();
    expect(api.pending).toHaveLength(2);
    expect(rows.rowAt(3)).toBe(3); // still shown
    await api.answer(1, 400, "after", 1_000);
    expect(rows.rowAt(3)).toBe(1_003);
    expect(rows.getState()).toMatchObject({ total: 400, meta: "after" });
  });

  it("says when a page fails and does not ask again until a refresh", async () => {
    const api = manual();
    const rows = new PagedRows(api.fetcher, { pageSize: 200, describe: () => "the api is down" });
    rows.want(0, 12);
    api.pending[0]!.reject(new Error("x"));
    await Promise.resolve();
    await Promise.resolve();
    expect(rows.getState().error).toBe("the api is down");
    rows.want(0, 12);
    expect(api.pending).toHaveLength(1);
    rows.refresh();
    expect(api.pending).toHaveLength(2);
    await api.answer(1, 10);
    expect(rows.getState().error).toBeNull();
  });
});
