/**
 * The index on a local SQLite file or in memory, through the same drizzle API as D1: node's
 * built-in SQLite behind drizzle's SQLite proxy, with the project's migrations applied in order.
 * For unit tests of the index and search SQL and for the search benchmark (never imported by the
 * Worker). Statements are prepared once per SQL text; a batch runs as one transaction, as in D1.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { drizzle, type SqliteRemoteDatabase } from 'drizzle-orm/sqlite-proxy';
import type { BatchClient } from '../db/trace-index';

export interface LocalIndexDb {
  /** for reads (searchIndex) */
  db: SqliteRemoteDatabase;
  /** for index writes: `TraceIndexAccumulator.write(local, ...)`, `runBatch(local.$client, ...)` */
  $client: BatchClient;
  sqlite: DatabaseSync;
}

/** Applies every migrations/NNNN_*.sql file in name order (what wrangler and readD1Migrations do). */
export function applyMigrations(sqlite: DatabaseSync, dir = 'migrations'): void {
  for (const file of readdirSync(dir).filter((f) => /^\d{4}_.*\.sql$/.test(f)).sort()) {
    for (const statement of readFileSync(join(dir, file), 'utf8').split('--> statement-breakpoint')) {
      if (statement.trim() !== '') sqlite.exec(statement);
    }
  }
}

export function openLocalIndexDb(path = ':memory:', opts: { migrate?: boolean } = {}): LocalIndexDb {
  const sqlite = new DatabaseSync(path);
  if (opts.migrate ?? true) applyMigrations(sqlite);
  const prepared = new Map<string, StatementSync>();
  const prepare = (text: string): StatementSync => {
    let s = prepared.get(text);
    if (!s) {
      s = sqlite.prepare(text);
      prepared.set(text, s);
    }
    return s;
  };
  const exec = (text: string, params: unknown[], method: 'run' | 'all' | 'values' | 'get') => {
    const stmt = prepare(text);
    const args = params as SQLInputValue[];
    if (method === 'run') {
      stmt.run(...args);
      return { rows: [] };
    }
    stmt.setReturnArrays(true);
    const rows = stmt.all(...args) as unknown as unknown[][];
    return { rows: method === 'get' ? (rows[0] ?? []) : rows };
  };
  const db = drizzle(
    async (text, params, method) => exec(text, params, method),
    async (batch) => {
      sqlite.exec('BEGIN');
      try {
        const out = batch.map((q) => exec(q.sql, q.params, q.method));
        sqlite.exec('COMMIT');
        return out;
      } catch (e) {
        sqlite.exec('ROLLBACK');
        throw e;
      }
    },
  );
  const $client: BatchClient = {
    prepare: (text) => ({ bind: (...params: unknown[]) => ({ text, params }) }),
    async batch(statements) {
      const list = statements as { text: string; params: unknown[] }[];
      sqlite.exec('BEGIN');
      try {
        for (const s of list) exec(s.text, s.params, 'run');
        sqlite.exec('COMMIT');
      } catch (e) {
        sqlite.exec('ROLLBACK');
        throw e;
      }
    },
  };
  return { db, $client, sqlite };
}
