/**
 * Runs a search against the D1 index and returns a page of trace summaries, newest first, with the
 * cursor of the next page. The SQL is in search-sql.ts; this only picks the plan, runs at most two
 * statements (the term counts, when there is a driver to choose, then the page), and shapes rows. It takes any async drizzle SQLite database: D1 in the Worker, local
 * SQLite in tests and benchmarks.
 */
import type { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core';
import { ApiError } from '../http-error';
import type { Cursor } from './cursor';
import type { SearchQuery } from './search-query';
import { durationQueryTerm, durationTermsCover, postingSearchSql, queryTerms, rarestFirst, termCountsSql, traceScanSql, type SummaryRow } from './search-sql';

/** Any async drizzle SQLite database (D1, or the SQLite proxy used by tests and benchmarks). */
export type SearchDb = BaseSQLiteDatabase<'async', unknown>;

import type { TraceSummaryJson } from '../api-contract';

export type { TraceSummaryJson };

export interface SearchResult {
  traces: TraceSummaryJson[];
  /** where the next page starts; absent on the last page */
  next?: Cursor;
}

function summaryFromRow(r: SummaryRow): TraceSummaryJson {
  return {
    traceId: r[0],
    startUs: r[1],
    durationUs: r[2],
    rootService: r[3],
    rootOperation: r[4],
    spanCount: r[5],
    errorCount: r[6],
    orphanCount: r[7],
    services: JSON.parse(r[8]) as Record<string, number>,
    sampleRate: r[9],
    adjustedCount: r[10],
    version: r[11],
  };
}

export async function searchIndex(db: SearchDb, q: SearchQuery): Promise<SearchResult> {
  const base = queryTerms(q);
  // A cursor is only meaningful for the plan that made it: postings page by seq, the scan by id.
  const cursorPlan = q.cursor ? (typeof q.cursor.after === 'number' ? 'postings' : 'scan') : undefined;
  const misplaced = () => new ApiError(400, 'parameter cursor: belongs to another search', 'cursor');
  if (cursorPlan === 'scan' && base.length > 0) throw misplaced();
  // Without other terms, a scan's cursor keeps its pages on the scan.
  const duration = cursorPlan === 'scan' ? null : durationQueryTerm(q);
  if (cursorPlan === 'postings' && base.length === 0 && duration === null) throw misplaced();

  let terms = base;
  if (base.length > 1 || duration !== null) {
    const candidates = duration !== null ? [...base, duration] : base;
    const [row] = await db.values<(number | null)[]>(termCountsSql(candidates, q, { durationMarker: duration !== null }));
    if (!row) return { traces: [] };
    let counts = row.slice(0, candidates.length).map(Number);
    terms = candidates;
    // Traces indexed before duration terms existed have none: drive by them only where none can be.
    if (duration !== null && !durationTermsCover(q, row[candidates.length] ?? null)) {
      if (cursorPlan === 'postings' && base.length === 0) throw misplaced();
      terms = base;
      counts = counts.slice(0, base.length);
    }
    if (counts.some((n) => n === 0)) return { traces: [] };
    // The duration term only drives: as a probe it would repeat the exact duration check.
    terms = rarestFirst(terms, counts).filter((t, i) => i === 0 || t !== duration);
  }
  const rows = await db.values<SummaryRow>(terms.length > 0 ? postingSearchSql(q, terms) : traceScanSql(q));
  const page = rows.slice(0, q.limit);
  const result: SearchResult = { traces: page.map(summaryFromRow) };
  const last = page[page.length - 1];
  if (rows.length > q.limit && last) result.next = { startUs: last[1], after: last[12] };
  return result;
}
