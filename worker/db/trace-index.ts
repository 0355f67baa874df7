/**
 * What an assembled trace writes to the D1 index: its `traces` row, the operations it shows, and
 * its search postings (every service, service+operation and indexed attribute value it has, and the
 * duration thresholds it reaches; see worker/query/search-terms.ts).
 *
 * A 100,000-span trace never sits whole in a Durable Object's memory, so the index is gathered by
 * an accumulator that sees the spans one at a time while the trace is streamed to R2, and keeps
 * only distinct values. `write` sends every statement in one D1 batch (one round trip, one
 * transaction). A re-flush (version + 1) updates the rows; an older version never overwrites a
 * newer one, so a retried alarm cannot roll the index back.
 *
 * Lists (the trace's terms, its operations) travel as one JSON parameter each and are expanded
 * with json_each inside D1: a trace has hundreds of them and D1 binds at most 100 parameters per
 * statement.
 */
import { sql, type SQL } from 'drizzle-orm';
import { SQLiteAsyncDialect } from 'drizzle-orm/sqlite-core';
import type { KeyValue, Span, TraceSummary } from '../span/model';
import { StatusCode } from '../span/model';
import { nanosToMicros } from '../span/nanos';
import { DEFAULT_INDEXED_TAG_KEYS } from '../query/search-config';
import {
  durationMarkerRange,
  durationMarkerTerm,
  durationTerms,
  indexedValue,
  operationTerm,
  serviceTerm,
  tagTerm,
} from '../query/search-terms';
import { operations, traces } from './schema';

export type TraceRow = typeof traces.$inferInsert;
export type OperationRow = typeof operations.$inferInsert;

/**
 * The part of a D1 binding `write` uses (prepared statements and one batch), so the same code also
 * writes a local SQLite file (worker/query/search-local-db.ts). Statements are rendered to SQL
 * text here and bound directly: drizzle cannot put raw SQL with parameters into a D1 batch.
 */
export interface BatchClient {
  prepare(query: string): { bind(...values: unknown[]): unknown };
  batch(statements: unknown[]): Promise<unknown>;
}

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

/**
 * Bounds on one trace's index rows, so a pathological trace (a batch job with a distinct url.path or
 * operation name per span) cannot write thousands of them. Past them a value is simply not
 * searchable in that trace; the first ones seen are kept. Services are not capped: a trace has a
 * handful, and each must stay findable however late its spans come in a huge trace.
 */
export const MAX_VALUES_PER_KEY = 50;
export const MAX_OPERATION_TERMS = 500;

/** Collects what the index needs from a trace's spans, one span at a time. */
export class TraceIndexAccumulator {
  private readonly ops = new Map<string, { service: string; operation: string; spanKind: string }>();
  private readonly serviceTerms = new Set<string>();
  private readonly operationTerms = new Set<string>();
  private readonly tagTerms = new Set<string>();
  private readonly valuesPerKey = new Map<string, number>();
  private readonly keys: ReadonlySet<string>;

  /** `indexedTagKeys`: the attribute keys to index (worker/query/search-config.ts), defaults if omitted. */
  constructor(opts: { indexedTagKeys?: readonly string[] } = {}) {
    this.keys = new Set(opts.indexedTagKeys ?? DEFAULT_INDEXED_TAG_KEYS);
  }

  add(span: Span): void {
    const service = serviceTerm(span.service);
    // A service first seen past the cap still brings its first operation (term and row), so that it
    // is listed by /api/services and the operation the search form offers for it finds this trace.
    const newService = !this.serviceTerms.has(service);
    this.serviceTerms.add(service);
    if (newService || this.operationTerms.size < MAX_OPERATION_TERMS) this.operationTerms.add(operationTerm(span.service, span.name));
    const spanKind = spanKindName(span.kind);
    const key = `${span.service}\u0000${span.name}\u0000${spanKind}`;
    if (!this.ops.has(key) && (newService || this.ops.size < MAX_OPERATION_TERMS)) this.ops.set(key, { service: span.service, operation: span.name, spanKind });
    this.addTags(span.attributes);
    this.addTags(span.resource.attributes);
    if (span.status.code === StatusCode.ERROR) this.addTag('error', 'true');
  }

  addAll(spans: Iterable<Span>): this {
    for (const s of spans) this.add(s);
    return this;
  }

