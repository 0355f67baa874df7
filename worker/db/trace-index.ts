/**
 * What an assembled trace writes to the D1 index: its `traces` row and the operations it shows.
 * Rows are built by pure functions; `writeTraceIndex` sends them in one D1 batch (one round trip,
 * one transaction). A re-flush (version + 1) updates the row; an older version never overwrites a
 * newer one, so a retried alarm cannot roll the index back.
 */
import { and, gt, lt, sql } from 'drizzle-orm';
import type { DrizzleD1Database } from 'drizzle-orm/d1';
import type { AssembledTrace } from '../span/model';
import { nanosToMicros } from '../span/nanos';
import { operations, traces } from './schema';

export type TraceRow = typeof traces.$inferInsert;
export type OperationRow = typeof operations.$inferInsert;

const kindNames = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;
export const spanKindName = (kind: number): string => kindNames[kind] ?? 'unspecified';

export function traceRow(trace: AssembledTrace, now: number): TraceRow {
  const s = trace.summary;
  return {
    traceId: s.traceId,
    startUs: nanosToMicros(BigInt(s.startTimeUnixNano)),
    durationUs: nanosToMicros(BigInt(s.durationNanos)),
    rootService: s.rootService,
    rootOperation: s.rootOperation,
    spanCount: s.spanCount,
    errorCount: s.errorCount,
    orphanCount: s.orphanCount,
    services: JSON.stringify(s.services),
    sampleRate: s.sampleRate,
    adjustedCount: s.adjustedCount,
    version: s.version,
    updatedAt: now,
  };
}

/** One row per distinct (service, operation, kind) in the trace. */
export function operationRows(trace: AssembledTrace): OperationRow[] {
  const seen = new Map<string, OperationRow>();
  const lastSeenUs = nanosToMicros(BigInt(trace.summary.startTimeUnixNano));
  for (const span of trace.spans) {
    const spanKind = spanKindName(span.kind);
    const key = `${span.service}\u0000${span.name}\u0000${spanKind}`;
    if (!seen.has(key)) seen.set(key, { service: span.service, operation: span.name, spanKind, lastSeenUs });
  }
  return [...seen.values()];
}

const HOUR_US = 3_600_000_000;
/** D1 allows 100 bound parameters per statement; an operation row has 4. */
const OPERATION_ROWS_PER_STATEMENT = 25;

export async function writeTraceIndex(db: DrizzleD1Database, trace: AssembledTrace, now: number): Promise<void> {
  const row = traceRow(trace, now);
  const { traceId: _id, ...update } = row;
  const traceStmt = db
    .insert(traces)
    .values(row)
    .onConflictDoUpdate({ target: traces.traceId, set: update, setWhere: lt(traces.version, row.version + 1) });
  const ops = operationRows(trace);
  const opStmts = [];
  for (let i = 0; i < ops.length; i += OPERATION_ROWS_PER_STATEMENT) {
    opStmts.push(
      db
        .insert(operations)
        .values(ops.slice(i, i + OPERATION_ROWS_PER_STATEMENT))
        .onConflictDoUpdate({
          target: [operations.service, operations.operation, operations.spanKind],
          set: { lastSeenUs: sql`excluded.last_seen_us` },
          setWhere: and(gt(sql`excluded.last_seen_us`, sql`${operations.lastSeenUs} + ${HOUR_US}`)),
        }),
    );
  }
  await db.batch([traceStmt, ...opStmts]);
}
