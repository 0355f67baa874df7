/**
 * What a ServiceMetrics shard holds between flushes, and what it costs to keep it durable. DO
 * storage bills every row written, so the edges' deltas are not stored one row per request: they
 * are summed in memory into one row per minute, and the changed rows are written at most once per
 * CHECKPOINT_MS. A request is acknowledged only after the checkpoint that stored its delta (the
 * shard awaits `durable()`), so what an edge was told is stored never lives only in memory, while a
 * shard writes about one row per second per minute it is receiving, however many edges call it.
 *
 * A flush "freezes" the rows it covers (see shard-flush.ts): a delta that arrives later for the
 * same minute starts a new row, so the flush writes and deletes exactly what it announced.
 */
import { RedAggregate, type MinuteDelta } from './red-aggregate';
import { covers, type FlushIntent } from './shard-flush';

/** At most one checkpoint per second: the longest an edge waits for its acknowledgement. */
export const CHECKPOINT_MS = 1000;

export interface StoredRow {
  id: number;
  minute: number;
  delta: string;
}

/** The shard's SQLite table, as the pure logic needs it (the DO adapts SqlStorage to it). */
export interface PendingStore {
  /** a new row; returns its id (ids only grow) */
  insert(minute: number, delta: string): number;
  update(id: number, delta: string): void;
  rows(): StoredRow[];
}

interface LiveRow {
  id: number | null;
  minute: number;
  agg: RedAggregate;
  dirty: boolean;
}

export class ShardPending {
  /** minute → the row receiving that minute's deltas */
  private live: Map<number, LiveRow> | null = null;
  private lastCheckpointAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly store: PendingStore,
    /** the stored unfinished flush, if any: its rows are frozen */
    private readonly frozen: () => FlushIntent | undefined,
  ) {}

  private liveRows(): Map<number, LiveRow> {
    if (this.live === null) {
      // after a restart, the newest unfrozen row of each minute keeps receiving deltas
      const intent = this.frozen();
      const live = new Map<number, LiveRow>();
      for (const r of this.store.rows()) {
        if (intent && covers(intent, r)) continue;
        const known = live.get(r.minute);
        if (known && known.id! > r.id) continue;
        const agg = new RedAggregate();
        agg.addDelta(JSON.parse(r.delta) as MinuteDelta);
        live.set(r.minute, { id: r.id, minute: r.minute, agg, dirty: false });
      }
      this.live = live;
    }
    return this.live;
  }

  add(deltas: readonly MinuteDelta[]): void {
    const live = this.liveRows();
    for (const d of deltas) {
      let row = live.get(d.minute);
      if (!row) live.set(d.minute, (row = { id: null, minute: d.minute, agg: new RedAggregate(), dirty: false }));
      row.agg.addDelta(d);
      row.dirty = true;
    }
  }

  /** ms until the next checkpoint may run (0: now). */
  checkpointDelay(nowMs: number): number {
    return Math.max(0, this.lastCheckpointAt + CHECKPOINT_MS - nowMs);
  }

  get dirty(): boolean {
    return this.live !== null && [...this.live.values()].some((r) => r.dirty);
  }

  /** Writes every changed row; returns how many rows it wrote. */
  checkpoint(nowMs: number): number {
    this.lastCheckpointAt = nowMs;
    let written = 0;
    for (const row of this.live?.values() ?? []) {
      if (!row.dirty) continue;
      // every group of a live row is of its minute; instances go with it whatever minute they were last seen in
      const parts = row.agg.toDeltas();
      const json = JSON.stringify({ minute: row.minute, groups: parts.flatMap((d) => d.groups), instances: parts.flatMap((d) => d.instances) });
      if (row.id === null) row.id = this.store.insert(row.minute, json);
      else this.store.update(row.id, json);
      row.dirty = false;
      written++;
    }
    return written;
  }

  /** After a checkpoint: stop adding to the rows the intent covers. */
  freeze(intent: FlushIntent): void {
    for (const [minute, row] of this.liveRows()) if (row.id !== null && covers(intent, { id: row.id, minute })) this.live!.delete(minute);
  }

  /** The stored rows the intent covers, summed, and how many there were. */
  covered(intent: FlushIntent): { agg: RedAggregate; rows: number } {
    const agg = new RedAggregate();
    let rows = 0;
    for (const r of this.store.rows())
      if (covers(intent, r)) {
        agg.addDelta(JSON.parse(r.delta) as MinuteDelta);
        rows++;
      }
    return { agg, rows };
  }

  /** Everything not yet flushed, from `fromMinute` on: stored rows, with live rows as in memory. */
  all(fromMinute: number): MinuteDelta[] {
    const live = this.liveRows();
    const liveIds = new Set([...live.values()].map((r) => r.id));
    const agg = new RedAggregate();
    for (const r of this.store.rows()) if (r.minute >= fromMinute && !liveIds.has(r.id)) agg.addDelta(JSON.parse(r.delta) as MinuteDelta);
    for (const r of live.values()) if (r.minute >= fromMinute) agg.merge(r.agg);
    return agg.toDeltas();
  }
}