  private addTags(attrs: readonly KeyValue[]): void {
    for (const a of attrs) {
      if (!this.keys.has(a.key)) continue;
      const v = indexedValue(a.value);
      if (v !== null) this.addTag(a.key, v);
    }
  }

  private addTag(key: string, value: string): void {
    const term = tagTerm(key, value);
    if (this.tagTerms.has(term)) return;
    const n = this.valuesPerKey.get(key) ?? 0;
    if (n >= MAX_VALUES_PER_KEY) return;
    this.valuesPerKey.set(key, n + 1);
    this.tagTerms.add(term);
  }

  /** Every search term of the trace, services and operations first. */
  terms(): string[] {
    return [...this.serviceTerms, ...this.operationTerms, ...this.tagTerms];
  }

  /** One row per distinct (service, operation, kind) in the trace. */
  operationRows(summary: TraceSummary): OperationRow[] {
    const lastSeenUs = nanosToMicros(BigInt(summary.startTimeUnixNano));
    return [...this.ops.values()].map((o) => ({ ...o, lastSeenUs }));
  }

  /** Every statement of the trace's index write, in order (`now` in ms). */
  sql(summary: TraceSummary, now: number): SQL[] {
    const row = traceRow(summary, now);
    // The duration is the summary's, known only at flush: a re-flush that lengthens the trace adds terms.
    const terms = [...this.terms(), ...durationTerms(row.durationUs)];
    return [
      traceUpsertSql(row),
      operationsUpsertSql(this.operationRows(summary)),
      durationMarkerSql(now),
      ...postingsSql({ traceId: row.traceId, startUs: row.startUs, durationUs: row.durationUs, version: row.version, terms }),
    ];
  }

  /** One batch: one round trip and one transaction (`db` is a drizzle D1 database or the like). */
  async write(db: { $client: BatchClient }, summary: TraceSummary, now: number): Promise<void> {
    await runBatch(db.$client, this.sql(summary, now));
  }
}

const dialect = new SQLiteAsyncDialect();

/** Renders and binds the statements, then runs them as one batch. */
export async function runBatch(client: BatchClient, statements: readonly SQL[]): Promise<void> {
  await client.batch(
    statements.map((s) => {
      const q = dialect.sqlToQuery(s);
      return client.prepare(q.sql).bind(...q.params);
    }),
  );
}

/** The `traces` row; a re-flush replaces it, an older version does not (a retried alarm). */
export function traceUpsertSql(r: TraceRow): SQL {
  return sql`INSERT INTO ${traces} (trace_id, start_us, duration_us, root_service, root_operation, span_count, error_count,
      orphan_count, services, sample_rate, adjusted_count, version, updated_at)
    VALUES (${r.traceId}, ${r.startUs}, ${r.durationUs}, ${r.rootService}, ${r.rootOperation}, ${r.spanCount}, ${r.errorCount},
      ${r.orphanCount ?? 0}, ${r.services}, ${r.sampleRate}, ${r.adjustedCount}, ${r.version}, ${r.updatedAt})
    ON CONFLICT (trace_id) DO UPDATE SET start_us = excluded.start_us, duration_us = excluded.duration_us,
      root_service = excluded.root_service, root_operation = excluded.root_operation, span_count = excluded.span_count,
      error_count = excluded.error_count, orphan_count = excluded.orphan_count, services = excluded.services,
      sample_rate = excluded.sample_rate, adjusted_count = excluded.adjusted_count, version = excluded.version,
      updated_at = excluded.updated_at
    WHERE excluded.version >= traces.version`;
}

/**
 * The trace's (service, operation, kind) rows, all in one statement (one JSON parameter): a row is
 * only rewritten when it is an hour stale, so a busy operation costs a write an hour.
 */
export function operationsUpsertSql(rows: readonly OperationRow[]): SQL {
  const json = JSON.stringify(rows.map((r) => [r.service, r.operation, r.spanKind, r.lastSeenUs]));
  return sql`INSERT INTO ${operations} (service, operation, span_kind, last_seen_us)
    SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each(${json}) WHERE true
    ON CONFLICT (service, operation, span_kind) DO UPDATE SET last_seen_us = excluded.last_seen_us
    WHERE excluded.last_seen_us > operations.last_seen_us + ${HOUR_US}`;
}

