/**
 * The index writer and the search, end to end on real SQLite with the real migrations: traces are
 * assembled by the real pipeline, written by TraceIndexAccumulator, found by searchIndex.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { assemble } from '../../durable/assemble';
import { forgetTracesSql, postingsSql, runBatch, TraceIndexAccumulator } from '../db/trace-index';
import type { KeyValue, Span, SpanId, TraceId, UnixNanos } from '../span/model';
import { DEFAULT_INDEXED_TAG_KEYS } from './search-config';
import { openLocalIndexDb, type LocalIndexDb } from './search-local-db';
import { parseSearchQuery } from './search-query';
import { postingSearchSql, queryTerms, traceScanSql } from './search-sql';
import { searchIndex } from './search';
import { encodeCursor } from './cursor';
import { SQLiteSyncDialect } from 'drizzle-orm/sqlite-core';

const T0_US = 1_780_000_000_000_000; // 2026-05-28, µs
const MIN_US = 60_000_000;

interface SpanSpec {
  service: string;
  name: string;
  parent?: number;
  /** µs offsets from the trace start */
  start?: number;
  end?: number;
  error?: boolean;
  attrs?: Record<string, string | number | boolean>;
  resource?: Record<string, string>;
}

const kv = (key: string, v: string | number | boolean): KeyValue => ({
  key,
  value: typeof v === 'string' ? { stringValue: v } : typeof v === 'boolean' ? { boolValue: v } : Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v },
});

const traceIdOf = (n: number) => n.toString(16).padStart(32, '0') as TraceId;

function spansOf(traceId: TraceId, startUs: number, specs: SpanSpec[]): Span[] {
  return specs.map((s, i) => {
    const span: Span = {
      traceId,
      spanId: (i + 1).toString(16).padStart(16, '0') as SpanId,
      name: s.name,
      kind: 2,
      service: s.service,
      resource: { attributes: [kv('service.name', s.service), ...Object.entries(s.resource ?? {}).map(([k, v]) => kv(k, v))] },
      startTimeUnixNano: String(BigInt(startUs + (s.start ?? 0)) * 1000n) as UnixNanos,
      endTimeUnixNano: String(BigInt(startUs + (s.end ?? 1000)) * 1000n) as UnixNanos,
      attributes: Object.entries(s.attrs ?? {}).map(([k, v]) => kv(k, v)),
      events: [],
      links: [],
      status: { code: s.error ? 2 : 0 },
    };
    if (s.parent !== undefined) span.parentSpanId = (s.parent + 1).toString(16).padStart(16, '0') as SpanId;
    return span;
  });
}

async function indexTrace(local: LocalIndexDb, n: number, startUs: number, specs: SpanSpec[], opts: { version?: number; keys?: string[] } = {}) {
  const traceId = traceIdOf(n);
  const trace = assemble({ traceId, spans: spansOf(traceId, startUs, specs), version: opts.version ?? 1, sampleRate: 1 });
  const acc = new TraceIndexAccumulator({ indexedTagKeys: opts.keys ?? [...DEFAULT_INDEXED_TAG_KEYS] }).addAll(trace.spans);
  await acc.write(local, trace.summary, 0);
  return traceId;
}

async function search(local: LocalIndexDb, query: string, keys: readonly string[] = DEFAULT_INDEXED_TAG_KEYS) {
  const q = parseSearchQuery(new URLSearchParams(query), { nowUs: T0_US + 100 * MIN_US, defaultLimit: 20, indexedTagKeys: keys, native: true });
  return searchIndex(local.db, q);
}
const ids = (r: { traces: { traceId: string }[] }) => r.traces.map((t) => t.traceId);

const checkout = (extra: Partial<SpanSpec> = {}): SpanSpec[] => [
  { service: 'gateway', name: 'GET /cart', end: 5000, attrs: { 'http.request.method': 'GET', 'http.route': '/cart', 'http.response.status_code': 200 } },
  { service: 'cart', name: 'load cart', parent: 0, start: 100, end: 4000, resource: { 'deployment.environment.name': 'prod' } },
  { service: 'db', name: 'SELECT carts', parent: 1, start: 200, end: 3000, attrs: { 'db.system': 'postgresql' }, ...extra },
];

