import { describe, expect, it } from 'vitest';
import { takeTokens, type BucketState } from '../durable/rate-limiter-bucket';
import { LeaseCache, maxLeaseSize, type LeaseLimit } from './rate-limit-lease';
import { seededRandom as seeded } from './seeded-random';

describe('maxLeaseSize', () => {
  it('is 10 ms worth of the rate, between 1 and 100 tokens', () => {
    expect(maxLeaseSize({ requests: 60_000, periodSeconds: 60 })).toBe(10);
    expect(maxLeaseSize({ requests: 3, periodSeconds: 3_600 })).toBe(1);
    expect(maxLeaseSize({ requests: 10_000_000, periodSeconds: 1 })).toBe(100);
  });
});

describe('LeaseCache', () => {
  const limit = { requests: 60_000, periodSeconds: 60 };

  it('asks for one token at first, and again for each request of a quiet isolate', () => {
    const c = new LeaseCache();
    expect(c.decide('k', limit, 0)).toEqual({ kind: 'ask', want: 1 });
    expect(c.record('k', 1, 0, 0)).toEqual({ kind: 'allow' });
    expect(c.decide('k', limit, 500)).toEqual({ kind: 'ask', want: 1 });
    c.record('k', 1, 0, 500);
    expect(c.decide('k', limit, 1_700)).toEqual({ kind: 'ask', want: 1 });
  });

  it('doubles the lease while leases are spent within 100 ms, up to the largest lease', () => {
    const c = new LeaseCache();
    const wants: number[] = [];
    for (let t = 0; t < 300; t += 5) {
      const d = c.decide('k', limit, t);
      if (d.kind === 'ask') {
        wants.push(d.want);
        c.record('k', d.want, 0, t);
      }
    }
    expect(wants.slice(0, 6)).toEqual([1, 2, 4, 8, 10, 10]);
  });

  it('spends the lease locally until it is used up, then asks again', () => {
    const c = new LeaseCache();
    c.record('k', 3, 0, 0);
    expect(c.decide('k', limit, 1)).toEqual({ kind: 'allow' });
    expect(c.decide('k', limit, 2)).toEqual({ kind: 'allow' });
    expect(c.decide('k', limit, 3).kind).toBe('ask');
  });

  it('lets an unspent lease lapse after a second and asks for less next time', () => {
    const c = new LeaseCache();
    c.decide('k', limit, 0);
    c.record('k', 1, 0, 0);
    c.decide('k', limit, 10);
    c.record('k', 2, 0, 10);
    expect(c.decide('k', limit, 20)).toEqual({ kind: 'allow' });
    expect(c.decide('k', limit, 30)).toEqual({ kind: 'ask', want: 4 });
    c.record('k', 4, 0, 30);
    // 3 tokens left unspent for a second: they lapse, and the next lease is what was spent
    expect(c.decide('k', limit, 1_030)).toEqual({ kind: 'ask', want: 1 });
  });

  it('asks for one token at a time once the object grants less than was asked', () => {
    const c = new LeaseCache();
    c.decide('k', limit, 0);
    c.record('k', 1, 0, 0);
    expect(c.decide('k', limit, 10)).toEqual({ kind: 'ask', want: 2 });
    c.record('k', 1, 0, 10);
    expect(c.decide('k', limit, 20)).toEqual({ kind: 'ask', want: 1 });
  });

  it('keeps the tokens of a concurrent ask rather than let them lapse', () => {
    const c = new LeaseCache();
    c.record('k', 5, 0, 0);
    c.record('k', 5, 0, 1);
    let allowed = 0;
    while (c.decide('k', limit, 2).kind === 'allow') allowed++;
    expect(allowed).toBe(8);
  });

  it('refuses locally until the Retry-After time once the object refused', () => {
    const c = new LeaseCache();
    expect(c.record('k', 0, 2_500, 0)).toEqual({ kind: 'deny', retryAfterSeconds: 3 });
    expect(c.decide('k', limit, 1_000)).toEqual({ kind: 'deny', retryAfterSeconds: 2 });
    expect(c.decide('k', limit, 2_500)).toEqual({ kind: 'ask', want: 1 });
  });

  it('keeps keys apart', () => {
    const c = new LeaseCache();
    c.record('a', 0, 60_000, 0);
    expect(c.decide('b', limit, 0)).toEqual({ kind: 'ask', want: 1 });
  });

  it('forgets the oldest keys past its bound', () => {
    const c = new LeaseCache(2);
    c.record('a', 0, 60_000, 0);
    c.record('b', 0, 60_000, 0);
    c.record('c', 0, 60_000, 0);
    expect(c.decide('a', limit, 0).kind).toBe('ask');
    expect(c.decide('c', limit, 0).kind).toBe('deny');
  });
});

