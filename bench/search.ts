/**
 * Search latency on the index scripts/gen-index.ts built, with the real search code
 * (parseSearchQuery → searchIndex, the SQL `/api/search` and `/api/traces` run):
 *   node scripts/run-ts.mjs bench/search.ts [--dir .wrangler/bench-search] [--runs 200]
 *
 * Eight searches, each with limit 20 and varied values per run (service; service + operation;
 * attribute, alone or with a service; duration range, alone or with a service; errors, alone or
 * with a service; a duration so selective (minDuration=10s, ~1 trace in 100,000 here) that no page
 * fills, alone and with a service: without duration terms it walked every trace of the window, or
 * every posting of the service, now the 10 s threshold's postings drive; and the worst case left,
 * 9.9 s, which the 1 s threshold drives), over the whole week of data and over the site's default
 * 1 h window. Each is timed twice on the same database file: in-process on SQLite (what the index
 * costs), and through the local D1 binding (workerd behind wrangler's getPlatformProxy: adds a
 * loopback round trip per statement, shown by the `SELECT 1` baseline). Prints p50/p95 per search
 * and the index bytes per trace that gen-index measured.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { drizzle } from 'drizzle-orm/d1';
import { searchIndex, type SearchDb } from '../worker/query/search';
import { openLocalIndexDb } from '../worker/query/search-local-db';
import { DEFAULT_INDEXED_TAG_KEYS } from '../worker/query/search-config';
import { parseSearchQuery } from '../worker/query/search-query';
import { seededRandom as rng } from '../worker/seeded-random';
import { DB_SYSTEMS, OPERATION, OPS_PER_SERVICE, ROUTE, SERVICES, WEEK_US } from './search-data';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const DIR = opt('dir', '.wrangler/bench-search');
const RUNS = Number(opt('runs', '200'));
const WARMUP = 20;
const meta = JSON.parse(readFileSync(join(DIR, 'search-meta.json'), 'utf8')) as { traces: number; endUs: number; bytesPerTrace: number; rows: Record<string, number> };

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const tags = (o: Record<string, string>) => `tags=${encodeURIComponent(JSON.stringify(o))}`;

/** Each search: a query string per run (alternating its variants), values drawn from `r`. */
const SEARCHES: [string, (run: number, r: () => number) => string][] = [
  ['service', (_, r) => `service=${pick(r, SERVICES)}`],
  ['service + operation', (_, r) => {
    const s = pick(r, SERVICES);
    return `service=${s}&operation=${encodeURIComponent(OPERATION(s, Math.floor(r() * OPS_PER_SERVICE)))}`;
  }],
  ['attribute', (run, r) => run % 2 === 0
    ? `service=${pick(r, SERVICES)}&${tags({ 'http.response.status_code': pick(r, ['500', '503', '404']) })}`
    : tags(pick<Record<string, string>>(r, [{ 'http.route': ROUTE(pick(r, SERVICES), Math.floor(r() * OPS_PER_SERVICE)) }, { 'db.system': pick(r, DB_SYSTEMS) }]))],
  ['duration range', (run, r) => run % 2 === 0 ? 'minDuration=1s&maxDuration=5s' : `service=${pick(r, SERVICES)}&minDuration=500ms`],
  ['error', (run, r) => run % 2 === 0 ? 'error=true' : `service=${pick(r, SERVICES)}&error=true`],
  // A page that cannot fill: the cost is whatever the plan walks to learn there is nothing more.
  ['selective duration + service', (_, r) => `service=${pick(r, SERVICES)}&minDuration=10s`],
  ['selective duration alone', () => 'minDuration=10s'],
  // The worst case with duration terms: just under a threshold, the one below drives (every trace of 1 s or more).
  ['duration just under a threshold', () => 'minDuration=9.9s'],
];
const WINDOWS: [string, string][] = [
  ['7 d', `start=${meta.endUs - WEEK_US}&end=${meta.endUs}`],
  ['1 h', `start=${meta.endUs - 3_600_000_000}&end=${meta.endUs}`],
];

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

interface Timing {
  p50: number;
  p95: number;
  found: number;
}

/** Runs every search in every window on `db`; the same queries each time (same seed). */
async function timeSearches(db: SearchDb): Promise<Map<string, Timing>> {
  const r = rng(7);
  const out = new Map<string, Timing>();
  for (const [window, range] of WINDOWS) {
    for (const [name, make] of SEARCHES) {
      const times: number[] = [];
      let found = 0;
      for (let run = -WARMUP; run < RUNS; run++) {
        const q = parseSearchQuery(new URLSearchParams(`${make(run, r)}&${range}&limit=20`), {
          nowUs: meta.endUs,
          defaultLimit: 20,
          indexedTagKeys: DEFAULT_INDEXED_TAG_KEYS,
          native: true,
        });
        const t0 = performance.now();
        const result = await searchIndex(db, q);
        const ms = performance.now() - t0;
        if (run >= 0) {
          times.push(ms);
          found += result.traces.length;
        }
      }
      times.sort((a, b) => a - b);
      out.set(`${name}|${window}`, { p50: pct(times, 50), p95: pct(times, 95), found: found / RUNS });
    }
  }
  return out;
}

const d1Dir = join(DIR, 'v3', 'd1', 'miniflare-D1DatabaseObject');
const file = readdirSync(d1Dir).find((f) => f.endsWith('.sqlite') && f !== 'metadata.sqlite')!;
const local = openLocalIndexDb(join(d1Dir, file), { migrate: false });
const direct = await timeSearches(local.db);
local.sqlite.close();

const { getPlatformProxy } = await import('wrangler');
const proxy = await getPlatformProxy<{ DB: D1Database }>({ persist: { path: join(DIR, 'v3') } });
const baseline: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const t0 = performance.now();
  await proxy.env.DB.prepare('SELECT 1').raw();
  baseline.push(performance.now() - t0);
}
baseline.sort((a, b) => a - b);
const viaD1 = await timeSearches(drizzle(proxy.env.DB));
await proxy.dispose();

console.log(`search over ${meta.traces.toLocaleString('en')} indexed traces (${Object.entries(meta.rows).map(([t, n]) => `${t} ${n.toLocaleString('en')}`).join(', ')})`);
console.log(`index bytes per trace: ${meta.bytesPerTrace.toFixed(0)}; ${RUNS} runs per search after ${WARMUP} warm-up runs; limit 20; node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
console.log(`D1 binding baseline (SELECT 1): p50 ${pct(baseline, 50).toFixed(1)} ms, p95 ${pct(baseline, 95).toFixed(1)} ms`);
console.log('| search | window | SQLite p50 ms | SQLite p95 ms | D1 binding p50 ms | D1 binding p95 ms | traces found (mean) |');
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
let worst = 0;
for (const [key, d] of direct) {
  const [name, window] = key.split('|');
  const b = viaD1.get(key)!;
  worst = Math.max(worst, d.p95);
  console.log(`| ${name} | ${window} | ${d.p50.toFixed(2)} | ${d.p95.toFixed(2)} | ${b.p50.toFixed(1)} | ${b.p95.toFixed(1)} | ${d.found.toFixed(1)} |`);
}
console.log(`worst SQLite p95: ${worst.toFixed(2)} ms (target < 100 ms)`);
