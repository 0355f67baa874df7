/**
 * Which rows of a fixed-row-height list are on screen (Jaeger UI's Positions helper, made trivial
 * by a fixed row height: the window is arithmetic, no measuring, so no layout shift).
 */

export interface RowWindow {
  /** first row to render */
  start: number;
  /** one past the last row to render */
  end: number;
}

export function visibleRows(
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
  rowCount: number,
  overscan = 8,
): RowWindow {
  if (rowCount <= 0 || rowHeight <= 0) return { start: 0, end: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const last = Math.ceil((Math.max(0, scrollTop) + Math.max(0, viewportHeight)) / rowHeight);
  return { start: Math.max(0, Math.min(rowCount, first - overscan)), end: Math.min(rowCount, last + overscan) };
}

/** The scrollTop that brings `row` into view with the least movement (unchanged if visible). */
export function scrollToRow(row: number, scrollTop: number, viewportHeight: number, rowHeight: number): number {
  const top = row * rowHeight;
  if (top < scrollTop) return top;
  if (top + rowHeight > scrollTop + viewportHeight) return top + rowHeight - viewportHeight;
  return scrollTop;
}
