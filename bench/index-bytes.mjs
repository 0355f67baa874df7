#!/usr/bin/env node
/**
 * Index bytes per trace of a local D1 database made by scripts/gen-index.ts, by table and index
 * (SQLite's dbstat: pages in use, free pages left by a migration not counted).
 *   node bench/index-bytes.mjs [--dir .wrangler/bench-search]     (needs Node 22: node_modules/.bin/node)
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

const i = process.argv.indexOf('--dir');
const dir = join(i >= 0 ? process.argv[i + 1] : '.wrangler/bench-search', 'v3/d1/miniflare-D1DatabaseObject');
const file = readdirSync(dir).find((f) => f.endsWith('.sqlite') && f !== 'metadata.sqlite');
if (!file) throw new Error(`no D1 database in ${dir}: run scripts/gen-index.ts first`);
const db = new DatabaseSync(join(dir, file), { readOnly: true });
const traces = Number(db.prepare('SELECT count(*) AS n FROM traces').get().n);
const rows = db
  .prepare("SELECT name, sum(pgsize) AS bytes FROM dbstat WHERE name NOT LIKE 'sqlite_%' OR name LIKE 'sqlite_autoindex_%' GROUP BY name ORDER BY bytes DESC")
  .all();
let total = 0;
console.log(`${traces.toLocaleString('en')} traces`);
for (const r of rows) {
  const bytes = Number(r.bytes);
  total += bytes;
  if (bytes / traces >= 1) console.log(`${String(r.name).padEnd(36)} ${(bytes / traces).toFixed(0).padStart(6)} B/trace`);
}
console.log(`${'all tables and indexes'.padEnd(36)} ${(total / traces).toFixed(0).padStart(6)} B/trace (${(total / 2 ** 20).toFixed(0)} MiB)`);
