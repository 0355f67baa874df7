import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addToHistogram,
  bucketBounds,
  bucketOf,
  decodeHistogram,
  encodeHistogram,
  histogramTotal,
  MAX_BUCKET,
  mergeHistogram,
  quantile,
  type Histogram,
} from './histogram';

const ms = 1_000_000;

function exactQuantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

describe('latency histogram', () => {
  it('puts a duration in the bucket whose bounds hold it', () => {
    fc.assert(
      fc.property(fc.double({ min: 1001, max: 1e15, noNaN: true }), (d) => {
        const [lo, hi] = bucketBounds(bucketOf(d));
        expect(d).toBeGreaterThan(lo * (1 - 1e-12));
        if (bucketOf(d) < MAX_BUCKET) expect(d).toBeLessThanOrEqual(hi * (1 + 1e-12));
      }),
    );
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(-5)).toBe(0);
    expect(bucketOf(1000)).toBe(0);
    expect(bucketOf(Number.MAX_SAFE_INTEGER * 1000)).toBe(MAX_BUCKET);
  });

  it('reads quantiles within 10% of the exact value', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 2_000, max: 5_000_000_000 }), { minLength: 1, maxLength: 400 }), fc.constantFrom(0.5, 0.95, 0.99), (values, q) => {
        const h: Histogram = new Map();
        for (const v of values) addToHistogram(h, v);
        const got = quantile(h, q, Math.min(...values), Math.max(...values))!;
        const want = exactQuantile(values, q);
        // the true quantile and the estimate share a bucket or are neighbours across its bound
        expect(got / want).toBeGreaterThan(1 / 1.2 ** 2);
        expect(got / want).toBeLessThan(1.2 ** 2);
      }),
    );
  });

  it('reports the exact time when every span took the same time', () => {
    const h: Histogram = new Map();
    for (let i = 0; i < 10; i++) addToHistogram(h, 250 * ms);
    expect(quantile(h, 0.5, 250 * ms, 250 * ms)).toBe(250 * ms);
    expect(quantile(h, 0.99, 250 * ms, 250 * ms)).toBe(250 * ms);
  });

  it('orders p50 ≤ p95 ≤ p99 on a skewed distribution', () => {
    const h: Histogram = new Map();
    for (let i = 1; i <= 1000; i++) addToHistogram(h, i * i * 1000);
    const [p50, p95, p99] = [0.5, 0.95, 0.99].map((q) => quantile(h, q)!);
    expect(p50).toBeLessThan(p95!);
    expect(p95).toBeLessThan(p99!);
    expect(quantile(new Map(), 0.5)).toBeNull();
  });

  it('merges by adding counts, weighted or not', () => {
    const a: Histogram = new Map();
    const b: Histogram = new Map();
    addToHistogram(a, 5 * ms);
    addToHistogram(b, 5 * ms, 1000);
    addToHistogram(b, 50 * ms, 2.5);
    mergeHistogram(a, b);
    expect(histogramTotal(a)).toBe(1003.5);
    expect(a.get(bucketOf(5 * ms))).toBe(1001);
  });

  it('survives the JSON round trip and skips junk', () => {
    const h: Histogram = new Map([
      [40, 3],
      [2, 1.5],
    ]);
    expect(encodeHistogram(h)).toBe('{"2":1.5,"40":3}');
    expect(decodeHistogram(encodeHistogram(h))).toEqual(h);
    expect(decodeHistogram('{"x":1,"3":"2","4":0,"5":7}')).toEqual(new Map([[5, 7]]));
    expect(decodeHistogram(null).size).toBe(0);
    expect(encodeHistogram(new Map())).toBe('{}');
  });
});
