/**
 * When and what a ServiceMetrics shard flushes to D1. The shard stores each incoming request as one
 * pending row per minute it touches; once a minute is over (plus a grace period for the edges'
 * last windows) its rows are summed and written to D1 as one row per group, then deleted.
 *
 * A flush is announced before it is written (the "intent": the last pending-row id it covers and
 * the minute it stops before), so a flush retried after a crash covers exactly the same rows and
 * writes the same D1 keys again, which INSERT OR IGNORE turns into a no-op. The intent's seq also
 * tells readers which D1 rows they may already have counted from the pending rows.
 */
import { MINUTE_MS } from './red-aggregate';

/** Time after a minute ends before it is flushed: edges send a window within a few seconds. */
export const FLUSH_GRACE_MS = 10_000;

export interface FlushIntent {
  /** highest pending-row id included; also the `seq` of the D1 rows the flush writes */
  seq: number;
  /** rows of minutes before this one are included */
  beforeMinute: number;
}

export interface PendingRef {
  id: number;
  minute: number;
}

/** The next alarm: the end of the current minute plus the grace period. */
export function nextFlushAt(nowMs: number): number {
  return (Math.floor(nowMs / MINUTE_MS) + 1) * MINUTE_MS + FLUSH_GRACE_MS;
}

/** The minute that is still open for flushing at `nowMs` (its data may still arrive). */
export function openMinute(nowMs: number): number {
  return Math.floor((nowMs - FLUSH_GRACE_MS) / MINUTE_MS);
}

/** A new intent covering every pending row of a closed minute, or null when there is none. */
export function planFlush(rows: readonly PendingRef[], nowMs: number): FlushIntent | null {
  const beforeMinute = openMinute(nowMs);
  let seq = -1;
  for (const r of rows) if (r.minute < beforeMinute && r.id > seq) seq = r.id;
  return seq < 0 ? null : { seq, beforeMinute };
}

export const covers = (intent: FlushIntent, row: PendingRef): boolean => row.id <= intent.seq && row.minute < intent.beforeMinute;