describe('search index', () => {
  let local: LocalIndexDb;
  beforeEach(() => {
    local = openLocalIndexDb();
  });

  it('a trace is found by the service and operation of any span, not only the root', async () => {
    const id = await indexTrace(local, 1, T0_US, checkout());
    await indexTrace(local, 2, T0_US + 1, [{ service: 'other', name: 'x' }]);
    expect(ids(await search(local, 'service=db&lookback=2h'))).toEqual([id]);
    expect(ids(await search(local, 'service=db&operation=SELECT%20carts&lookback=2h'))).toEqual([id]);
    expect(ids(await search(local, 'service=cart&operation=load%20cart&lookback=2h'))).toEqual([id]);
    expect(ids(await search(local, 'service=db&operation=load%20cart&lookback=2h'))).toEqual([]);
  });

  it('finds by span attributes, resource attributes of an indexed key, and error=true from the status', async () => {
    const keys = [...DEFAULT_INDEXED_TAG_KEYS, 'deployment.environment.name'];
    const ok = await indexTrace(local, 1, T0_US, checkout(), { keys });
    const failed = await indexTrace(local, 2, T0_US + 10, checkout({ error: true }), { keys });
    expect(ids(await search(local, 'tags={"db.system":"postgresql"}&lookback=2h', keys))).toEqual([failed, ok]);
    expect(ids(await search(local, 'tags={"http.response.status_code":"200"}&lookback=2h', keys))).toEqual([failed, ok]);
    expect(ids(await search(local, 'tags={"deployment.environment.name":"prod"}&lookback=2h', keys))).toEqual([failed, ok]);
    expect(ids(await search(local, 'error=true&lookback=2h', keys))).toEqual([failed]);
    expect(ids(await search(local, 'service=gateway&error=true&lookback=2h', keys))).toEqual([failed]);
    expect(ids(await search(local, 'service=gateway&tags={"error":"true","http.route":"/cart"}&lookback=2h', keys))).toEqual([failed]);
    expect(ids(await search(local, 'service=gateway&tags={"http.route":"/nope"}&lookback=2h', keys))).toEqual([]);
  });

  it('an attribute key that is not configured is not indexed', async () => {
    await indexTrace(local, 1, T0_US, checkout());
    const terms = local.sqlite.prepare('SELECT term FROM search_terms').all().map((r) => String(r.term));
    expect(terms.some((t) => t.includes('deployment.environment.name'))).toBe(false);
    expect(terms.some((t) => t.includes('http.route'))).toBe(true);
  });

  it('lists newest first and pages with the cursor through every match exactly once', async () => {
    const made: string[] = [];
    // pairs of traces with the same start exercise the tie-breaker
    for (let i = 0; i < 25; i++) made.push(await indexTrace(local, 100 + i, T0_US + Math.floor(i / 2) * 1000, checkout()));
    const expected = [...made].reverse();
    for (const query of ['service=cart&lookback=2h&limit=7', 'service=cart&tags={"db.system":"postgresql"}&lookback=2h&limit=7', 'lookback=2h&limit=7']) {
      const seen: string[] = [];
      let cursor = '';
      for (let page = 0; page < 10; page++) {
        const r = await search(local, `${query}${cursor}`);
        seen.push(...ids(r));
        if (!r.next) break;
        cursor = `&cursor=${encodeCursor(r.next)}`;
      }
      const starts = seen.map((id) => made.indexOf(id));
      expect(new Set(seen).size, query).toBe(25);
      expect(starts.map((i) => Math.floor(i / 2)), query).toEqual(expected.map((id) => Math.floor(made.indexOf(id) / 2)));
    }
  });

  it('filters by time window and duration bounds', async () => {
    const early = await indexTrace(local, 1, T0_US, checkout()); // 5 ms
    const slow = await indexTrace(local, 2, T0_US + 10 * MIN_US, [{ service: 'cart', name: 'load cart', end: 2_000_000 }]); // 2 s
    const late = await indexTrace(local, 3, T0_US + 50 * MIN_US, [{ service: 'cart', name: 'load cart', end: 300 }]); // 300 µs
    expect(ids(await search(local, `service=cart&start=${T0_US}&end=${T0_US + 20 * MIN_US}`))).toEqual([slow, early]);
    expect(ids(await search(local, `service=cart&start=${T0_US + 1}&end=${T0_US + 60 * MIN_US}`))).toEqual([late, slow]);
    expect(ids(await search(local, 'service=cart&lookback=2h&minDuration=1s'))).toEqual([slow]);
    expect(ids(await search(local, 'service=cart&lookback=2h&maxDuration=5ms'))).toEqual([late, early]);
    expect(ids(await search(local, 'service=cart&lookback=2h&minDuration=1ms&maxDuration=5ms'))).toEqual([early]);
    expect(ids(await search(local, 'lookback=2h&minDuration=500us&maxDuration=2.5s'))).toEqual([slow, early]);
    // the window is relative to now (T0 + 100 min): 30m reaches back to T0 + 70 min
    expect(ids(await search(local, 'service=cart&lookback=30m'))).toEqual([]);
    expect(ids(await search(local, 'lookback=1h'))).toEqual([late]);
  });

  it('a re-flush that moves the start replaces the postings; an older version never rolls it back', async () => {
    const spans = checkout();
    await indexTrace(local, 7, T0_US, spans, { version: 1 });
    // version 2: a late span started 1 s earlier and brings a new service
    const v2 = [...spans, { service: 'auth', name: 'check', start: -1_000_000, end: 100 }];
    const id = await indexTrace(local, 7, T0_US, v2, { version: 2 });
    await indexTrace(local, 7, T0_US, spans, { version: 1 }); // a retried alarm of version 1
    const postings = local.sqlite.prepare('SELECT DISTINCT start_us FROM trace_terms').all();
    expect(postings).toEqual([{ start_us: T0_US - 1_000_000 }]);
    const r = await search(local, 'service=auth&lookback=2h');
    expect(ids(r)).toEqual([id]);
    expect(r.traces[0]).toMatchObject({ version: 2, spanCount: 4, startUs: T0_US - 1_000_000 });
    expect(ids(await search(local, 'service=db&lookback=2h'))).toEqual([id]);
  });

  it('a re-flush with the same start only adds the new postings', async () => {
    await indexTrace(local, 8, T0_US, checkout(), { version: 1 });
    const before = local.sqlite.prepare('SELECT term_id, trace_seq FROM trace_terms ORDER BY term_id').all();
    await indexTrace(local, 8, T0_US, [...checkout(), { service: 'cache', name: 'get', parent: 0, start: 10, end: 20 }], { version: 2 });
    const after = local.sqlite.prepare('SELECT term_id, trace_seq FROM trace_terms ORDER BY term_id').all();
    expect(after.length).toBe(before.length + 2);
    expect(after).toEqual(expect.arrayContaining(before));
  });

  it('forgetting traces removes their postings and the terms nobody else uses', async () => {
    const a = await indexTrace(local, 1, T0_US, checkout());
    const b = await indexTrace(local, 2, T0_US + 1, [{ service: 'lonely', name: 'alone', attrs: { 'http.route': '/only-here' } }]);
    const count = (table: string) => Number(local.sqlite.prepare(`SELECT count(*) AS n FROM ${table}`).get()!.n);
    const termsBefore = count('search_terms');
    await runBatch(local.$client, forgetTracesSql([b]));
    expect(ids(await search(local, 'lookback=2h'))).toEqual([a]);
    expect(ids(await search(local, 'service=lonely&lookback=2h'))).toEqual([]);
    expect(count('search_terms')).toBe(termsBefore - 3);
    expect(count('indexed_traces')).toBe(1);
    const left = local.sqlite.prepare('SELECT count(*) AS n FROM trace_terms p JOIN indexed_traces x ON x.seq = p.trace_seq').get();
    expect(Number(left!.n)).toBe(count('trace_terms'));
  });

  it('records each (service, operation, kind) once, refreshing last seen at most hourly', async () => {
    await indexTrace(local, 1, T0_US, checkout());
    await indexTrace(local, 2, T0_US + 10 * MIN_US, checkout()); // 10 min later: not stale yet
    const seen = () => local.sqlite.prepare("SELECT service, operation, span_kind, last_seen_us FROM operations WHERE service = 'db'").all();
    expect(seen()).toEqual([{ service: 'db', operation: 'SELECT carts', span_kind: 'server', last_seen_us: T0_US }]);
    await indexTrace(local, 3, T0_US + 90 * MIN_US, checkout());
    expect(seen()).toEqual([{ service: 'db', operation: 'SELECT carts', span_kind: 'server', last_seen_us: T0_US + 90 * MIN_US }]);
    expect(Number(local.sqlite.prepare('SELECT count(*) AS n FROM operations').get()!.n)).toBe(3);
  });

  it('caps the values per key of one trace', async () => {
    const specs: SpanSpec[] = Array.from({ length: 80 }, (_, i) => ({ service: 'batch', name: 'item', start: i, end: i + 1, attrs: { 'url.path': `/item/${i}` } }));
    await indexTrace(local, 9, T0_US, specs);
    const n = local.sqlite.prepare("SELECT count(*) AS n FROM search_terms WHERE term LIKE 't%url.path%'").get();
    expect(Number(n!.n)).toBe(50);
  });

  it('caps the operations of one trace', async () => {
    const specs: SpanSpec[] = Array.from({ length: 600 }, (_, i) => ({ service: 'batch', name: `job ${i}`, start: i, end: i + 1 }));
    await indexTrace(local, 10, T0_US, specs);
    const count = (q: string) => Number(local.sqlite.prepare(q).get()!.n);
    expect(count("SELECT count(*) AS n FROM search_terms WHERE term LIKE 'o%'")).toBe(500); // services are not capped
    expect(count('SELECT count(*) AS n FROM operations')).toBe(500);
  });
});

