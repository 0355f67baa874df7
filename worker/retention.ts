/**
 * The retention cron: deletes traces older than RETENTION_DAYS from R2 and from every D1 table that
 * holds them, in bounded batches, resumable. Each batch reads the next traces below the cutoff in
 * (start_us, trace_id) order, deletes their R2 objects, then in one D1 transaction deletes their
 * rows and moves the cursor (retention_state). A run cut short leaves the cursor before any trace
 * whose rows survive, so the next run deletes them again (R2 deletes are idempotent). Then the
 * operations, and the service registry, metrics and service-map rows, older than the cutoff go
 * too, within the same batch budget.
 */
import { and, asc, eq, gt, lt, or, sql, type SQL } from 'drizzle-orm';
import { drizzle, type DrizzleD1Database } from 'drizzle-orm/d1';
import { SQLiteAsyncDialect } from 'drizzle-orm/sqlite-core';
import { traceKey } from '../durable/trace-assembler';
import { retentionState } from './db/retention-schema';
import { operations, traces } from './db/schema';
import { forgetTracesSql } from './db/trace-index';
import { deleteServicesDataBefore } from './services/retention';
import { PASS_START, planBatch, readRetentionConfig, retentionCutoff, type Cursor } from './retention-plan';

const STATE_ID = 'traces';
const dialect = new SQLiteAsyncDialect();
/** A D1 statement from drizzle SQL (drizzle 0.45's batch cannot take raw SQL with parameters). */
const statement = (db: D1Database, query: SQL | { toSQL(): { sql: string; params: unknown[] } }) => {
  const q = 'toSQL' in query ? query.toSQL() : dialect.sqlToQuery(query);
  return db.prepare(q.sql).bind(...q.params);
};
/** Tables that forgetTracesSql clears itself (it must run their deletes in its own order). */
const CLEARED_BY_INDEX = new Set(['traces', 'indexed_traces']);

export interface RetentionReport {
  cutoffMs: number;
  deletedTraces: number;
  batches: number;
  passDone: boolean;
  deletedOperations: number;
  /** rows of the service registry, RED metrics and service map */
  deletedServiceRows: number;
}

/**
 * Every D1 table with a trace_id column, so that the per-trace rows a later feature adds go too.
 * D1 refuses pragma table functions inside SELECT, so candidates come from the schema text and
 * each is confirmed with PRAGMA table_info.
 */
export async function tablesWithTraceId(db: D1Database): Promise<string[]> {
  const { results } = await db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%trace_id%' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'")
    .all<{ name: string }>();
  const names = results.map((r) => r.name).filter((n) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(n));
  const found: string[] = [];
  for (const name of names) {
    const { results: columns } = await db.prepare(`PRAGMA table_info("${name}")`).all<{ name: string }>();
    if (columns.some((c) => c.name === 'trace_id')) found.push(name);
  }
  return found;
}

async function loadCursor(d: DrizzleD1Database): Promise<Cursor> {
  const row = await d.select().from(retentionState).where(eq(retentionState.id, STATE_ID)).get();
  return row ? { afterStartUs: row.afterStartUs, afterTraceId: row.afterTraceId } : PASS_START;
}

function saveCursor(d: DrizzleD1Database, cursor: Cursor, deleted: number, nowMs: number) {
  return d
    .insert(retentionState)
    .values({ id: STATE_ID, afterStartUs: cursor.afterStartUs, afterTraceId: cursor.afterTraceId, deletedTotal: deleted, updatedAt: nowMs })
    .onConflictDoUpdate({
      target: retentionState.id,
      set: {
        afterStartUs: cursor.afterStartUs,
        afterTraceId: cursor.afterTraceId,
        deletedTotal: sql`${retentionState.deletedTotal} + ${deleted}`,
        updatedAt: nowMs,
      },
    });
}

export async function runRetention(env: Env, nowMs: number): Promise<RetentionReport> {
  const config = readRetentionConfig(env as unknown as Record<string, unknown>);
  const cutoff = retentionCutoff(nowMs, config.retentionDays);
  const d = drizzle(env.DB);
  const tables = (await tablesWithTraceId(env.DB)).filter((t) => !CLEARED_BY_INDEX.has(t));
  let cursor = await loadCursor(d);
  const report: RetentionReport = { cutoffMs: cutoff.ms, deletedTraces: 0, batches: 0, passDone: false, deletedOperations: 0, deletedServiceRows: 0 };

  while (report.batches < config.maxBatches && !report.passDone) {
    const rows = await d
      .select({ traceId: traces.traceId, startUs: traces.startUs, updatedAt: traces.updatedAt })
      .from(traces)
      .where(
        and(
          lt(traces.startUs, cutoff.us),
          or(gt(traces.startUs, cursor.afterStartUs), and(eq(traces.startUs, cursor.afterStartUs), gt(traces.traceId, cursor.afterTraceId))),
        ),
      )
      .orderBy(asc(traces.startUs), asc(traces.traceId))
      .limit(config.batchSize);
    const plan = planBatch(rows, config.batchSize, cutoff);
    report.batches++;
    report.passDone = plan.passDone;
    if (plan.deleteIds.length) await env.TRACES.delete(plan.deleteIds.map(traceKey));
    const ids = JSON.stringify(plan.deleteIds);
    const deletes: SQL[] = plan.deleteIds.length
      ? [...tables.map((t) => sql`DELETE FROM ${sql.identifier(t)} WHERE trace_id IN (SELECT value FROM json_each(${ids}))`), ...forgetTracesSql(plan.deleteIds)]
      : [];
    // One D1 batch is one transaction: the rows go and the cursor moves together.
    await env.DB.batch([...deletes.map((q) => statement(env.DB, q)), statement(env.DB, saveCursor(d, plan.next, plan.deleteIds.length, nowMs))]);
    report.deletedTraces += plan.deleteIds.length;
    cursor = plan.next;
  }

  const ops = await d.run(
    sql`DELETE FROM ${operations} WHERE rowid IN (SELECT rowid FROM ${operations} WHERE ${operations.lastSeenUs} < ${cutoff.us} LIMIT ${config.batchSize * config.maxBatches})`,
  );
  report.deletedOperations = ops.meta.changes ?? 0;
  for (let i = 0; i < config.maxBatches; i++) {
    const deleted = await deleteServicesDataBefore(env.DB, cutoff.ms, config.batchSize);
    report.deletedServiceRows += deleted;
    if (deleted < config.batchSize) break;
  }
  return report;
}
