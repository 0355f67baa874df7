/**
 * What an assembled trace writes to the D1 index: its `traces` row and the operations it shows.
 *
 * A 100,000-span trace never sits whole in a Durable Object's memory, so the index is gathered by
 * an accumulator that sees the spans one at a time while the trace is streamed to R2, and keeps
 * only distinct values. `write` sends every statement in one D1 batch (one round trip, one
 * transaction). A re-flush (version + 1) updates the row; an older version never overwrites a newer
 * one, so a retried alarm cannot roll the index back.
 */
import { and, gt, lt, sql } from 'drizzle-orm';
import type { DrizzleD1Database } from 'drizzle-orm/d1';
import type { BatchItem } from 'drizzle-orm/batch';
import type { Span, TraceSummary } from '../span/model';
import { nanosToMicros } from '../span/nanos';
import { operations, traces } from './schema';

export type TraceRow = typeof traces.$inferInsert;
export type OperationRow = typeof operations.$inferInsert;

const kindNames = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;
export const spanKindName = (kind: number): string => kindNames[kind] ?? 'unspecified';

export function traceRow(summary: TraceSummary, now: number): TraceRow {
  return {
    traceId: summary.traceId,
    startUs: nanosToMicros(BigInt(summary.startTimeUnixNano)),
    durationUs: nanosToMicros(BigInt(summary.durationNanos)),
    rootService: summary.rootService,
    rootOperation: summary.rootOperation,
    spanCount: summary.spanCount,
    errorCount: summary.errorCount,
    orphanCount: summary.orphanCount,
    services: JSON.stringify(summary.services),
    sampleRate: summary.sampleRate,
    adjustedCount: summary.adjustedCount,
    version: summary.version,
    updatedAt: now,
  };
}

const HOUR_US = 3_600_000_000;
/** D1 allows 100 bound parameters per statement; an operation row has 4. */
const OPERATION_ROWS_PER_STATEMENT = 25;

/** Collects what the index needs from a trace's spans, one span at a time. */
export class TraceIndexAccumulator {
  private readonly ops = new Map<string, { service: string; operation: string; spanKind: string }>();

  add(span: Span): void {
    const spanKind = spanKindName(span.kind);
    const key = `${span.service}\u0000${span.name}\u0000${spanKind}`;
    if (!this.ops.has(key)) this.ops.set(key, { service: span.service, operation: span.name, spanKind });
  }

  addAll(spans: Iterable<Span>): this {
    for (const s of spans) this.add(s);
    return this;
  }

  /** One row per distinct (service, operation, kind) in the trace. */
  operationRows(summary: TraceSummary): OperationRow[] {
    const lastSeenUs = nanosToMicros(BigInt(summary.startTimeUnixNano));
    return [...this.ops.values()].map((o) => ({ ...o, lastSeenUs }));
  }

  statements(db: DrizzleD1Database, summary: TraceSummary, now: number): BatchItem<'sqlite'>[] {
    const row = traceRow(summary, now);
    const { traceId: _id, ...update } = row;
    const out: BatchItem<'sqlite'>[] = [
      db.insert(traces).values(row).onConflictDoUpdate({ target: traces.traceId, set: update, setWhere: lt(traces.version, row.version + 1) }),
    ];
    const ops = this.operationRows(summary);
    for (let i = 0; i < ops.length; i += OPERATION_ROWS_PER_STATEMENT) {
      out.push(
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
    return out;
  }

  async write(db: DrizzleD1Database, summary: TraceSummary, now: number): Promise<void> {
    const [first, ...rest] = this.statements(db, summary, now);
    await db.batch([first!, ...rest]);
  }
}
