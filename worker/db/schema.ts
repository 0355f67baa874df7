/**
 * The D1 schema: the one home of every table the Worker, the Durable Objects and the cron use.
 * `npm run db:generate` turns it into SQL under migrations/ (drizzle-kit 0.31 writes the flat
 * NNNN_name.sql files that wrangler and readD1Migrations read).
 *
 * D1 bills every row and every index entry written, so the index stays lean: times are stored in
 * microseconds (a safe JS integer, Jaeger's unit); the exact nanoseconds live in the R2 object.
 */
import { index, integer, primaryKey, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** One row per trace: what search lists and what the Jaeger API filters on. */
export const traces = sqliteTable(
  'traces',
  {
    traceId: text('trace_id').primaryKey(),
    startUs: integer('start_us').notNull(),
    durationUs: integer('duration_us').notNull(),
    rootService: text('root_service').notNull(),
    rootOperation: text('root_operation').notNull(),
    spanCount: integer('span_count').notNull(),
    errorCount: integer('error_count').notNull(),
    orphanCount: integer('orphan_count').notNull().default(0),
    /** JSON object: span count per service */
    services: text('services').notNull(),
    sampleRate: real('sample_rate').notNull(),
    adjustedCount: real('adjusted_count').notNull(),
    version: integer('version').notNull(),
    /** ms since epoch of the last write */
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('traces_start').on(t.startUs), index('traces_root_service_start').on(t.rootService, t.startUs)],
);

/**
 * Every (service, operation, span kind) seen in an assembled trace: feeds `/api/services` and
 * `/api/operations`. Written with an upsert that only touches the row when it is an hour stale, so
 * a busy operation costs a row write an hour, not one per trace.
 */
export const operations = sqliteTable(
  'operations',
  {
    service: text('service').notNull(),
    operation: text('operation').notNull(),
    spanKind: text('span_kind').notNull(),
    lastSeenUs: integer('last_seen_us').notNull(),
  },
  (t) => [primaryKey({ columns: [t.service, t.operation, t.spanKind] })],
);