describe('search query plans', () => {
  const local = openLocalIndexDb();
  const dialect = new SQLiteSyncDialect();
  const plan = (s: ReturnType<typeof traceScanSql>) => {
    const { sql, params } = dialect.sqlToQuery(s);
    return local.sqlite
      .prepare(`EXPLAIN QUERY PLAN ${sql}`)
      .all(...(params as never[]))
      .map((r) => String(r.detail))
      .join('\n');
  };
  const q = (query: string) => parseSearchQuery(new URLSearchParams(query), { nowUs: T0_US, defaultLimit: 20, indexedTagKeys: DEFAULT_INDEXED_TAG_KEYS, native: true });

  it('walks one term along its index, newest first, and probes the others by key, without sorting', () => {
    const query = q('service=a&tags={"http.route":"/x"}&minDuration=1ms&cursor=' + 'WzEsMl0');
    const p = plan(postingSearchSql(query, queryTerms(query)));
    // trace_terms is WITHOUT ROWID: its primary key is the table itself (migrations/0004)
    expect(p).toMatch(/SEARCH p USING PRIMARY KEY \(term_id=\? AND start_us/);
    expect(p).toMatch(/SEARCH o EXISTS USING PRIMARY KEY \(term_id=\? AND start_us=\? AND trace_seq=\?\)/);
    expect(p).toMatch(/SEARCH d EXISTS USING INTEGER PRIMARY KEY/);
    expect(p).toMatch(/SEARCH t USING INDEX sqlite_autoindex_traces_1 \(trace_id=\?\)/);
    expect(p).not.toMatch(/TEMP B-TREE/);
  });

  it('deletes a trace\'s postings by key, never by scanning them', () => {
    const stale = plan(postingsSql({ traceId: 'ab'.repeat(16), startUs: T0_US, durationUs: 5, version: 2, terms: ['s:a'] })[1]!);
    const gone = plan(forgetTracesSql(['ab'.repeat(16)])[0]!);
    for (const p of [stale, gone]) {
      expect(p).toMatch(/trace_terms USING PRIMARY KEY \(term_id=\? AND start_us=\? AND trace_seq=\?\)/);
      expect(p).not.toMatch(/SCAN trace_terms/);
    }
  });

  it('walks traces by start when there is no term', () => {
    const p = plan(traceScanSql(q('lookback=1h&minDuration=1s')));
    expect(p).toMatch(/SEARCH t USING INDEX traces_start/);
    expect(p).not.toMatch(/USE TEMP B-TREE FOR ORDER BY/);
  });
});
