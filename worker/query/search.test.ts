/**
 * The index writer and the search, end to end on real SQLite with the real migrations: traces are
 * assembled by the real pipeline, written by TraceIndexAccumulator, found by searchIndex.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { assemble } from '../../durable/assemble';
import { forgetTracesSql, postingsSql, runBatch, TraceIndexAccumulator, traceRow, traceUpsertSql } from '../db/trace-index';
import type { KeyValue, Span, SpanId, TraceId, UnixNanos } from '../span/model';
import { DEFAULT_INDEXED_TAG_KEYS } from './search-config';
import { openLocalIndexDb, type LocalIndexDb } from './search-local-db';
import { parseSearchQuery } from './search-query';
import { postingSearchSql, queryTerms, termCountsSql, traceScanSql } from './search-sql';
import { DURATION_MARKER_MARGIN_US, durationMarkerTerm, durationTerm, durationTerms, minDurationTerm } from './search-terms';
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

async function indexTrace(local: LocalIndexDb, n: number, startUs: number, specs: SpanSpec[], opts: { version?: number; keys?: string[]; nowMs?: number } = {}) {
  const traceId = traceIdOf(n);
  const trace = assemble({ traceId, spans: spansOf(traceId, startUs, specs), version: opts.version ?? 1, sampleRate: 1 });
  const acc = new TraceIndexAccumulator({ indexedTagKeys: opts.keys ?? [...DEFAULT_INDEXED_TAG_KEYS] }).addAll(trace.spans);
  await acc.write(local, trace.summary, opts.nowMs ?? 0);
  return traceId;
}

/** A trace as the index writer before duration terms wrote it: the same rows, no duration terms, no marker. */
async function indexLegacyTrace(local: LocalIndexDb, n: number, startUs: number, specs: SpanSpec[]) {
  const traceId = traceIdOf(n);
  const trace = assemble({ traceId, spans: spansOf(traceId, startUs, specs), version: 1, sampleRate: 1 });
  const terms = new TraceIndexAccumulator().addAll(trace.spans).terms();
  const row = traceRow(trace.summary, 0);
  await runBatch(local.$client, [traceUpsertSql(row), ...postingsSql({ traceId, startUs: row.startUs, durationUs: row.durationUs, version: 1, terms })]);
  return traceId;
}

