import { describe, expect, it } from 'vitest';
import { TtlCache } from './ttl-cache';

describe('TtlCache', () => {
  it('returns a value until it expires', () => {
    const c = new TtlCache<number>(10);
    c.set('a', 1, 1_000, 0);
    expect(c.get('a', 999)).toBe(1);
    expect(c.get('a', 1_000)).toBeUndefined();
    expect(c.size).toBe(0);
  });
  it('stores nothing with a zero TTL (caching switched off)', () => {
    const c = new TtlCache<number>(10);
    c.set('a', 1, 0, 0);
    expect(c.get('a', 0)).toBeUndefined();
  });
  it('drops the oldest entries past its size bound', () => {
    const c = new TtlCache<number>(2);
    c.set('a', 1, 1_000, 0);
    c.set('b', 2, 1_000, 0);
    c.set('c', 3, 1_000, 0);
    expect(c.get('a', 1)).toBeUndefined();
    expect(c.get('b', 1)).toBe(2);
    expect(c.get('c', 1)).toBe(3);
  });
});
