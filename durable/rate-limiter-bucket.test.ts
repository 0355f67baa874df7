import { describe, expect, it } from 'vitest';
import { takeTokens, type BucketState } from './rate-limiter-bucket';

const limit = { capacity: 10, periodMs: 10_000 }; // 1 token a second

describe('takeTokens', () => {
  it('starts full and grants up to what is asked', () => {
    const r = takeTokens(null, limit, 4, 0);
    expect(r.granted).toBe(4);
    expect(r.state.tokens).toBe(6);
  });
  it('grants what is left when asked for more', () => {
    const r = takeTokens({ tokens: 2.5, updatedAtMs: 0 }, limit, 5, 0);
    expect(r.granted).toBe(2);
    expect(r.state.tokens).toBe(0.5);
  });
  it('says how long until the next token when empty', () => {
    const r = takeTokens({ tokens: 0.25, updatedAtMs: 0 }, limit, 1, 0);
    expect(r.granted).toBe(0);
    expect(r.retryAfterMs).toBe(750);
  });
  it('refills with time, never past capacity', () => {
    let s: BucketState = takeTokens(null, limit, 10, 0).state;
    expect(takeTokens(s, limit, 1, 500).granted).toBe(0);
    s = takeTokens(s, limit, 1, 1_000).state;
    expect(s.tokens).toBe(0);
    expect(takeTokens(s, limit, 100, 1_000_000).granted).toBe(10);
  });
  it('allows exactly capacity requests in a burst', () => {
    let s: BucketState | null = null;
    let granted = 0;
    for (let i = 0; i < 25; i++) {
      const r = takeTokens(s, limit, 1, 0);
      s = r.state;
      granted += r.granted;
    }
    expect(granted).toBe(10);
  });
  it('applies a lowered capacity at once', () => {
    expect(takeTokens({ tokens: 10, updatedAtMs: 0 }, { capacity: 3, periodMs: 1_000 }, 10, 0).granted).toBe(3);
  });
  it('ignores a clock that goes backwards', () => {
    expect(takeTokens({ tokens: 0, updatedAtMs: 5_000 }, limit, 1, 0).granted).toBe(0);
  });
});
