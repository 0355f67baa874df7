/**
 * Runs a search against the D1 index and returns a page of trace summaries, newest first, with the
 * cursor of the next page. The SQL is in search-sql.ts; this only picks the plan, runs at most two
 * statements, and shapes rows. It takes any async drizzle SQLite database: D1 in the Worker, local
 * SQLite in tests and benchmarks.
 */
import type { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core';
import { ApiError } from '../http-error';
import type { Cursor } from './cursor';
import type { SearchQuery } from './search-query';
import { postingSearchSql, queryTerms, rarestFirst, termCountsSql, traceScanSql, type SummaryRow } from './search-sql';

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
  let terms = queryTerms(q);
  // A cursor is only meaningful for the plan that made it: postings page by seq, the scan by id.
  if (q.cursor && typeof q.cursor.after !== (terms.length > 0 ? 'number' : 'string'))
    throw new ApiError(400, 'parameter cursor: belongs to another search', 'cursor');
  if (terms.length > 1) {
    const [counts] = await db.values<number[]>(termCountsSql(terms, q));
    if (!counts || counts.some((n) => n === 0)) return { traces: [] };
    terms = rarestFirst(terms, counts);
  }
  const rows = await db.values<SummaryRow>(terms.length > 0 ? postingSearchSql(q, terms) : traceScanSql(q));
  const page = rows.slice(0, q.limit);
  const result: SearchResult = { traces: page.map(summaryFromRow) };
  const last = page[page.length - 1];
  if (rows.length > q.limit && last) result.next = { startUs: last[1], after: last[12] };
  return result;
}
