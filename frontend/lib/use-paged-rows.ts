"use client";

import * as React from "react";

import { PagedRows, type PageFetcher, type PagedRowsOptions, type PagedState } from "./universe-paging";

export interface PagedRowsHandle<T, M> {
  store: PagedRows<T, M>;
  state: PagedState<M>;
}

/**
 * One PagedRows for the component's life: it starts over when `queryKey` changes (the
 * fetcher of that moment reads the new query) and reads its rows in view again when
 * `refreshKey` changes.
 */
export function usePagedRows<T, M>(
  fetcher: PageFetcher<T, M>,
  { queryKey, refreshKey, ...options }: PagedRowsOptions & { queryKey: string; refreshKey?: unknown },
): PagedRowsHandle<T, M> {
  const latest = React.useRef(fetcher);
  latest.current = fetcher;
  const [store] = React.useState(
    () => new PagedRows<T, M>((offset, limit, signal) => latest.current(offset, limit, signal), options),
  );
  const state = React.useSyncExternalStore(store.subscribe, store.getState, store.getState);

  const seenQuery = React.useRef(queryKey);
  React.useEffect(() => {
    if (seenQuery.current === queryKey) return;
    seenQuery.current = queryKey;
    store.reset();
  }, [queryKey, store]);

  const seenRefresh = React.useRef(refreshKey);
  React.useEffect(() => {
    if (Object.is(seenRefresh.current, refreshKey)) return;
    seenRefresh.current = refreshKey;
    store.refresh();
  }, [refreshKey, store]);

  React.useEffect(() => () => store.dispose(), [store]);
  return { store, state };
}