/**
 * Isolates (one LeaseCache each) sending Poisson traffic at the given rates for one key, against
 * the limiter object's real token bucket (durable/rate-limiter-bucket.ts).
 */
function simulate(ratesPerSecond: number[], limit: LeaseLimit, seconds: number) {
  const random = seeded(9);
  const arrivals: { atMs: number; isolate: number }[] = [];
  ratesPerSecond.forEach((rate, isolate) => {
    const gap = () => (-Math.log(1 - random()) * 1_000) / rate;
    for (let t = gap(); t < seconds * 1_000; t += gap()) arrivals.push({ atMs: Math.floor(t), isolate });
  });
  arrivals.sort((a, b) => a.atMs - b.atMs);
  const isolates = ratesPerSecond.map(() => new LeaseCache());
  const bucketLimit = { capacity: limit.requests, periodMs: limit.periodSeconds * 1_000 };
  let bucket: BucketState | null = null;
  let allowed = 0;
  let objectCalls = 0;
  for (const { atMs, isolate } of arrivals) {
    const cache = isolates[isolate]!;
    let decision = cache.decide('key', limit, atMs);
    if (decision.kind === 'ask') {
      objectCalls++;
      const taken = takeTokens(bucket, bucketLimit, decision.want, atMs);
      bucket = taken.state;
      decision = cache.record('key', taken.granted, taken.retryAfterMs, atMs);
    }
    if (decision.kind === 'allow') allowed++;
  }
  return { requests: arrivals.length, allowed, refused: arrivals.length - allowed, objectCalls };
}

describe('leasing under many isolates', () => {
  const defaultLimit = { requests: 60_000, periodSeconds: 60 };

  it('refuses nothing when 500 isolates together send half the limit', () => {
    // Two minutes: long enough for wasted leases to drain the 60,000-token bucket (a fixed lease of
    // 10 tokens refused ~10% of these requests, and ~18% once the bucket is empty).
    const run = simulate(Array<number>(500).fill(1), defaultLimit, 120);
    expect(run.requests).toBeGreaterThan(55_000);
    expect(run.refused).toBe(0);
  });

  it('refuses nothing when quiet and busy isolates together stay under the limit', () => {
    const run = simulate([...Array<number>(400).fill(1), ...Array<number>(10).fill(50)], defaultLimit, 120);
    expect(run.refused).toBe(0);
  });

  it('lets busy isolates spend leases locally: about one object call per 10 requests', () => {
    const run = simulate(Array<number>(20).fill(40), defaultLimit, 60);
    expect(run.refused).toBe(0);
    expect(run.objectCalls).toBeLessThan(run.requests * 0.15);
  });

  it('over the limit, refuses about the excess and never lets more through than the bucket holds', () => {
    // 500 isolates at 3 requests/s = 1,500/s against 1,000/s (and a burst of 1,000) for a minute.
    const limit = { requests: 1_000, periodSeconds: 1 };
    const run = simulate(Array<number>(500).fill(3), limit, 60);
    const budget = limit.requests + 60 * limit.requests;
    expect(run.allowed).toBeLessThanOrEqual(budget);
    expect(run.allowed).toBeGreaterThan(budget * 0.98);
  });

  it('over the limit with a few busy isolates, lets the limit through with few object calls', () => {
    const run = simulate(Array<number>(4).fill(500), defaultLimit, 120);
    const budget = defaultLimit.requests + 120 * (defaultLimit.requests / defaultLimit.periodSeconds);
    expect(run.allowed).toBeLessThanOrEqual(budget);
    expect(run.allowed).toBeGreaterThan(budget * 0.99);
    expect(run.objectCalls).toBeLessThan(run.requests * 0.1);
  });
});
