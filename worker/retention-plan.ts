/**
 * The pure side of the retention cron: its config, the cutoff, and how the keyset cursor moves.
 *
 * A trace is deleted once both its start and its last write are older than RETENTION_DAYS: by
 * start, as people expect, but never a trace written a moment ago by a client whose clock is a
 * month behind. The pass walks `traces` in (start_us, trace_id) order below the cutoff start, so a
 * trace kept for its recent write is stepped over, not read again by every batch.
 */
import { numberVar } from './config';

export interface RetentionConfig {
  retentionDays: number;
  /** traces per batch: one D1 read, one R2 bulk delete (at most 1,000 keys), one D1 write batch */
  batchSize: number;
  /** batches per cron run, which bounds a run's subrequests and time */
  maxBatches: number;
}

export const defaultRetention = { retentionDays: 30, batchSize: 500, maxBatches: 40 } as const;

export function readRetentionConfig(env: Record<string, unknown>): RetentionConfig {
  return {
    retentionDays: numberVar(env, 'RETENTION_DAYS', defaultRetention.retentionDays, { min: 1, max: 3650, integer: true }),
    batchSize: numberVar(env, 'RETENTION_BATCH_SIZE', defaultRetention.batchSize, { min: 1, max: 1000, integer: true }),
    maxBatches: numberVar(env, 'RETENTION_MAX_BATCHES', defaultRetention.maxBatches, { min: 1, max: 1000, integer: true }),
  };
}

export interface Cutoff {
  /** ms since epoch: rows written before it are old */
  ms: number;
  /** the same instant in µs, the unit of `traces.start_us` */
  us: number;
}

export function retentionCutoff(nowMs: number, retentionDays: number): Cutoff {
  const ms = nowMs - retentionDays * 86_400_000;
  return { ms, us: ms * 1_000 };
}

/** Where a pass stands: after this (start_us, trace_id); the start of a pass is below every row. */
export interface Cursor {
  afterStartUs: number;
  afterTraceId: string;
}

export const PASS_START: Cursor = { afterStartUs: Number.MIN_SAFE_INTEGER, afterTraceId: '' };

export interface CandidateRow {
  traceId: string;
  startUs: number;
  updatedAt: number;
}

export interface BatchPlan {
  /** the traces to delete now */
  deleteIds: string[];
  /** where the next batch starts */
  next: Cursor;
  /** true when the scan reached the cutoff: the pass is over and the next run starts afresh */
  passDone: boolean;
}

/** Plans one batch from the rows the scan returned (in cursor order, at most `batchSize`). */
export function planBatch(rows: readonly CandidateRow[], batchSize: number, cutoff: Cutoff): BatchPlan {
  const deleteIds = rows.filter((r) => r.startUs < cutoff.us && r.updatedAt < cutoff.ms).map((r) => r.traceId);
  const last = rows[rows.length - 1];
  const passDone = rows.length < batchSize;
  return { deleteIds, next: passDone || !last ? PASS_START : { afterStartUs: last.startUs, afterTraceId: last.traceId }, passDone };
}
