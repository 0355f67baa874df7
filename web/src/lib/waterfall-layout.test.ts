import { describe, expect, it } from 'vitest';
import { parseFilter, spanMatcher } from './span-filter';
import { buildTraceView } from './trace-model';
import { ancestorsOf, collapseBelowDepth, layoutWaterfall, rowAt, type WaterfallLayout } from './waterfall-layout';
import { miniTrace, sid } from './test-support';

const view = buildTraceView(
  miniTrace([
    { id: 'a', service: 'web', op: 'GET /', start: 0, dur: 100 },
    { id: 'b', parent: 'a', service: 'api', op: 'list', start: 10, dur: 50, tags: { 'http.route': '/items' } },
    { id: 'c', parent: 'b', service: 'db', op: 'SELECT', start: 20, dur: 10 },
    { id: 'd', parent: 'b', service: 'db', op: 'SELECT', start: 35, dur: 10, error: true },
    { id: 'e', parent: 'a', service: 'api', op: 'auth', start: 70, dur: 20 },
  ]),
);
const ids = (rows: Int32Array) => Array.from(rows, (i) => view.spans[i]!.spanId.replace(/^0+/, ''));
const rowsOf = (l: WaterfallLayout) => Array.from(l.rows, (_, k) => rowAt(view, l, k));

describe('layoutWaterfall', () => {
  it('shows every span when nothing is collapsed', () => {
    const l = layoutWaterfall(view, new Set(), null);
    expect(ids(l.rows)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(rowsOf(l).every((r) => !r.match && !r.collapsed && r.hiddenCount === 0)).toBe(true);
    expect(rowsOf(l).map((r) => [r.depth, r.hasChildren])).toEqual([[0, true], [1, true], [2, false], [2, false], [1, false]]);
  });

  it('hides a collapsed subtree and counts what it hides', () => {
    const l = layoutWaterfall(view, new Set([sid('b')]), null);
    expect(ids(l.rows)).toEqual(['a', 'b', 'e']);
    expect(rowAt(view, l, 1)).toMatchObject({ span: 1, collapsed: true, hiddenCount: 2, hasChildren: true });
  });

  it('ignores a collapse on a leaf', () => {
    expect(layoutWaterfall(view, new Set([sid('c')]), null).rows).toHaveLength(5);
  });

  it('highlights matches in place and lists their rows', () => {
    const l = layoutWaterfall(view, new Set(), spanMatcher(parseFilter('select')));
    expect(l.rows).toHaveLength(5);
    expect(l.matchRows).toEqual([2, 3]);
    expect(l.matchCount).toBe(2);
    expect(rowsOf(l).map((r) => r.match)).toEqual([false, false, true, true, false]);
  });

  it('counts matches hidden in a collapsed subtree', () => {
    const l = layoutWaterfall(view, new Set([sid('b')]), spanMatcher(parseFilter('select')));
    expect(l.matchRows).toEqual([]);
    expect(l.matchCount).toBe(2);
  });

  it('with onlyMatches keeps matches and their ancestors', () => {
    const l = layoutWaterfall(view, new Set(), spanMatcher(parseFilter('error=true')), { onlyMatches: true });
    expect(ids(l.rows)).toEqual(['a', 'b', 'd']);
  });

  it('collapseBelowDepth(2) shows roots and their children', () => {
    const l = layoutWaterfall(view, collapseBelowDepth(view, 2), null);
    expect(ids(l.rows)).toEqual(['a', 'b', 'e']);
  });

  it('ancestorsOf lists the spans to expand to reveal one', () => {
    expect(ancestorsOf(view, 3)).toEqual([sid('b'), sid('a')]);
  });
});

describe('span filter', () => {
  const m = (q: string) => view.spans.filter(spanMatcher(parseFilter(q))!).map((s) => s.spanId.replace(/^0+/, ''));
  it('matches text against service, operation and attribute values', () => {
    expect(m('api')).toEqual(['b', 'e']);
    expect(m('/items')).toEqual(['b']);
  });
  it('matches key=value exactly and ANDs terms', () => {
    expect(m('http.route=/items')).toEqual(['b']);
    expect(m('service=db error=true')).toEqual(['d']);
    expect(m('service=db error!=true')).toEqual(['c']);
    expect(m('http.route=*')).toEqual(['b']);
  });
  it('has no matcher for an empty filter', () => {
    expect(spanMatcher(parseFilter('   '))).toBeNull();
  });
});