/**
 * Writes the duration-terms marker (worker/query/search-terms.ts) unless it exists: 0 when no trace
 * is indexed yet, so a fresh index searches by duration terms at once, else `nowMs`. It runs before
 * the trace's postings in the same batch; once written it costs one index lookup per flush.
 */
export function durationMarkerSql(nowMs: number): SQL {
  const { from, to } = durationMarkerRange;
  return sql`INSERT OR IGNORE INTO search_terms (term)
    SELECT CASE WHEN EXISTS (SELECT 1 FROM indexed_traces) THEN ${durationMarkerTerm(nowMs * 1000)} ELSE ${durationMarkerTerm(0)} END
    WHERE NOT EXISTS (SELECT 1 FROM search_terms WHERE term >= ${from} AND term < ${to})`;
}

export interface PostingsInput {
  traceId: string;
  startUs: number;
  durationUs: number;
  version: number;
  terms: readonly string[];
}

/**
 * The statements that make a trace's postings match `terms`, in order:
 *  1. add new terms to the vocabulary;
 *  2. delete the postings of an older version that are stale: all of them when the trace's start
 *     moved (a late span started earlier), else those of terms it no longer has;
 *  3. upsert the trace's `indexed_traces` row (only from an older version);
 *  4. insert its postings (existing ones are left alone, so a re-flush writes only what is new).
 * Steps 2 to 4 do nothing when a newer version is already indexed.
 */
export function postingsSql(t: PostingsInput): SQL[] {
  const terms = JSON.stringify(t.terms);
  const newIds = sql`SELECT s.id FROM json_each(${terms}) n JOIN search_terms s ON s.term = n.value`;
  return [
    sql`INSERT OR IGNORE INTO search_terms (term) SELECT value FROM json_each(${terms})`,
    sql`DELETE FROM trace_terms WHERE (term_id, start_us, trace_seq) IN (
      SELECT j.value, x.start_us, x.seq FROM indexed_traces x, json_each(x.term_ids) j
      WHERE x.trace_id = ${t.traceId} AND x.version < ${t.version}
        AND (x.start_us <> ${t.startUs} OR j.value NOT IN (${newIds})))`,
    // `WHERE true`: an INSERT ... SELECT with a join needs it before ON CONFLICT (SQLite's parser).
    sql`INSERT INTO indexed_traces (trace_id, start_us, duration_us, version, term_ids)
      SELECT ${t.traceId}, ${t.startUs}, ${t.durationUs}, ${t.version}, (SELECT json_group_array(id) FROM (${newIds})) WHERE true
      ON CONFLICT (trace_id) DO UPDATE SET start_us = excluded.start_us, duration_us = excluded.duration_us,
        version = excluded.version, term_ids = excluded.term_ids
      WHERE excluded.version > indexed_traces.version`,
    sql`INSERT OR IGNORE INTO trace_terms (term_id, start_us, trace_seq)
      SELECT j.value, x.start_us, x.seq FROM indexed_traces x, json_each(x.term_ids) j
      WHERE x.trace_id = ${t.traceId} AND x.version = ${t.version}`,
  ];
}

/**
 * Removes traces from the index (for retention): their postings, the vocabulary terms no other
 * trace uses any more, their `indexed_traces` rows and their `traces` rows. Run the statements in
 * one batch, in order; every step is an index lookup per trace, never a scan.
 */
export function forgetTracesSql(traceIds: readonly string[]): SQL[] {
  const ids = JSON.stringify(traceIds);
  const gone = sql`SELECT x.seq, x.start_us, x.term_ids FROM json_each(${ids}) i JOIN indexed_traces x ON x.trace_id = i.value`;
  return [
    sql`DELETE FROM trace_terms WHERE (term_id, start_us, trace_seq) IN (
      SELECT j.value, g.start_us, g.seq FROM (${gone}) g, json_each(g.term_ids) j)`,
    sql`DELETE FROM search_terms WHERE id IN (SELECT j.value FROM (${gone}) g, json_each(g.term_ids) j)
      AND NOT EXISTS (SELECT 1 FROM trace_terms p WHERE p.term_id = search_terms.id)`,
    sql`DELETE FROM indexed_traces WHERE trace_id IN (SELECT value FROM json_each(${ids}))`,
    sql`DELETE FROM traces WHERE trace_id IN (SELECT value FROM json_each(${ids}))`,
  ];
}
