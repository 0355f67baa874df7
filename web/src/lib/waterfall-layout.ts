/**
 * The waterfall's pure layout: (trace, collapsed, filter) → the rows to draw. The component only
 * renders the window of these rows that is on screen. Because spans are in depth-first order, a
 * collapsed subtree is skipped in one jump, so a 100k-span layout is one linear pass.
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
  rows: WaterfallRow[];
  /** row positions of the matching spans, in order, for next/previous match */
  matchRows: number[];
  /** how many spans the filter matched, including ones hidden inside collapsed subtrees */
  matchCount: number;
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
  const matched = new Uint8Array(n);
  // keep[i]: a match is inside i's subtree (itself included), used by onlyMatches
  const keep = new Uint8Array(n);
  let matchCount = 0;
  if (filter) {
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
  const only = filter !== null && options.onlyMatches === true;
  const rows: WaterfallRow[] = [];
  const matchRows: number[] = [];
  let i = 0;
  while (i < n) {
    const s = spans[i]!;
    if (only && !keep[i]) {
      i = s.subtreeEnd;
      continue;
    }
    const isCollapsed = s.children.length > 0 && collapsed.has(s.spanId);
    if (matched[i]) matchRows.push(rows.length);
    rows.push({
      span: i,
      depth: s.depth,
      hasChildren: s.children.length > 0,
      collapsed: isCollapsed,
      hiddenCount: isCollapsed ? s.subtreeEnd - i - 1 : 0,
      match: matched[i] === 1,
    });
    i = isCollapsed ? s.subtreeEnd : i + 1;
  }
  return { rows, matchRows, matchCount };
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