/** A trace of one span of `service` lasting `durationUs`. */
const lasting = (durationUs: number, service = 'cart'): SpanSpec[] => [{ service, name: 'load cart', end: durationUs }];

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

  it('a selective minDuration drives by its duration threshold and still checks the exact duration', async () => {
    const SEC = 1_000_000;
    const made = new Map<string, string>();
    const durations: [string, number, string][] = [
      ['50ms', 50_000, 'cart'], ['150ms', 150_000, 'cart'], ['2s', 2 * SEC, 'cart'], ['9s', 9 * SEC, 'auth'],
      ['12s', 12 * SEC, 'cart'], ['15s', 15 * SEC, 'auth'], ['70s', 70 * SEC, 'cart'],
    ];
    for (const [i, [name, us, service]] of durations.entries()) made.set(name, await indexTrace(local, 20 + i, T0_US + i * MIN_US, lasting(us, service)));
    const found = async (query: string) => ids(await search(local, `${query}&lookback=2h`)).map((id) => [...made].find(([, v]) => v === id)![0]);
    expect(await found('minDuration=10s')).toEqual(['70s', '15s', '12s']);
    expect(await found('minDuration=12.5s')).toEqual(['70s', '15s']);
    expect(await found('minDuration=1s&maxDuration=10s')).toEqual(['9s', '2s']);
    expect(await found('service=cart&minDuration=10s')).toEqual(['70s', '12s']);
    expect(await found('service=auth&minDuration=1m')).toEqual([]);
    expect(await found('minDuration=100ms&maxDuration=1s')).toEqual(['150ms']);
    expect(await found('minDuration=2m')).toEqual([]);
    // below the smallest threshold there is no duration term: the scan as before
    expect(await found('minDuration=40ms&maxDuration=60ms')).toEqual(['50ms']);

    // pages of a duration-driven search go by postings and see every match once
    const seen: string[] = [];
    let cursor = '';
    for (let page = 0; page < 5; page++) {
      const r = await search(local, `minDuration=1s&lookback=2h&limit=2${cursor}`);
      seen.push(...ids(r));
      if (!r.next) break;
      expect(typeof r.next.after).toBe('number');
      cursor = `&cursor=${encodeCursor(r.next)}`;
    }
    expect(seen).toEqual(['70s', '15s', '12s', '9s', '2s'].map((n) => made.get(n)));
  });

  it('a trace gets a duration posting per threshold it reaches, and loses them when forgotten', async () => {
    expect(durationTerms(99_999)).toEqual([]);
    expect(durationTerms(1_000_000)).toEqual([durationTerm(100_000), durationTerm(1_000_000)]);
    expect(minDurationTerm(99_999)).toBeNull();
    expect(minDurationTerm(9_999_999)).toBe(durationTerm(1_000_000));
    expect(minDurationTerm(3_600_000_000)).toBe(durationTerm(60_000_000));
    const id = await indexTrace(local, 30, T0_US, lasting(2_000_000));
    const durationPostings = () =>
      local.sqlite.prepare("SELECT s.term FROM trace_terms p JOIN search_terms s ON s.id = p.term_id WHERE s.term LIKE 'd%' ORDER BY s.term").all().map((r) => r.term);
    expect(durationPostings()).toEqual([durationTerm(100_000), durationTerm(1_000_000)]);
    // a late span lengthens the trace past 10 s: the re-flush adds the term
    await indexTrace(local, 30, T0_US, [...lasting(2_000_000), { service: 'cart', name: 'late', parent: 0, start: 100, end: 11_000_000 }], { version: 2 });
    expect(durationPostings()).toEqual([durationTerm(100_000), durationTerm(1_000_000), durationTerm(10_000_000)]);
    await runBatch(local.$client, forgetTracesSql([id]));
    expect(durationPostings()).toEqual([]);
    // the marker is no trace's term: forgetting traces keeps it
    expect(local.sqlite.prepare("SELECT term FROM search_terms WHERE term LIKE 'v%'").all().map((r) => r.term)).toEqual([durationMarkerTerm(0)]);
  });

  it('traces indexed before duration terms are still found: the terms drive only in windows that start a margin after the marker', async () => {
    const writtenUs = T0_US + 10 * MIN_US;
    const legacy = await indexLegacyTrace(local, 40, T0_US, lasting(12_000_000));
    const fresh = await indexTrace(local, 41, writtenUs, lasting(15_000_000), { nowMs: writtenUs / 1000 });
    // the index already held a trace, so the marker is the time of the first write with duration terms
    expect(local.sqlite.prepare("SELECT term FROM search_terms WHERE term LIKE 'v%'").all().map((r) => r.term)).toEqual([durationMarkerTerm(writtenUs)]);
    await indexTrace(local, 42, writtenUs + 1, lasting(11_000_000), { nowMs: writtenUs / 1000 + 3_600_000 });
    expect(local.sqlite.prepare("SELECT count(*) AS n FROM search_terms WHERE term LIKE 'v%'").get()!.n).toBe(1);

    const page = (query: string) => search(local, `${query}&limit=1`);
    const r = await page(`minDuration=10s&start=${T0_US}&end=${T0_US + 60 * MIN_US}`);
    expect(typeof r.next?.after, 'the scan pages by trace id').toBe('string');
    const all = await search(local, `minDuration=10s&start=${T0_US}&end=${T0_US + 60 * MIN_US}`);
    expect(ids(all)).toEqual([traceIdOf(42), fresh, legacy]);
    expect(ids(await search(local, `service=cart&minDuration=10s&start=${T0_US}&end=${T0_US + 60 * MIN_US}`))).toEqual([traceIdOf(42), fresh, legacy]);

    // a window starting a margin after the marker holds no trace from before: postings drive
    const later = writtenUs + DURATION_MARKER_MARGIN_US;
    await indexTrace(local, 43, later + MIN_US, lasting(20_000_000), { nowMs: later / 1000 });
    await indexTrace(local, 44, later + 2 * MIN_US, lasting(30_000_000), { nowMs: later / 1000 });
    const after = await page(`minDuration=10s&start=${later}&end=${later + 60 * MIN_US}`);
    expect(ids(after)).toEqual([traceIdOf(44)]);
    expect(typeof after.next?.after, 'postings page by seq').toBe('number');
    const next = await page(`minDuration=10s&start=${later}&end=${later + 60 * MIN_US}&cursor=${encodeCursor(after.next!)}`);
    expect(ids(next)).toEqual([traceIdOf(43)]);
    // a scan's cursor keeps the scan, a postings cursor where the scan must run is refused
    const scanned = await page(`minDuration=10s&start=${T0_US}&end=${later + 60 * MIN_US}`);
    expect(ids(scanned)).toEqual([traceIdOf(44)]);
    expect(typeof scanned.next?.after).toBe('string');
    expect(ids(await page(`minDuration=10s&start=${later}&end=${later + 60 * MIN_US}&cursor=${encodeCursor(scanned.next!)}`))).toEqual([traceIdOf(43)]);
    await expect(page(`minDuration=10s&start=${T0_US}&end=${later + 60 * MIN_US}&cursor=${encodeCursor(after.next!)}`)).rejects.toThrow(/belongs to another search/);
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

  it('counts the duration term like any other and reads the marker by key', () => {
    const query = q('service=a&minDuration=10s&lookback=1h');
    const p = plan(termCountsSql([...queryTerms(query), minDurationTerm(query.minDurationUs)!], query, { durationMarker: true }));
    expect(p).toMatch(/SEARCH trace_terms USING PRIMARY KEY \(term_id=\? AND start_us>\? AND start_us<\?\)/);
    expect(p).toMatch(/SEARCH search_terms USING COVERING INDEX search_terms_term_unique \(term>\? AND term<\?\)/);
    expect(p).not.toMatch(/SCAN (trace_terms|search_terms)|TEMP B-TREE/);
  });

  it('walks traces by start when there is no term', () => {
    const p = plan(traceScanSql(q('lookback=1h&minDuration=1s')));
    expect(p).toMatch(/SEARCH t USING INDEX traces_start/);
    expect(p).not.toMatch(/USE TEMP B-TREE FOR ORDER BY/);
  });
});
