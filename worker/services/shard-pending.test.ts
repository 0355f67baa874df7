import { describe, expect, it } from 'vitest';
import { RedAggregate, type MinuteDelta } from './red-aggregate';
import { planFlush } from './shard-flush';
import { CHECKPOINT_MS, ShardPending, type PendingStore, type StoredRow } from './shard-pending';
import { testSpan } from './test-spans';

const M = 60_000;
const T0 = 29_453_760 * M;

/** The shard's table as a plain array, counting the rows written. */
class MemoryStore implements PendingStore {
  rowsStored: StoredRow[] = [];
  writes = 0;
  private nextId = 1;
  insert(minute: number, delta: string): number {
    this.writes++;
    const id = this.nextId++;
    this.rowsStored.push({ id, minute, delta });
    return id;
  }
  update(id: number, delta: string): void {
    this.writes++;
    this.rowsStored.find((r) => r.id === id)!.delta = delta;
  }
  rows(): StoredRow[] {
    return this.rowsStored.map((r) => ({ ...r }));
  }
}

function deltas(n: number, atMs: number, service = 'checkout'): MinuteDelta[] {
  const agg = new RedAggregate();
  for (let i = 0; i < n; i++) agg.addSpan(testSpan({ service }), atMs);
  return agg.toDeltas();
}

const calls = (ds: MinuteDelta[]) => ds.flatMap((d) => d.groups).reduce((n, g) => n + g.calls, 0);

describe('shard pending rows', () => {
  it('sums every request of a minute into one row, written at most once per checkpoint', () => {
    const store = new MemoryStore();
    const p = new ShardPending(store, () => undefined);
    for (let i = 0; i < 50; i++) p.add(deltas(2, T0 + i));
    expect(p.checkpointDelay(T0)).toBe(0);
    expect(p.checkpoint(T0)).toBe(1);
    expect(p.checkpointDelay(T0 + 10)).toBe(CHECKPOINT_MS - 10);
    for (let i = 0; i < 50; i++) p.add(deltas(1, T0 + 100));
    expect(p.checkpoint(T0 + CHECKPOINT_MS)).toBe(1);
    expect(p.checkpoint(T0 + 2 * CHECKPOINT_MS)).toBe(0);
    expect(store.writes).toBe(2);
    expect(store.rowsStored).toHaveLength(1);
    expect(calls([JSON.parse(store.rowsStored[0]!.delta) as MinuteDelta])).toBe(150);
  });

  it('shows what is only in memory yet, and what is stored', () => {
    const p = new ShardPending(new MemoryStore(), () => undefined);
    p.add(deltas(3, T0));
    p.checkpoint(T0);
    p.add(deltas(4, T0 + 1));
    expect(p.dirty).toBe(true);
    expect(calls(p.all(0))).toBe(7);
    expect(p.all(T0 / M + 1)).toEqual([]);
  });

  it('freezes the rows a flush covers: a late delta for the minute starts a new row', () => {
    const store = new MemoryStore();
    const p = new ShardPending(store, () => undefined);
    p.add(deltas(5, T0));
    p.add(deltas(1, T0 + M));
    p.checkpoint(T0 + M);
    const intent = planFlush(store.rows(), T0 + 2 * M)!;
    p.freeze(intent);
    p.add(deltas(2, T0 + 30_000)); // late, for the minute being flushed
    p.checkpoint(T0 + 2 * M);
    const { agg, rows } = p.covered(intent);
    expect(rows).toBe(1);
    expect([...agg.groups.values()].reduce((n, g) => n + g.calls, 0)).toBe(5);
    expect(store.rowsStored.map((r) => r.minute)).toEqual([T0 / M, T0 / M + 1, T0 / M]);
    expect(calls(p.all(0))).toBe(8);
  });

  it('resumes after a restart from what is stored, leaving frozen rows frozen', () => {
    const store = new MemoryStore();
    const before = new ShardPending(store, () => undefined);
    before.add(deltas(5, T0));
    before.add(deltas(2, T0 + M));
    before.checkpoint(T0 + M);
    const intent = planFlush(store.rows(), T0 + 2 * M)!;
    const after = new ShardPending(store, () => intent);
    after.add(deltas(1, T0 + M + 5));
    after.add(deltas(1, T0 + 5));
    after.checkpoint(T0 + 2 * M);
    // minute T0+1 kept its row; minute T0 (frozen) got a new one
    expect(store.rowsStored.map((r) => [r.id, r.minute])).toEqual([
      [1, T0 / M],
      [2, T0 / M + 1],
      [3, T0 / M],
    ]);
    expect(calls([JSON.parse(store.rowsStored[1]!.delta) as MinuteDelta])).toBe(3);
    expect(calls(after.all(0))).toBe(9);
  });
});
