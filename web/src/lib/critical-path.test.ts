import { describe, expect, it } from 'vitest';
import { criticalPath } from './critical-path';
import { buildTraceView } from './trace-model';
import { miniTrace } from './test-support';

const name = (v: ReturnType<typeof buildTraceView>, i: number) => v.spans[i]!.spanId.replace(/^0+/, '');

describe('criticalPath', () => {
  it('follows the last-finishing child and gives the gaps to the parent', () => {
    // a [0,100]: b [10,40], c [30,90] (finishes last), c has d [40,80]
    const v = buildTraceView(
      miniTrace([
        { id: 'a', start: 0, dur: 100 },
        { id: 'b', parent: 'a', start: 10, dur: 30 },
        { id: 'c', parent: 'a', start: 30, dur: 60 },
        { id: 'd', parent: 'c', start: 40, dur: 40 },
      ]),
    );
    const cp = criticalPath(v);
    const segs = cp.segments.map((s) => [name(v, s.span), s.start, s.end]);
    expect(segs).toEqual([
      ['a', 0, 10],
      ['b', 10, 30],
      ['c', 30, 40],
      ['d', 40, 80],
      ['c', 80, 90],
      ['a', 90, 100],
    ]);
    // The segments tile the root exactly: the path accounts for all of the trace's time.
    expect(cp.segments.reduce((n, s) => n + s.end - s.start, 0)).toBe(100);
  });

  it('skips a child that ran entirely in parallel with a later one', () => {
    const v = buildTraceView(
      miniTrace([
        { id: 'a', start: 0, dur: 100 },
        { id: 'b', parent: 'a', start: 20, dur: 30 }, // [20,50] inside c's run
        { id: 'c', parent: 'a', start: 10, dur: 80 },
      ]),
    );
    const cp = criticalPath(v);
    expect([...cp.spans].map((i) => name(v, i)).sort()).toEqual(['a', 'c']);
  });

  it('clips a child that outlives its parent', () => {
    const v = buildTraceView(
      miniTrace([
        { id: 'a', start: 0, dur: 50 },
        { id: 'b', parent: 'a', start: 30, dur: 100 },
      ]),
    );
    const segs = criticalPath(v).segments.map((s) => [name(v, s.span), s.start, s.end]);
    expect(segs).toEqual([
      ['a', 0, 30],
      ['b', 30, 50],
    ]);
  });
});
