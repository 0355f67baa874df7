import { describe, expect, it } from 'vitest';
import { inOrder } from './search-response';

describe('inOrder', () => {
  it('yields results in input order while at most `concurrency` tasks run', async () => {
    let running = 0;
    let peak = 0;
    const task = async (n: number) => {
      running++;
      peak = Math.max(peak, running);
      // later items finish first: order must still be the input's
      await new Promise((r) => setTimeout(r, (10 - n) * 2));
      running--;
      return n * 10;
    };
    const out: number[] = [];
    for await (const v of inOrder([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 3, task)) out.push(v);
    expect(out).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(peak).toBe(3);
  });

  it('surfaces a failure when its turn comes, after the results before it', async () => {
    const out: number[] = [];
    const run = async () => {
      for await (const v of inOrder([1, 2, 3], 3, async (n) => {
        if (n === 2) throw new Error('two failed');
        return n;
      }))
        out.push(v);
    };
    await expect(run()).rejects.toThrow('two failed');
    expect(out).toEqual([1]);
  });
});
