/**
 * The waterfall's pure layout: (trace, collapsed, filter) → the rows to draw. Because spans are in
 * depth-first order, a collapsed subtree is skipped in one jump, so a 100k-span layout is one
 * linear pass that fills a typed array of span indices; the row objects the component draws are
 * made on demand (`rowAt`) for the few rows on screen.
 */
import type { TraceView, ViewSpan } from './trace-model';

export interface WaterfallRow {
  /** index into TraceView.spans; also the row's stable key */
  span: number;
  depth: number;
  hasChildren: boolean;
  collapsed: boolean;
  /** descendants hidden under this collapsed row */
  hiddenCount: number;
  /** the filter matched this span (false when there is no filter) */
  match: boolean;
}

export interface WaterfallLayout {
  /** the span on each row, top to bottom */
  rows: Int32Array;
  /** row positions of the matching spans, in order, for next/previous match */
  matchRows: number[];
  /** how many spans the filter matched, including ones hidden inside collapsed subtrees */
  matchCount: number;
  /** per span index: 1 when the filter matched it (null when there is no filter) */
  matched: Uint8Array | null;
  collapsed: ReadonlySet<string>;
}

export interface LayoutOptions {
  /** show only matches and their ancestors (otherwise matches are highlighted in place) */
  onlyMatches?: boolean;
}

export function layoutWaterfall(
  trace: TraceView,
  collapsed: ReadonlySet<string>,
  filter: ((span: ViewSpan) => boolean) | null,
  options: LayoutOptions = {},
): WaterfallLayout {
  const spans = trace.spans;
  const n = spans.length;
  let matched: Uint8Array | null = null;
  // keep[i]: a match is inside i's subtree (itself included), used by onlyMatches
  let keep: Uint8Array | null = null;
  let matchCount = 0;
  if (filter) {
    matched = new Uint8Array(n);
    keep = new Uint8Array(n);
    for (let i = n - 1; i >= 0; i--) {
      const s = spans[i]!;
      if (filter(s)) {
        matched[i] = 1;
        matchCount++;
      }
      if (matched[i] || keep[i]) {
        keep[i] = 1;
        if (s.parent >= 0) keep[s.parent] = 1;
      }
    }
  }
  const only = keep !== null && options.onlyMatches === true;
  const rows = new Int32Array(n);
  const matchRows: number[] = [];
  let count = 0;
  let i = 0;
  // With nothing collapsed every span is a row: no set lookups at all.
  const anyCollapsed = collapsed.size > 0;
  while (i < n) {
    const s = spans[i]!;
    if (only && !keep![i]) {
      i = s.subtreeEnd;
      continue;
    }
    if (matched !== null && matched[i]) matchRows.push(count);
    rows[count++] = i;
    i = anyCollapsed && s.children.length > 0 && collapsed.has(s.spanId) ? s.subtreeEnd : i + 1;
  }
  return { rows: rows.subarray(0, count), matchRows, matchCount, matched, collapsed };
}

/** The row at position `k`, made for drawing it. */
export function rowAt(trace: TraceView, layout: WaterfallLayout, k: number): WaterfallRow {
  const span = layout.rows[k]!;
  const s = trace.spans[span]!;
  const hasChildren = s.children.length > 0;
  const isCollapsed = hasChildren && layout.collapsed.has(s.spanId);
  return {
    span,
    depth: s.depth,
    hasChildren,
    collapsed: isCollapsed,
    hiddenCount: isCollapsed ? s.subtreeEnd - span - 1 : 0,
    match: layout.matched !== null && layout.matched[span] === 1,
  };
}

/** The collapsed set that shows the tree down to `depth` levels (1 = only the roots). */
export function collapseBelowDepth(trace: TraceView, depth: number): Set<string> {
  const out = new Set<string>();
  for (const s of trace.spans) if (s.depth === depth - 1 && s.children.length > 0) out.add(s.spanId);
  return out;
}

/** Ids to uncollapse so that the span at `index` is visible (its ancestors). */
export function ancestorsOf(trace: TraceView, index: number): string[] {
  const out: string[] = [];
  let p = trace.spans[index]?.parent ?? -1;
  while (p >= 0) {
    const s = trace.spans[p]!;
    out.push(s.spanId);
    p = s.parent;
  }
  return out;
}
