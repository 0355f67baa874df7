import { describe, expect, it } from 'vitest';
import { makeTrace, ORPHAN_MISSING_PARENT } from '../../../test/browser/fixtures';
import type { JaegerTrace } from './jaeger';
import { buildTraceView, PLACEHOLDER_SERVICE } from './trace-model';
import { miniTrace, sid } from './test-support';

describe('buildTraceView', () => {
  it('orders spans depth-first with children by start time', () => {
    const v = buildTraceView(
      miniTrace([
        { id: 'b', parent: 'a', start: 50, dur: 10 },
        { id: 'a', start: 0, dur: 100 },
        { id: 'c', parent: 'a', start: 10, dur: 20 },
        { id: 'd', parent: 'c', start: 12, dur: 5 },
      ]),
    );
    expect(v.spans.map((s) => s.spanId)).toEqual(['a', 'c', 'd', 'b'].map(sid));
    expect(v.spans.map((s) => s.depth)).toEqual([0, 1, 2, 1]);
    expect(v.spans.map((s) => s.subtreeEnd)).toEqual([4, 3, 3, 4]);
    expect(v.spans[0]!.children).toEqual([1, 3]);
    expect(v.durationUs).toBe(100);
    expect(v.spans[3]!.start).toBe(50);
  });

  it('puts a placeholder where a parent never arrived, covering its children', () => {
    const v = buildTraceView(
      miniTrace([
        { id: 'a', start: 0, dur: 100 },
        { id: 'x', parent: 'ff', start: 20, dur: 10 },
        { id: 'y', parent: 'ff', start: 40, dur: 30 },
      ]),
    );
    const ph = v.spans.find((s) => s.placeholder)!;
    expect(ph.spanId).toBe(sid('ff'));
    expect(ph.service).toBe(PLACEHOLDER_SERVICE);
    expect([ph.start, ph.duration]).toEqual([20, 50]);
    expect(ph.children.map((c) => v.spans[c]!.spanId)).toEqual([sid('x'), sid('y')]);
    expect(v.orphanCount).toBe(2);
    expect(v.spanCount).toBe(3);
    expect(v.roots).toHaveLength(2);
    expect(v.warnings.join()).toMatch(/2 spans reference a parent/);
  });

  it('survives a parent cycle by making one of its spans a root', () => {
    const v = buildTraceView(
      miniTrace([
        { id: 'a', parent: 'b', start: 0, dur: 10 },
        { id: 'b', parent: 'a', start: 1, dur: 5 },
      ]),
    );
    expect(v.spans).toHaveLength(2);
    expect(v.spans[0]!.depth).toBe(0);
    expect(v.spans[1]!.depth).toBe(1);
  });

  it('marks errors from error=true and otel.status_code=ERROR', () => {
    const t = miniTrace([
      { id: 'a', start: 0, dur: 10, error: true },
      { id: 'b', parent: 'a', start: 0, dur: 5, tags: { 'otel.status_code': 'ERROR' } },
      { id: 'c', parent: 'a', start: 0, dur: 5, tags: { 'otel.status_code': 'OK' } },
    ]);
    expect(buildTraceView(t).spans.map((s) => s.error)).toEqual([true, true, false]);
  });

  it('keeps every span of a large generated trace, once, and a deep chain does not overflow', () => {
    const t = makeTrace({ spans: 20_000, seed: 3 }) as unknown as JaegerTrace;
    const v = buildTraceView(t);
    expect(v.spanCount).toBe(20_000);
    expect(v.spans).toHaveLength(20_001); // plus the orphan's placeholder
    expect(new Set(v.spans.map((s) => s.spanId)).size).toBe(20_001);
    expect(v.spans.some((s) => s.placeholder && s.spanId === ORPHAN_MISSING_PARENT)).toBe(true);
    // Every child sits inside its parent's subtree slice.
    for (const s of v.spans) if (s.parent >= 0) expect(s.index).toBeLessThan(v.spans[s.parent]!.subtreeEnd);

    const chain = miniTrace(Array.from({ length: 50_000 }, (_, i) => ({ id: (i + 1).toString(16), parent: i ? i.toString(16) : undefined, start: i, dur: 1 })));
    const cv = buildTraceView(chain);
    expect(cv.maxDepth).toBe(49_999);
    expect(cv.spans[0]!.subtreeEnd).toBe(50_000);
  });
});
