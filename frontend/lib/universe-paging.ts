/**
 * Rows read a page at a time as they come into view: a table of 40,000 contracts asks
 * the api only for the pages the operator scrolls to.
 *
 * `want(start, end)` names the rows in view; the pages they fall in that are missing
 * (or stale after `refresh()`) are fetched, at most `concurrency` at once. A page that
 * left the view before its turn is not fetched at all, so dragging the scrollbar from
 * top to bottom costs the pages where it stops, not every page on the way.
 *
 * `reset(fetcher)` starts over for a new query (another search): what is in flight for
 * the old one is aborted and its answers are dropped. `refresh()` (the data changed on
 * the server) keeps the rows on screen until their pages are read again, so the table
 * does not blank or jump.
 */

import { ExternalStore } from "./external-store";

export interface Page<T, M> {
  rows: T[];
  /** Rows the query matches in all. */
  total: number;
  /** What else the answer said (the summary that comes with every page). */
  meta: M;
}

export type PageFetcher<T, M> = (offset: number, limit: number, signal: AbortSignal) => Promise<Page<T, M>>;

export interface PagedState<M> {
  /** Rows in all; null until the first page answered. */
  total: number | null;
  meta: M | null;
  /** The last failure in words; cleared by the next page that loads. */
  error: string | null;
  /** Pages being read now. */
  loading: number;
  /** Bumped on every change: the rows themselves are read with rowAt(). */
  revision: number;
}

interface Slot<T> {
  rows: T[];
  fresh: boolean;
}

export interface PagedRowsOptions {
  pageSize: number;
  concurrency?: number;
  /** How a failure reads (default: its message). */
  describe?: (error: unknown) => string;
}

const INITIAL: PagedState<never> = { total: null, meta: null, error: null, loading: 0, revision: 0 };

/** The pages rows [start, end) fall in (at least one row), clipped to `total` when it
 * is known. Page 0 at the least: an empty result is read again too (after a refresh it
 * may have rows, and every page carries the summary). */
export function pagesFor(start: number, end: number, pageSize: number, total: number | null): number[] {
  let from = Math.max(0, Math.floor(start));
  let to = Math.max(from + 1, Math.ceil(end));
  if (total !== null) {
    if (total <= 0) return [0];
    to = Math.min(to, total);
    from = Math.min(from, total - 1);
  }
  const pages: number[] = [];
  for (let page = Math.floor(from / pageSize); page <= Math.floor((to - 1) / pageSize); page++) pages.push(page);
  return pages;
}

export class PagedRows<T, M> extends ExternalStore<PagedState<M>> {
  private fetcher: PageFetcher<T, M>;
  private readonly pageSize: number;
  private readonly concurrency: number;
  private readonly describe: (error: unknown) => string;
  private slots = new Map<number, Slot<T>>();
  /** Page -> the epoch it was asked for in. */
  private inFlight = new Map<number, number>();
  private failed = new Set<number>();
  private wanted: number[] = [0];
  private range: [number, number] = [0, 0];
  /** Bumped by reset(): answers of an older generation are dropped. */
  private generation = 0;
  /** Bumped by refresh(): answers of an older epoch are kept but read again. */
  private epoch = 0;
  private metaEpoch = -1;
  private abort = new AbortController();

  constructor(fetcher: PageFetcher<T, M>, options: PagedRowsOptions) {
    super(INITIAL as PagedState<M>);
    this.fetcher = fetcher;
    this.pageSize = options.pageSize;
    this.concurrency = options.concurrency ?? 2;
    this.describe = options.describe ?? ((error) => (error instanceof Error ? error.message : String(error)));
  }

  /** The row at `index`; undefined while its page has not been read. */
  rowAt = (index: number): T | undefined => {
    const total = this.state.total;
    if (total !== null && index >= total) return undefined;
    return this.slots.get(Math.floor(index / this.pageSize))?.rows[index % this.pageSize];
  };

  /** The rows in view are [start, end): read the pages they need. */
  want = (start: number, end: number): void => {
    this.range = [start, end];
    this.wanted = pagesFor(start, end, this.pageSize, this.state.total);
    this.pump();
  };

  /** A new query: forget every row and read the rows in view for it. */
  reset(fetcher?: PageFetcher<T, M>): void {
    if (fetcher) this.fetcher = fetcher;
    this.abort.abort();
    this.abort = new AbortController();
    this.generation += 1;
    this.slots = new Map();
    this.inFlight = new Map();
    this.failed = new Set();
    this.metaEpoch = -1;
    this.change({ total: null, meta: null, error: null, loading: 0 });
    this.want(0, Math.max(this.range[1] - this.range[0], 1));
  }

  /** The data changed: read the pages in view again (the others when they come back into view). */
  refresh(): void {
    this.epoch += 1;
    for (const slot of this.slots.values()) slot.fresh = false;
    this.failed.clear();
    this.want(...this.range);
  }

  /** Stop reading (the table left the page): what is in flight is aborted and dropped.
   * The rows stay, and the next want() reads on. */
  dispose(): void {
    this.abort.abort();
    this.abort = new AbortController();
    this.generation += 1;
    this.inFlight = new Map();
    if (this.state.loading) this.change({ loading: 0 });
  }

  private change(patch: Partial<PagedState<M>>): void {
    this.setState({ ...this.state, ...patch, revision: this.state.revision + 1 });
  }

  private needs(page: number): boolean {
    if (this.failed.has(page)) return false;
    if (this.inFlight.get(page) === this.epoch) return false;
    const slot = this.slots.get(page);
    return !slot || !slot.fresh;
  }

  private pump(): void {
    for (const page of this.wanted) {
      if (this.inFlight.size >= this.concurrency) return;
      if (this.needs(page)) void this.load(page);
    }
  }

  private async load(page: number): Promise<void> {
    const generation = this.generation;
    const epoch = this.epoch;
    this.inFlight.set(page, epoch);
    this.change({ loading: this.inFlight.size });
    try {
      const answer = await this.fetcher(page * this.pageSize, this.pageSize, this.abort.signal);
      if (generation !== this.generation) return;
      // An older answer that arrives after a newer one does not replace it.
      if (epoch === this.epoch || !this.slots.get(page)?.fresh) {
        this.slots.set(page, { rows: answer.rows, fresh: epoch === this.epoch });
      }
      const patch: Partial<PagedState<M>> = { error: null };
      if (epoch >= this.metaEpoch) {
        this.metaEpoch = epoch;
        patch.total = answer.total;
        patch.meta = answer.meta;
      }
      this.finish(page, epoch, patch);
      // The total is known now: the rows in view may need pages it did not allow before.
      this.wanted = pagesFor(this.range[0], this.range[1], this.pageSize, this.state.total);
    } catch (error) {
      if (generation !== this.generation) return;
      this.failed.add(page);
      this.finish(page, epoch, { error: this.describe(error) });
    }
    this.pump();
  }

  private finish(page: number, epoch: number, patch: Partial<PagedState<M>>): void {
    if (this.inFlight.get(page) === epoch) this.inFlight.delete(page);
    this.change({ ...patch, loading: this.inFlight.size });
  }
}
