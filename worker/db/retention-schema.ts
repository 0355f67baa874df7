/**
 * The retention cron's progress in D1: one row that says how far the current pass over old traces
 * has got, so that a run cut short (CPU limit, a failed subrequest) resumes where it stopped.
 */
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const retentionState = sqliteTable('retention_state', {
  /** always 'traces': one pass at a time */
  id: text('id').primaryKey(),
  /** keyset cursor: the (start_us, trace_id) of the last trace the pass looked at */
  afterStartUs: integer('after_start_us').notNull(),
  afterTraceId: text('after_trace_id').notNull(),
  /** traces deleted since the state row was created */
  deletedTotal: integer('deleted_total').notNull().default(0),
  /** ms since epoch of the last run */
  updatedAt: integer('updated_at').notNull(),
});
