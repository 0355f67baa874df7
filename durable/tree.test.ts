import { describe, expect, it } from 'vitest';
import { buildTree } from './tree';
import { sid, span } from './test-spans';

const ids = (tree: ReturnType<typeof buildTree>, list: ArrayLike<number>) => Array.from(list, (i) => tree.spans[i]!.spanId);

describe('buildTree', () => {
  it('links children to parents that arrive after them, ordering children by start', () => {
    const spans = [
      span({ id: 3, parent: 1, start: 20, end: 30 }),
      span({ id: 2, parent: 1, start: 5, end: 10 }),
      span({ id: 4, parent: 2, start: 6, end: 8 }),
      span({ id: 1, start: 0, end: 40 }),
    ];
    const t = buildTree(spans);
    expect(ids(t, t.roots)).toEqual([sid(1)]);
    expect(ids(t, t.order)).toEqual([sid(1), sid(2), sid(4), sid(3)]);
    expect(t.parent[0]).toBe(3);
    expect(t.orphan.every((o) => o === 0)).toBe(true);
    expect(t.missingParents.size).toBe(0);
  });

  it('keeps a span whose parent never arrived as a root and marks it orphan', () => {
    const t = buildTree([span({ id: 1, start: 0, end: 10 }), span({ id: 2, parent: 'dead', start: 2, end: 3 }), span({ id: 3, parent: 'dead', start: 4, end: 5 })]);
    expect(Array.from(t.orphan)).toEqual([0, 1, 1]);
    expect(ids(t, t.roots)).toEqual([sid(1), sid(2), sid(3)]);
    expect(t.missingParents).toEqual(new Map([[sid('dead'), 2]]));
  });

  it('allows several roots, ordered by start', () => {
    const t = buildTree([span({ id: 2, start: 50, end: 60 }), span({ id: 1, start: 0, end: 10 }), span({ id: 3, parent: 2, start: 51, end: 52 })]);
    expect(ids(t, t.roots)).toEqual([sid(1), sid(2)]);
    expect(ids(t, t.order)).toEqual([sid(1), sid(2), sid(3)]);
  });

  it('breaks a parent cycle so every span is listed once', () => {
    const t = buildTree([span({ id: 1, parent: 2, start: 0, end: 10 }), span({ id: 2, parent: 1, start: 1, end: 5 }), span({ id: 3, parent: 3, start: 2, end: 3 })]);
    expect(t.order.length).toBe(3);
    expect(new Set(t.order).size).toBe(3);
    expect(t.cycleBreaks).toHaveLength(2);
    expect(t.orphan.every((o) => o === 0)).toBe(true);
  });

  it('keeps ns offsets exact from the earliest start', () => {
    const t = buildTree([span({ id: 1, start: 1.000001, end: 2 }), span({ id: 2, start: 1, end: 3 })]);
    expect(t.start[0]).toBe(1);
    expect(t.start[1]).toBe(0);
    expect(t.end[1]).toBe(2_000_000);
  });

  it('walks a 100,000-deep chain without recursion', () => {
    const n = 100_000;
    const spans = Array.from({ length: n }, (_, i) => span({ id: i + 1, parent: i === 0 ? undefined : i, start: i * 0.001, end: 1000 }));
    const t = buildTree(spans.reverse());
    expect(t.roots).toHaveLength(1);
    expect(t.spans[t.order[n - 1]!]!.spanId).toBe(sid(n));
  });
});
