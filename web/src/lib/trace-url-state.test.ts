import { describe, expect, it } from 'vitest';
import { buildTraceView } from './trace-model';
import { collapsedSet, readTraceState, showDepth, toggleCollapsed, writeTraceState } from './trace-url-state';
import { miniTrace, sid } from './test-support';

const view = buildTraceView(
  miniTrace([
    { id: 'a', start: 0, dur: 100 },
    { id: 'b', parent: 'a', start: 10, dur: 50 },
    { id: 'c', parent: 'b', start: 20, dur: 10 },
    { id: 'd', parent: 'a', start: 70, dur: 20 },
    { id: 'e', parent: 'd', start: 75, dur: 5 },
  ]),
);

describe('trace page URL state', () => {
  it('round-trips and leaves defaults out', () => {
    const s = { tab: 'graph' as const, span: 'ab', filter: 'x=1', onlyMatches: true, depth: 2, collapsed: ['q'], expanded: ['r', 's'] };
    expect(readTraceState(writeTraceState(s))).toEqual(s);
    expect(writeTraceState(readTraceState(new URLSearchParams())).toString()).toBe('');
    expect(readTraceState(new URLSearchParams('tab=bogus&depth=-1')).tab).toBe('timeline');
  });

  it('depth 2 collapses the children of the root, with exceptions', () => {
    let s = showDepth(readTraceState(new URLSearchParams()), 2);
    expect([...collapsedSet(view, s)].sort()).toEqual([sid('b'), sid('d')]);
    s = toggleCollapsed(s, sid('b'), true); // expand b
    expect([...collapsedSet(view, s)]).toEqual([sid('d')]);
    s = toggleCollapsed(s, sid('b'), false); // collapse it again
    expect([...collapsedSet(view, s)].sort()).toEqual([sid('b'), sid('d')]);
    expect(s.expanded).toEqual([]);
  });

  it('collapsing without a depth rule lists the span, and expanding removes it', () => {
    let s = readTraceState(new URLSearchParams());
    s = toggleCollapsed(s, sid('d'), false);
    expect([...collapsedSet(view, s)]).toEqual([sid('d')]);
    s = toggleCollapsed(s, sid('d'), true);
    expect(collapsedSet(view, s).size).toBe(0);
  });
});
