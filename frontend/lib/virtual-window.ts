/**
 * Windowed rendering of a long list of rows of one fixed height: only the rows in
 * view, and a few either side, are drawn; the scroll area keeps the height of them all,
 * so the scrollbar tells where one is and nothing jumps as rows arrive.
 */

export interface RowWindow {
  /** First row drawn. */
  start: number;
  /** One past the last row drawn. */
  end: number;
  /** The first and one past the last row actually in view (what to load). */
  viewStart: number;
  viewEnd: number;
}

export function rowWindow({
  scrollTop,
  viewportHeight,
  rowHeight,
  count,
  overscan = 8,
}: {
  scrollTop: number;
  viewportHeight: number;
  rowHeight: number;
  count: number;
  overscan?: number;
}): RowWindow {
  if (count <= 0 || rowHeight <= 0) return { start: 0, end: 0, viewStart: 0, viewEnd: 0 };
  const top = Math.max(0, scrollTop);
  const viewStart = Math.min(count - 1, Math.floor(top / rowHeight));
  const viewEnd = Math.min(count, Math.ceil((top + Math.max(viewportHeight, rowHeight)) / rowHeight));
  return {
    start: Math.max(0, viewStart - overscan),
    end: Math.min(count, viewEnd + overscan),
    viewStart,
    viewEnd,
  };
}
