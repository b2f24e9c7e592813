"use client";

import * as React from "react";

import { Skeleton } from "@/components/ui/skeleton";
import { cn } from "@/lib/utils";
import { rowWindow } from "@/lib/virtual-window";

export interface Column<T> {
  key: string;
  header: string;
  /** A CSS grid track: "8rem", "minmax(10rem, 2fr)". */
  width: string;
  className?: string;
  cell: (row: T) => React.ReactNode;
}

export interface VirtualTableProps<T> {
  /** The table's accessible name. */
  label: string;
  columns: readonly Column<T>[];
  /** Rows in all (the api's total): the scroll height is theirs. */
  count: number;
  /** The row at an index; undefined while its page is being read (a placeholder shows). */
  rowAt: (index: number) => T | undefined;
  rowKey: (row: T) => string;
  /** Told the rows in view whenever they change: load their pages. */
  onRange: (start: number, end: number) => void;
  /** Scrolls back to the top when it changes (a new search). */
  resetKey?: string;
  /** Bump to redraw when rows arrived (rowAt answers differently). */
  revision?: number;
  rowHeight?: number;
  /** The scroll area's height in px: fixed, so the page does not move as rows arrive. */
  height?: number;
  /** The narrowest the columns may get before the table scrolls sideways. */
  minWidth?: string;
  empty?: React.ReactNode;
  testId?: string;
}

const HEADER_HEIGHT = 36;

/** A table that draws only the rows in view (ARIA table roles on a CSS grid). */
export function VirtualTable<T>({
  label,
  columns,
  count,
  rowAt,
  rowKey,
  onRange,
  resetKey,
  revision,
  rowHeight = 36,
  height = 432,
  minWidth = "48rem",
  empty,
  testId,
}: VirtualTableProps<T>) {
  const scroller = React.useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = React.useState(0);
  const template = columns.map((column) => column.width).join(" ");
  const win = rowWindow({ scrollTop, viewportHeight: height - HEADER_HEIGHT, rowHeight, count });

  React.useEffect(() => {
    onRange(win.viewStart, win.viewEnd);
  }, [onRange, win.viewStart, win.viewEnd]);

  React.useEffect(() => {
    if (scroller.current) scroller.current.scrollTop = 0;
    setScrollTop(0);
  }, [resetKey]);

  const rows: React.ReactNode[] = [];
  for (let index = win.start; index < win.end; index++) {
    const row = rowAt(index);
    rows.push(
      <div
        key={row ? rowKey(row) : `pending-${index}`}
        role="row"
        aria-rowindex={index + 2}
        data-testid={row ? `${testId ?? "row"}-row` : undefined}
        className="hover:bg-muted/50 absolute inset-x-0 grid items-center border-b"
        style={{ top: index * rowHeight, height: rowHeight, gridTemplateColumns: template }}
      >
        {row ? (
          columns.map((column) => (
            <div key={column.key} role="cell" className={cn("truncate px-2", column.className)}>
              {column.cell(row)}
            </div>
          ))
        ) : (
          <div role="cell" className="px-2" style={{ gridColumn: "1 / -1" }}>
            <Skeleton className="h-4 w-full" />
            <span className="sr-only">loading</span>
          </div>
        )}
      </div>,
    );
  }

  return (
    <div
      ref={scroller}
      role="table"
      aria-label={label}
      aria-rowcount={count + 1}
      data-testid={testId}
      data-revision={revision}
      tabIndex={0}
      onScroll={(event) => setScrollTop(event.currentTarget.scrollTop)}
      className="focus-visible:ring-ring/50 relative overflow-auto rounded-md border text-sm outline-none focus-visible:ring-[3px]"
      style={{ height }}
    >
      <div style={{ minWidth }}>
        <div role="rowgroup" className="bg-background sticky top-0 z-10">
          <div
            role="row"
            aria-rowindex={1}
            className="bg-muted/40 grid items-center border-b font-medium"
            style={{ height: HEADER_HEIGHT, gridTemplateColumns: template }}
          >
            {columns.map((column) => (
              <div key={column.key} role="columnheader" className={cn("truncate px-2", column.className)}>
                {column.header}
              </div>
            ))}
          </div>
        </div>
        <div role="rowgroup" className="relative" style={{ height: count * rowHeight }}>
          {rows}
        </div>
        {count === 0 && empty && <div className="text-muted-foreground p-6 text-sm">{empty}</div>}
      </div>
    </div>
  );
}
