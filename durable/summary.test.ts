import { describe, expect, it } from 'vitest';
import { StatusCode } from '../worker/span/model';
import { summarize } from './summary';
import { buildTree } from './tree';
import { at, span, TRACE_ID } from './test-spans';

const MS = 1e6;

describe('summarize', () => {
  it('counts spans, errors, orphans and services, and spans the adjusted times', () => {
    const tree = buildTree([
      span({ id: 1, service: 'web', name: 'GET /', start: 10, end: 100 }),
      span({ id: 2, parent: 1, service: 'api', start: 70, end: 150, status: StatusCode.ERROR }),
      span({ id: 3, parent: 'gone', service: 'api', start: 5, end: 8, status: StatusCode.ERROR }),
      span({ id: 4, parent: 1, service: 'db', start: 30, end: 40 }),
    ]);
    const shift = new Float64Array([0, -50 * MS, 0, 0]); // span 2 runs 20..100 once adjusted
    const s = summarize({ traceId: TRACE_ID, tree, shift, version: 3, sampleRate: 0.25 });
    expect(s).toEqual({
      traceId: TRACE_ID,
      startTimeUnixNano: at(5),
      durationNanos: String(95 * MS),
      rootService: 'web',
      rootOperation: 'GET /',
      spanCount: 4,
      errorCount: 2,
      orphanCount: 1,
      services: { web: 1, api: 2, db: 1 },
      sampleRate: 0.25,
      adjustedCount: 4,
      version: 3,
    });
  });

  it('takes the earliest orphan as root when every span names a parent', () => {
    const tree = buildTree([span({ id: 2, parent: 'x', name: 'late', start: 9, end: 10 }), span({ id: 3, parent: 'y', name: 'early', start: 1, end: 10 })]);
    expect(summarize({ traceId: TRACE_ID, tree, shift: new Float64Array(2), version: 1, sampleRate: 1 }).rootOperation).toBe('early');
  });

  it('treats an unknown or zero sample rate as 1', () => {
    const tree = buildTree([span({ id: 1, start: 0, end: 1 })]);
    for (const rate of [0, Number.NaN, -1, 2]) {
      const s = summarize({ traceId: TRACE_ID, tree, shift: new Float64Array(1), version: 1, sampleRate: rate });
      expect([s.sampleRate, s.adjustedCount]).toEqual([1, 1]);
    }
  });

  it('counts a service named __proto__ like any other', () => {
    const tree = buildTree([span({ id: 1, service: '__proto__', start: 0, end: 1 })]);
    const s = summarize({ traceId: TRACE_ID, tree, shift: new Float64Array(1), version: 1, sampleRate: 1 });
    expect(Object.entries(s.services)).toEqual([['__proto__', 1]]);
  });
});
