/**
 * The SQL of a search, built from a SearchQuery (pure: drizzle `sql` fragments, run by the caller).
 *
 * A query with a service, operation or tag walks the postings (`trace_terms`): one term drives,
 * newest first along its index range inside the window, and every other term is one key lookup
 * (its posting has the same start and trace). The driver should be the rarest term, so a query with
 * several terms first counts each one's postings in the window, capped (`termCountsSql`). A
 * `minDuration` of 100 ms or more brings a duration term (the largest threshold at or below it),
 * which may drive but is never probed: the exact duration is checked on every row anyway. A query
 * with no term walks `traces` by start. Either way the page is `limit` rows plus one that says
 * whether there is a next page, and nothing is sorted: the index order is the result order.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { SearchQuery } from './search-query';
import { DURATION_MARKER_MARGIN_US, DURATION_MARKER_PREFIX, durationMarkerRange, minDurationTerm, operationTerm, serviceTerm, tagTerm } from './search-terms';

/** The terms a query needs, the operation's term standing in for its service's (it implies it). */
export function queryTerms(q: SearchQuery): string[] {
  const terms: string[] = [];
  if (q.service !== undefined) terms.push(q.operation !== undefined ? operationTerm(q.service, q.operation) : serviceTerm(q.service));
  for (const t of q.tags) terms.push(tagTerm(t.key, t.value));
  return [...new Set(terms)];
}

/** The duration term `minDuration` could drive by, or null (see search-terms.ts). */
export const durationQueryTerm = (q: Pick<SearchQuery, 'minDurationUs'>): string | null => minDurationTerm(q.minDurationUs);

/**
 * Whether every trace the window can hold was indexed with its duration terms: the window starts a
 * margin after the marker (`markerUs`, null when no index write has written duration terms yet).
 */
export function durationTermsCover(q: Pick<SearchQuery, 'startUs'>, markerUs: number | null): boolean {
  return markerUs !== null && q.startUs >= markerUs + DURATION_MARKER_MARGIN_US;
}

/** Postings counted per term before the count stops: enough to tell a rare term from a common one. */
export const COUNT_CAP = 10_000;

const termId = (term: string): SQL => sql`(SELECT id FROM search_terms WHERE term = ${term})`;

/** The duration-terms marker, µs, or NULL: one lookup in the vocabulary's key. */
const durationMarkerSql = (): SQL =>
  sql`(SELECT CAST(substr(term, ${DURATION_MARKER_PREFIX.length + 1}) AS INTEGER) FROM search_terms
    WHERE term >= ${durationMarkerRange.from} AND term < ${durationMarkerRange.to} ORDER BY term DESC LIMIT 1)`;

/**
 * One row: for each term, its postings inside the window, counted up to COUNT_CAP; with
 * `durationMarker`, then the duration-terms marker (µs or null).
 */
export function termCountsSql(terms: readonly string[], q: Pick<SearchQuery, 'startUs' | 'endUs'>, opts: { durationMarker?: boolean } = {}): SQL {
  const counts = terms.map(
    (t) =>
      sql`(SELECT count(*) FROM (SELECT 1 FROM trace_terms WHERE term_id = ${termId(t)} AND start_us >= ${q.startUs} AND start_us <= ${q.endUs} LIMIT ${COUNT_CAP}))`,
  );
  if (opts.durationMarker) counts.push(durationMarkerSql());
  return sql`SELECT ${sql.join(counts, sql`, `)}`;
}

/** The terms ordered rarest first (stable for ties), from their capped counts. */
export function rarestFirst(terms: readonly string[], counts: readonly number[]): string[] {
  return terms
    .map((term, i) => ({ term, n: counts[i] ?? 0, i }))
    .sort((a, b) => a.n - b.n || a.i - b.i)
    .map((x) => x.term);
}

/** Columns of a result row, in the order `summaryFromRow` reads them; the last is the tie-breaker. */
const SUMMARY_COLUMNS = sql.raw(
  't.trace_id, t.start_us, t.duration_us, t.root_service, t.root_operation, t.span_count, t.error_count, t.orphan_count, t.services, t.sample_rate, t.adjusted_count, t.version',
);

export type SummaryRow = [
  traceId: string,
  startUs: number,
  durationUs: number,
  rootService: string,
  rootOperation: string,
  spanCount: number,
  errorCount: number,
  orphanCount: number,
  services: string,
  sampleRate: number,
  adjustedCount: number,
  version: number,
  after: number | string,
];

function durationConditions(q: SearchQuery, column: SQL): SQL[] {
  const out: SQL[] = [];
  if (q.minDurationUs !== undefined) out.push(sql`${column} >= ${q.minDurationUs}`);
  if (q.maxDurationUs !== undefined) out.push(sql`${column} <= ${q.maxDurationUs}`);
  return out;
}

/**
 * A page of summaries for a query with terms; `terms[0]` drives. The cursor's `after` is a seq.
 * The postings are narrowed to the page first and only the page's rows are joined to `traces`, so
 * a posting that fails a probe never costs a summary lookup.
 */
export function postingSearchSql(q: SearchQuery, terms: readonly string[]): SQL {
  const [driver, ...probes] = terms;
  if (driver === undefined) throw new Error('postingSearchSql: no terms');
  const where: SQL[] = [sql`p.term_id = ${termId(driver)}`, sql`p.start_us >= ${q.startUs}`, sql`p.start_us <= ${q.endUs}`];
  if (q.cursor) where.push(sql`(p.start_us, p.trace_seq) < (${q.cursor.startUs}, ${q.cursor.after})`);
  for (const t of probes)
    where.push(sql`EXISTS (SELECT 1 FROM trace_terms o WHERE o.term_id = ${termId(t)} AND o.start_us = p.start_us AND o.trace_seq = p.trace_seq)`);
  const durations = durationConditions(q, sql.raw('d.duration_us'));
  if (durations.length > 0) where.push(sql`EXISTS (SELECT 1 FROM indexed_traces d WHERE d.seq = p.trace_seq AND ${sql.join(durations, sql` AND `)})`);
  return sql`SELECT ${SUMMARY_COLUMNS}, r.trace_seq
    FROM (SELECT p.start_us, p.trace_seq FROM trace_terms p WHERE ${sql.join(where, sql` AND `)}
          ORDER BY p.start_us DESC, p.trace_seq DESC LIMIT ${q.limit + 1}) r
    JOIN indexed_traces x ON x.seq = r.trace_seq JOIN traces t ON t.trace_id = x.trace_id
    ORDER BY r.start_us DESC, r.trace_seq DESC`;
}

/** A page of summaries for a query without terms (time and duration only). The cursor's `after` is a trace id. */
export function traceScanSql(q: SearchQuery): SQL {
  const where: SQL[] = [sql`t.start_us >= ${q.startUs}`, sql`t.start_us <= ${q.endUs}`];
  if (q.cursor) where.push(sql`(t.start_us, t.trace_id) < (${q.cursor.startUs}, ${q.cursor.after})`);
  where.push(...durationConditions(q, sql.raw('t.duration_us')));
  return sql`SELECT ${SUMMARY_COLUMNS}, t.trace_id
    FROM traces t WHERE ${sql.join(where, sql` AND `)}
    ORDER BY t.start_us DESC, t.trace_id DESC LIMIT ${q.limit + 1}`;
}
