/**
 * The D1 schema: the one home of every table the Worker, the Durable Objects and the cron use.
 * `npm run db:generate` turns it into SQL under migrations/ (drizzle-kit 0.31 writes the flat
 * NNNN_name.sql files that wrangler and readD1Migrations read).
 *
 * D1 bills every row and every index entry written, so the index stays lean: times are stored in
 * microseconds (a safe JS integer, Jaeger's unit); the exact nanoseconds live in the R2 object.
 */
import { index, integer, primaryKey, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** One row per trace: the summary search lists (and the Jaeger API's trace-level facts). */
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
  // Newest-first listing without a filter, and retention by age. Searches by service, operation
  // or attribute go through `trace_terms` below.
  (t) => [index('traces_start').on(t.startUs)],
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

/**
 * The search vocabulary: every term a trace can be found by (`worker/query/search-terms.ts`
 * spells them: a service, a service's operation, an indexed attribute's value), numbered once.
 * Postings then carry a small integer instead of the text, and `/api/tags/values` lists a key's
 * values from here by prefix.
 */
export const searchTerms = sqliteTable('search_terms', {
  id: integer('id').primaryKey(),
  term: text('term').notNull().unique(),
});

/**
 * One row per indexed trace: a small integer `seq` for postings to point at (16 bytes of trace id
 * in every posting would double the index), the facts a posting scan filters on (duration), and
 * the ids of the trace's terms, so a re-flush or retention deletes exactly its postings.
 */
export const indexedTraces = sqliteTable('indexed_traces', {
  seq: integer('seq').primaryKey(),
  traceId: text('trace_id').notNull().unique(),
  startUs: integer('start_us').notNull(),
  durationUs: integer('duration_us').notNull(),
  version: integer('version').notNull(),
  /** JSON array of search_terms ids */
  termIds: text('term_ids').notNull(),
});

/**
 * The postings: (term, trace start, trace) for every term of every trace. Its key is the search
 * order: one term's traces, newest first, are one index range, and "does this trace also have term
 * T" is one key lookup, because every posting of a trace carries the same start.
 * A WITHOUT ROWID table (migrations/0004, hand-written: drizzle-kit cannot declare one), so a
 * posting is one b-tree entry and one D1 row written. Keep it so if this table ever changes.
 */
export const traceTerms = sqliteTable(
  'trace_terms',
  {
    termId: integer('term_id').notNull(),
    startUs: integer('start_us').notNull(),
    traceSeq: integer('trace_seq').notNull(),
  },
  (t) => [primaryKey({ columns: [t.termId, t.startUs, t.traceSeq] })],
);
