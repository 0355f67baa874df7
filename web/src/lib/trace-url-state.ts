/**
 * The trace page's state, all in its URL: which tab, the selected span, the filter, and what is
 * collapsed. Collapse is stored as "down to depth N" plus exceptions, so that "expand to depth 2"
 * on a 100k-span trace is a short link rather than thousands of ids.
 */
import type { TraceView } from './trace-model';

export const TRACE_TABS = ['timeline', 'graph', 'stats'] as const;
export type TraceTab = (typeof TRACE_TABS)[number];

export interface TracePageState {
  tab: TraceTab;
  /** selected span id */
  span: string | null;
  filter: string;
  onlyMatches: boolean;
  /** show down to this many levels (null: everything) */
  depth: number | null;
  /** collapsed in addition to the depth rule */
  collapsed: string[];
  /** expanded despite the depth rule */
  expanded: string[];
}

const ids = (v: string | null) => (v ? v.split(',').filter(Boolean) : []);

export function readTraceState(p: Pick<URLSearchParams, 'get' | 'has'>): TracePageState {
  const tab = p.get('tab');
  const depth = Number(p.get('depth'));
  return {
    tab: (TRACE_TABS as readonly string[]).includes(tab ?? '') ? (tab as TraceTab) : 'timeline',
    span: p.get('span') || null,
    filter: p.get('q') ?? '',
    onlyMatches: p.get('only') === '1',
    depth: p.has('depth') && Number.isInteger(depth) && depth >= 1 ? depth : null,
    collapsed: ids(p.get('c')),
    expanded: ids(p.get('x')),
  };
}

export function writeTraceState(s: TracePageState): URLSearchParams {
  const p = new URLSearchParams();
  if (s.tab !== 'timeline') p.set('tab', s.tab);
  if (s.span) p.set('span', s.span);
  if (s.filter) p.set('q', s.filter);
  if (s.onlyMatches) p.set('only', '1');
  if (s.depth !== null) p.set('depth', String(s.depth));
  if (s.collapsed.length) p.set('c', s.collapsed.join(','));
  if (s.expanded.length) p.set('x', s.expanded.join(','));
  return p;
}

/** The set of collapsed span ids that the state describes. */
export function collapsedSet(view: TraceView, s: TracePageState): Set<string> {
  const out = new Set(s.collapsed);
  if (s.depth !== null) {
    const except = new Set(s.expanded);
    for (const sp of view.spans) {
      if (sp.depth >= s.depth - 1 && sp.children.length > 0 && !except.has(sp.spanId)) out.add(sp.spanId);
    }
  }
  return out;
}

const without = (list: string[], id: string) => list.filter((x) => x !== id);

/** Flip one span between collapsed and expanded. */
export function toggleCollapsed(s: TracePageState, id: string, nowCollapsed: boolean): TracePageState {
  if (nowCollapsed) {
    return s.collapsed.includes(id) ? { ...s, collapsed: without(s.collapsed, id) } : { ...s, expanded: [...s.expanded, id] };
  }
  return s.expanded.includes(id) ? { ...s, expanded: without(s.expanded, id) } : { ...s, collapsed: [...s.collapsed, id] };
}

/** Show down to `depth` levels (null: expand all), dropping older exceptions. */
export const showDepth = (s: TracePageState, depth: number | null): TracePageState => ({ ...s, depth, collapsed: [], expanded: [] });
