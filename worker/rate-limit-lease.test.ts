import { describe, expect, it } from 'vitest';
import { LeaseCache, leaseSize } from './rate-limit-lease';

describe('leaseSize', () => {
  it('is 10 ms worth of the rate, between 1 and 100 tokens', () => {
    expect(leaseSize({ requests: 60_000, periodSeconds: 60 })).toBe(10);
    expect(leaseSize({ requests: 3, periodSeconds: 3_600 })).toBe(1);
    expect(leaseSize({ requests: 10_000_000, periodSeconds: 1 })).toBe(100);
  });
});

describe('LeaseCache', () => {
  const limit = { requests: 60_000, periodSeconds: 60 };

  it('asks the object first, then spends the lease locally until it is used up', () => {
    const c = new LeaseCache();
    expect(c.decide('k', limit, 0)).toEqual({ kind: 'ask', want: 10 });
    expect(c.record('k', 3, 0, 0)).toEqual({ kind: 'allow' });
    expect(c.decide('k', limit, 1)).toEqual({ kind: 'allow' });
    expect(c.decide('k', limit, 2)).toEqual({ kind: 'allow' });
    expect(c.decide('k', limit, 3)).toEqual({ kind: 'ask', want: 10 });
  });
  it('lets an unspent lease lapse after a second', () => {
    const c = new LeaseCache();
    c.record('k', 10, 0, 0);
    expect(c.decide('k', limit, 1_000)).toEqual({ kind: 'ask', want: 10 });
  });
  it('refuses locally until the Retry-After time once the object refused', () => {
    const c = new LeaseCache();
    expect(c.record('k', 0, 2_500, 0)).toEqual({ kind: 'deny', retryAfterSeconds: 3 });
    expect(c.decide('k', limit, 1_000)).toEqual({ kind: 'deny', retryAfterSeconds: 2 });
    expect(c.decide('k', limit, 2_500)).toEqual({ kind: 'ask', want: 10 });
  });
  it('keeps keys apart', () => {
    const c = new LeaseCache();
    c.record('a', 0, 60_000, 0);
    expect(c.decide('b', limit, 0)).toEqual({ kind: 'ask', want: 10 });
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
