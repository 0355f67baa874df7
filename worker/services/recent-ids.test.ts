import { describe, expect, it } from 'vitest';
import { RecentIds } from './recent-ids';

describe('RecentIds', () => {
  it('knows an id it took, until the time-to-live has passed', () => {
    const ids = new RecentIds(1_000, 10);
    ids.remember('a', 0);
    expect(ids.has('a', 1_000)).toBe(true);
    expect(ids.has('a', 1_001)).toBe(false);
    expect(ids.has('b', 0)).toBe(false);
  });

  it('forgets the expired and, past the cap, the oldest', () => {
    const ids = new RecentIds(1_000, 3);
    ids.remember('a', 0);
    ids.remember('b', 10);
    ids.remember('c', 20);
    ids.remember('d', 30);
    expect(['a', 'b', 'c', 'd'].filter((k) => ids.has(k, 30))).toEqual(['b', 'c', 'd']);
    ids.remember('e', 1_015);
    // a (gone), b (expired at 1,015) dropped from the front; c, d, e kept
    expect(ids.size).toBe(3);
    expect(['c', 'd', 'e'].every((k) => ids.has(k, 1_015))).toBe(true);
  });
});
