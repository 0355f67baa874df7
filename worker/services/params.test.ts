import { describe, expect, it } from 'vitest';
import { ApiError } from '../http-error';
import { booleanParam, durationMs, quantileParam, spanKinds, timestampMs } from './params';

const q = (o: Record<string, string>) => (n: string) => o[n];

function fieldOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    if (err instanceof ApiError) return `${err.status} ${err.field}`;
    throw err;
  }
  return undefined;
}

describe('services API parameters', () => {
  it('reads durations in ms or with a unit', () => {
    const r = { min: 1, max: 1e12 };
    expect(durationMs(q({ lookback: '3600000' }), 'lookback', 5, r)).toBe(3_600_000);
    expect(durationMs(q({ lookback: '15m' }), 'lookback', 5, r)).toBe(900_000);
    expect(durationMs(q({}), 'lookback', 5, r)).toBe(5);
    expect(fieldOf(() => durationMs(q({ lookback: 'soon' }), 'lookback', 5, r))).toBe('400 lookback');
    expect(fieldOf(() => durationMs(q({ step: '0' }), 'step', 5, r))).toBe('400 step');
  });

  it('reads endTs, booleans, quantiles and span kinds, naming the bad one', () => {
    expect(timestampMs(q({}), 'endTs', 42)).toBe(42);
    expect(fieldOf(() => timestampMs(q({ endTs: '-1' }), 'endTs', 0))).toBe('400 endTs');
    expect(booleanParam(q({ groupByOperation: 'true' }), 'groupByOperation')).toBe(true);
    expect(fieldOf(() => booleanParam(q({ g: 'maybe' }), 'g'))).toBe('400 g');
    expect(quantileParam(q({ quantile: '0.95' }))).toBe(0.95);
    expect(fieldOf(() => quantileParam(q({})))).toBe('400 quantile');
    expect(spanKinds(() => [])).toEqual(['server']);
    expect(spanKinds(() => ['SPAN_KIND_CLIENT', 'server'])).toEqual(['client', 'server']);
    expect(fieldOf(() => spanKinds(() => ['sideways']))).toBe('400 spanKind');
  });
});
