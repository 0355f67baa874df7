import { describe, expect, it } from 'vitest';
import { RowPool } from './row-pool';

describe('RowPool', () => {
  it('keeps a row in its slot, as the same object, while the window scrolls over it', () => {
    let made = 0;
    const pool = new RowPool((k) => ({ k, n: made++ }));
    const a = pool.slots(0, 6, 8);
    expect(a.map((x) => x?.k ?? null)).toEqual([0, 1, 2, 3, 4, 5, null, null]);
    const b = pool.slots(3, 9, 8);
    expect(b.map((x) => x?.k ?? null)).toEqual([8, null, null, 3, 4, 5, 6, 7]);
    for (const k of [3, 4, 5]) expect(b[k]).toBe(a[k]);
    expect(made).toBe(9);
  });
  it('forgets rows that left the window, and grows past the size when the window is larger', () => {
    let made = 0;
    const pool = new RowPool((k) => ({ k, n: made++ }));
    pool.slots(0, 4, 4);
    pool.slots(10, 14, 4);
    pool.slots(0, 4, 4);
    expect(made).toBe(12);
    expect(pool.slots(0, 6, 4)).toHaveLength(6);
  });
});
