import { describe, expect, it } from 'vitest';
import { mapSettled } from './concurrency';

describe('mapSettled', () => {
  it('never runs more than the limit at once and keeps input order', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapSettled([5, 1, 4, 2, 3], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, n));
      running--;
      return n * 10;
    });
    expect(peak).toBe(2);
    expect(out.map((r) => (r.status === 'fulfilled' ? r.value : null))).toEqual([50, 10, 40, 20, 30]);
  });

  it('a failing task is reported and the others still run', async () => {
    const out = await mapSettled([1, 2, 3], 3, async (n) => {
      if (n === 2) throw new Error('boom');
      return n;
    });
    expect(out.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});
