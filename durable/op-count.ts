/**
 * Counts the billable operations a Durable Object instance makes, so each flush can log them
 * (DO requests and alarms, SQLite rows written, setAlarm calls, R2 reads and writes, D1 rows
 * written and read as D1 reports them: both are billed). The counts are per instance since it
 * woke; `bench/ops-per-trace.mjs` and `bench/ingest-ops.mjs` read them from the log. `countingD1`
 * wraps a D1 binding without changing what it answers.
 */

export interface OpCounts {
  doRequests: number;
  alarms: number;
  sqlRowsWritten: number;
  setAlarms: number;
  r2Gets: number;
  r2Puts: number;
  d1RowsWritten: number;
  d1RowsRead: number;
}

export const newOpCounts = (): OpCounts => ({ doRequests: 0, alarms: 0, sqlRowsWritten: 0, setAlarms: 0, r2Gets: 0, r2Puts: 0, d1RowsWritten: 0, d1RowsRead: 0 });

interface WithMeta {
  meta?: { rows_written?: number; rows_read?: number; changes?: number };
}

/** Adds what one D1 result reports to the counts. */
function countResult(r: unknown, counts: OpCounts): void {
  const meta = (r as WithMeta | null)?.meta;
  counts.d1RowsWritten += meta?.rows_written ?? 0;
  counts.d1RowsRead += meta?.rows_read ?? 0;
}

/** Methods of runtime objects must be called on the object itself, not on a proxy of it. */
function bound(target: object, p: string | symbol): unknown {
  const v = Reflect.get(target, p) as unknown;
  return typeof v === 'function' ? v.bind(target) : v;
}

function countingStatement(stmt: D1PreparedStatement, counts: OpCounts): D1PreparedStatement {
  return new Proxy(stmt, {
    get(t, p) {
      if (p === 'bind') return (...values: unknown[]) => countingStatement(t.bind(...values), counts);
      if (p === 'run' || p === 'all')
        return async () => {
          const r = await (t[p] as () => Promise<unknown>).call(t);
          countResult(r, counts);
          return r;
        };
      // first() answers without meta, but the runtime's first() runs the same whole query and
      // keeps row 0, so all() reads (and bills) the same rows and reports them. raw() is not counted.
      if (p === 'first')
        return async (column?: string) => {
          const r = await t.all<Record<string, unknown>>();
          countResult(r, counts);
          const row = r.results[0] ?? null;
          if (column === undefined || row === null) return row;
          if (row[column] === undefined) throw new Error(`D1_COLUMN_NOTFOUND: Column not found (${column})`);
          return row[column];
        };
      return bound(t, p);
    },
  });
}

export function countingD1(db: D1Database, counts: OpCounts): D1Database {
  return new Proxy(db, {
    get(t, p) {
      if (p === 'prepare') return (query: string) => countingStatement(t.prepare(query), counts);
      if (p === 'batch')
        return async (statements: D1PreparedStatement[]) => {
          const results = await t.batch(statements);
          for (const r of results) countResult(r, counts);
          return results;
        };
      return bound(t, p);
    },
  });
}
