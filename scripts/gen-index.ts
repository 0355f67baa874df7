/**
 * Fills a local D1 database with a search index of generated traces, for bench/search.ts:
 *   node scripts/run-ts.mjs scripts/gen-index.ts [--traces 1000000] [--dir .wrangler/bench-search]
 *
 * The database is wrangler's own local D1 (`wrangler d1 migrations apply --local --persist-to DIR`
 * applies the real migrations), then filled through node's SQLite with exactly the statements the
 * TraceAssembler's flush sends to D1 (TraceIndexAccumulator.sql), 5,000 traces per transaction:
 * a million single-trace D1 batches through the local runtime would take hours. Prints rows and
 * bytes per trace (SQLite's dbstat), the duration postings among them, and D1's own `rows_written`
 * per trace for a sample written through the real local D1 binding.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { SQLiteAsyncDialect } from 'drizzle-orm/sqlite-core';
import { runBatch, TraceIndexAccumulator, type BatchClient } from '../worker/db/trace-index';
import { generateTrace } from '../bench/search-data';
import { DURATION_THRESHOLDS_US, durationTerm } from '../worker/query/search-terms';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const TRACES = Number(opt('traces', '1000000'));
const DIR = opt('dir', '.wrangler/bench-search');
const PER_TRANSACTION = 5000;
const D1_SAMPLE = 200;

rmSync(DIR, { recursive: true, force: true });
execFileSync('npx', ['wrangler', 'd1', 'migrations', 'apply', 'edgetrace', '--local', '--persist-to', DIR], { stdio: ['ignore', 'ignore', 'inherit'] });
const d1Dir = join(DIR, 'v3', 'd1', 'miniflare-D1DatabaseObject');
const file = readdirSync(d1Dir).find((f) => f.endsWith('.sqlite') && f !== 'metadata.sqlite');
if (!file) throw new Error(`no D1 database under ${d1Dir}`);
const path = join(d1Dir, file);

const sqlite = new DatabaseSync(path);
sqlite.exec('PRAGMA synchronous = OFF; PRAGMA cache_size = -262144');
const dialect = new SQLiteAsyncDialect();
const prepared = new Map<string, StatementSync>();
const run = (text: string, params: unknown[]) => {
  let s = prepared.get(text);
  if (!s) prepared.set(text, (s = sqlite.prepare(text)));
  s.run(...(params as SQLInputValue[]));
};

const endUs = Date.now() * 1000;
const t0 = performance.now();
let spans = 0;
sqlite.exec('BEGIN');
for (let i = 0; i < TRACES; i++) {
  const { summary, spans: list } = generateTrace(i, endUs);
  spans += list.length;
  const acc = new TraceIndexAccumulator().addAll(list);
  for (const statement of acc.sql(summary, Date.now())) {
    const q = dialect.sqlToQuery(statement);
    run(q.sql, q.params);
  }
  if ((i + 1) % PER_TRANSACTION === 0) {
    sqlite.exec('COMMIT; BEGIN');
    if ((i + 1) % 100_000 === 0) console.error(`${i + 1} traces, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
}
sqlite.exec('COMMIT');
const seconds = (performance.now() - t0) / 1000;

const rowsOf = (table: string) => Number(sqlite.prepare(`SELECT count(*) AS n FROM ${table}`).get()!.n);
const tables = ['traces', 'indexed_traces', 'trace_terms', 'search_terms', 'operations'];
const rows = Object.fromEntries(tables.map((t) => [t, rowsOf(t)]));
const durationPostings = DURATION_THRESHOLDS_US.map((t) => {
  const n = sqlite.prepare('SELECT count(*) AS n FROM trace_terms WHERE term_id = (SELECT id FROM search_terms WHERE term = ?)').get(durationTerm(t))!.n;
  return [t / 1000, Number(n)] as const;
});
const bytes = sqlite
  .prepare("SELECT name, sum(pgsize) AS bytes FROM dbstat WHERE name NOT LIKE 'sqlite_%' OR name LIKE 'sqlite_autoindex_%' GROUP BY name ORDER BY bytes DESC")
  .all()
  .map((r) => ({ name: String(r.name), bytes: Number(r.bytes) }));
sqlite.close();

console.log(`${TRACES} traces (${(spans / TRACES).toFixed(1)} spans each) indexed in ${seconds.toFixed(0)} s into ${path}`);
console.log('rows per trace:', Object.entries(rows).map(([t, n]) => `${t} ${(n / TRACES).toFixed(2)}`).join(', '));
const durationTotal = durationPostings.reduce((a, [, n]) => a + n, 0);
console.log(
  `duration postings per trace: ${(durationTotal / TRACES).toFixed(4)} (${durationPostings.map(([ms, n]) => `≥${ms} ms: ${n.toLocaleString('en')}`).join(', ')})`,
);
const searchBytes = bytes.filter((b) => !/^(ingest_keys|retention_state|d1_|_cf_|service|instance|dependenc|red_|metric)/.test(b.name));
const total = searchBytes.reduce((a, b) => a + b.bytes, 0);
console.log(`bytes per trace: ${(total / TRACES).toFixed(0)} in all (${(total / 2 ** 20).toFixed(0)} MiB)`);
for (const b of searchBytes) console.log(`  ${b.name.padEnd(40)} ${(b.bytes / TRACES).toFixed(1)}`);

// D1's own accounting (rows_written counts every index entry) for a sample written through the
// real local D1 binding, as the TraceAssembler writes it.
const { getPlatformProxy } = await import('wrangler');
const proxy = await getPlatformProxy<{ DB: D1Database }>({ persist: { path: join(DIR, 'v3') } });
let written = 0;
const client: BatchClient = {
  prepare: (q) => proxy.env.DB.prepare(q),
  batch: async (statements) => {
    const results = await proxy.env.DB.batch(statements as D1PreparedStatement[]);
    for (const r of results) written += r.meta.rows_written;
    return results;
  },
};
const w0 = performance.now();
for (let i = TRACES; i < TRACES + D1_SAMPLE; i++) {
  const { summary, spans: list } = generateTrace(i, endUs);
  await runBatch(client, new TraceIndexAccumulator().addAll(list).sql(summary, Date.now()));
}
console.log(`D1 rows_written per trace: ${(written / D1_SAMPLE).toFixed(1)} (${D1_SAMPLE} traces through the local D1 binding, ${((performance.now() - w0) / D1_SAMPLE).toFixed(1)} ms each)`);
await proxy.dispose();
writeFileSync(join(DIR, 'search-meta.json'), JSON.stringify({ traces: TRACES + D1_SAMPLE, endUs, rows, bytesPerTrace: total / TRACES, generatedAt: new Date().toISOString() }, null, 2));
if (!existsSync(join(DIR, 'search-meta.json'))) throw new Error('meta not written');
