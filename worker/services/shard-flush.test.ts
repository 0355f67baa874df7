import { describe, expect, it } from 'vitest';
import { covers, FLUSH_GRACE_MS, nextFlushAt, openMinute, planFlush } from './shard-flush';
import { SHARD_COUNT, shardOf } from './shard';

const M = 60_000;

describe('shard flush planning', () => {
  it('flushes a minute once it is over and the grace period has passed', () => {
    expect(nextFlushAt(10 * M + 5)).toBe(11 * M + FLUSH_GRACE_MS);
    expect(openMinute(11 * M + FLUSH_GRACE_MS - 1)).toBe(10);
    expect(openMinute(11 * M + FLUSH_GRACE_MS)).toBe(11);
  });

  it('covers every pending row of a closed minute, whatever its id, and none of the open one', () => {
    const rows = [
      { id: 1, minute: 9 },
      { id: 2, minute: 10 },
      { id: 3, minute: 9 },
      { id: 4, minute: 10 },
    ];
    const intent = planFlush(rows, 10 * M + FLUSH_GRACE_MS + 1)!;
    expect(intent).toEqual({ seq: 3, beforeMinute: 10 });
    expect(rows.filter((r) => covers(intent, r)).map((r) => r.id)).toEqual([1, 3]);
    // a late row for minute 9 that arrives while the flush runs is left for the next one
    expect(covers(intent, { id: 5, minute: 9 })).toBe(false);
    expect(planFlush([{ id: 4, minute: 10 }], 10 * M + 30_000)).toBeNull();
  });
});

describe('shards', () => {
  it('spreads services over every shard, the same way everywhere', () => {
    const seen = new Set(Array.from({ length: 200 }, (_, i) => shardOf(`service-${i}`)));
    expect(seen.size).toBe(SHARD_COUNT);
    expect(shardOf('checkout')).toBe(shardOf('checkout'));
  });
});
