/**
 * The site's native search API through the real Worker: traces posted over OTLP are assembled by
 * their Durable Objects and indexed in D1 by the flush, then found by `/api/search` with exactly
 * the URLs the site builds (web/src/lib/search-query.ts) and the response checked by the site's
 * own validator (web/src/lib/api-validate.ts). Also `/api/tags/*`, `/api/operations` and OTLP export.
 */
import { SELF, runInDurableObject, env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateNameList, validateOperations, validateSearchResponse, validateTraceResponse } from '../web/src/lib/api-validate';
import { readTraceLines } from '../web/src/lib/trace-lines';
import { emptyQuery, searchApiUrl, type SearchQuery } from '../web/src/lib/search-query';
import { decodeOtlpJson } from '../worker/ingest/otlp-json';
import type { TraceId } from '../worker/span/model';
import { otlpTrace, randomTraceId, type TestSpan } from '../worker/query/search-test-traces';
import { BASE, postOtlp } from './helpers/api';

const u = randomTraceId().slice(0, 8);
const GW = `gateway-${u}`;
const CART = `cart-${u}`;
const DB = `db-${u}`;
const NOW_US = Date.now() * 1000;
const MIN_US = 60_000_000;

/** gateway (root) → cart → db: the root has the HTTP attributes, the leaf the database ones. */
const shop = (o: { status: number; error?: boolean; ms: number }): TestSpan[] => [
  { service: GW, name: 'GET /cart', end: o.ms, attrs: { 'http.request.method': 'GET', 'http.route': '/cart', 'http.response.status_code': o.status } },
  { service: CART, name: 'load cart', parent: 0, start: 1, end: o.ms - 1, kind: 1 },
  { service: DB, name: 'SELECT carts', parent: 1, start: 2, end: o.ms - 2, kind: 3, attrs: { 'db.system': 'postgresql' }, error: o.error },
];

const A = randomTraceId(); // 10 min ago, 50 ms, fine
const B = randomTraceId(); // 5 min ago, 2 s, failed
const C = randomTraceId(); // 3 h ago, 1 ms health check

async function get(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await SELF.fetch(`${BASE}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Polls the search until it lists `n` traces (the index is written right after the R2 object). */
async function waitForSearch(path: string, n: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const { body } = await get(path);
    if (Array.isArray(body.data) && body.data.length >= n) return;
    if (Date.now() > deadline) throw new Error(`${path}: expected ${n} traces, got ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Searches as the site does: the URL from its query builder, the body through its validator. */
async function siteSearch(patch: Partial<SearchQuery>, cursor?: string) {
  const url = searchApiUrl({ ...emptyQuery(), ...patch }, cursor);
  if (!url.ok) throw new Error(`site query invalid: ${url.error.message}`);
  const { status, body } = await get(url.value);
  expect(status, url.value).toBe(200);
  const page = validateSearchResponse(body);
  if (!page.ok) throw new Error(`${url.value}: ${page.error.path} ${page.error.message}`);
  return page.value;
}
const idsOf = (page: { traces: { traceId: string }[] }) => page.traces.map((t) => t.traceId);

beforeAll(async () => {
  for (const [id, startUs, spans] of [
    [A, NOW_US - 10 * MIN_US, shop({ status: 200, ms: 50 })],
    [B, NOW_US - 5 * MIN_US, shop({ status: 500, error: true, ms: 2000 })],
    [C, NOW_US - 180 * MIN_US, [{ service: GW, name: 'GET /health', end: 1, attrs: { 'http.route': '/health' } }]],
  ] as const) {
    expect((await postOtlp(otlpTrace(id, startUs, spans))).status).toBe(200);
  }
  await waitForSearch(`/api/search?service=${GW}&lookback=1d`, 3);
});

describe('GET /api/search (the site)', () => {
  it('returns summaries newest first, each with root, span count per service, errors and adjusted count', async () => {
    const page = await siteSearch({ service: GW, lookback: '1d' });
    expect(idsOf(page)).toEqual([B, A, C]);
    expect(page.nextCursor).toBeUndefined();
    expect(page.traces[0]).toEqual({
      traceId: B,
      startUs: NOW_US - 5 * MIN_US,
      durationUs: 2_000_000,
      rootService: GW,
      rootOperation: 'GET /cart',
      spanCount: 3,
      errorCount: 1,
      orphanCount: 0,
      services: { [GW]: 1, [CART]: 1, [DB]: 1 },
      adjustedCount: 1,
      sampleRate: 1,
      version: 1,
    });
  });

  it('finds a trace by a service and operation that are not its root', async () => {
    expect(idsOf(await siteSearch({ service: DB, lookback: '1d' }))).toEqual([B, A]);
    expect(idsOf(await siteSearch({ service: CART, operation: 'load cart', lookback: '1d' }))).toEqual([B, A]);
    expect(idsOf(await siteSearch({ service: CART, operation: 'GET /cart', lookback: '1d' }))).toEqual([]);
  });

  it('filters by attributes, errors only, duration and time range', async () => {
    expect(idsOf(await siteSearch({ service: GW, tags: ['http.response.status_code=500'], lookback: '1d' }))).toEqual([B]);
    expect(idsOf(await siteSearch({ tags: ['db.system=postgresql', 'http.route=/cart'], lookback: '1d' }))).toEqual([B, A]);
    expect(idsOf(await siteSearch({ service: GW, errorsOnly: true, lookback: '1d' }))).toEqual([B]);
    expect(idsOf(await siteSearch({ service: GW, minDuration: '1s', lookback: '1d' }))).toEqual([B]);
    expect(idsOf(await siteSearch({ service: GW, maxDuration: '100ms', lookback: '1d' }))).toEqual([A, C]);
    expect(idsOf(await siteSearch({ service: GW, minDuration: '2ms', maxDuration: '1.5s', lookback: '1d' }))).toEqual([A]);
    expect(idsOf(await siteSearch({ service: GW, lookback: '1h' }))).toEqual([B, A]);
    expect(idsOf(await siteSearch({ service: GW, lookback: 'custom', start: NOW_US - 200 * MIN_US, end: NOW_US - 7 * MIN_US }))).toEqual([A, C]);
  });

  it('pages with the cursor of the previous page', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 3; i++) {
      const page = await siteSearch({ service: GW, lookback: '1d', limit: 1 }, cursor);
      seen.push(...idsOf(page));
      cursor = page.nextCursor;
      if (i < 2) expect(cursor).toBeTypeOf('string');
    }
    expect(seen).toEqual([B, A, C]);
    expect(cursor).toBeUndefined();
  });

  it('answers 400 naming the parameter for each bad one', async () => {
    const cases: [string, string][] = [
      ['cursor=bm90LWEtY3Vyc29y', 'cursor'],
      ['minDuration=5x', 'minDuration'],
      ['maxDuration=-1s', 'maxDuration'],
      ['minDuration=2s&maxDuration=1s', 'maxDuration'],
      ['limit=0', 'limit'],
      ['limit=1501', 'limit'],
      ['lookback=yesterday', 'lookback'],
      ['start=10&end=5', 'end'],
      ['start=soon&end=5', 'start'],
      ['error=maybe', 'error'],
      ['operation=x', 'operation'],
      ['tags=%7Bnot-json', 'tags'],
      ['tags=%7B%22customer.id%22%3A%2242%22%7D', 'tags'],
    ];
    for (const [query, param] of cases) {
      const { status, body } = await get(`/api/search?${query}`);
      expect(status, query).toBe(400);
      expect(body, query).toMatchObject({ data: null, errors: [{ code: 400 }] });
      expect((body.errors as { msg: string }[])[0]!.msg, query).toContain(param);
    }
  });
});

describe('autocomplete and operations', () => {
  it('lists the indexed keys and the values a key has', async () => {
    const keys = validateNameList((await get('/api/tags/keys')).body);
    expect(keys.ok && keys.value).toEqual(expect.arrayContaining(['http.route', 'http.response.status_code', 'error', 'db.system']));
    const values = validateNameList((await get('/api/tags/values?key=http.route')).body);
    expect(values.ok && values.value).toEqual(expect.arrayContaining(['/cart', '/health']));
    const status = validateNameList((await get('/api/tags/values?key=http.response.status_code')).body);
    expect(status.ok && status.value).toEqual(expect.arrayContaining(['200', '500']));
    expect((await get('/api/tags/values')).status).toBe(400);
    expect((await get('/api/tags/values?key=customer.id')).status).toBe(400);
  });

  it('lists a service operations with their span kind', async () => {
    const ops = validateOperations((await get(`/api/operations?service=${DB}`)).body);
    expect(ops.ok && ops.value).toEqual([{ name: 'SELECT carts', spanKind: 'client' }]);
    const servers = validateOperations((await get(`/api/operations?service=${GW}&spanKind=server`)).body);
    expect(servers.ok && servers.value.map((o) => o.name)).toEqual(['GET /cart', 'GET /health']);
    expect((await get(`/api/operations?service=${GW}&spanKind=client`)).body.data).toEqual([]);
    expect((await get('/api/operations')).status).toBe(400);
    expect((await get(`/api/operations?service=${GW}&spanKind=sideways`)).status).toBe(400);
  });
});

describe('GET /api/traces/{id}', () => {
  it('exports a finished trace as OTLP/JSON that ingest accepts back', async () => {
    const res = await SELF.fetch(`${BASE}/api/traces/${A}?format=otlp`);
    expect(res.status).toBe(200);
    const text = await res.text();
    const decoded = decodeOtlpJson(JSON.parse(text));
    expect(decoded.rejected).toEqual([]);
    expect(decoded.spans.map((s) => `${s.service} ${s.name}`).sort()).toEqual([`${CART} load cart`, `${DB} SELECT carts`, `${GW} GET /cart`]);
  });

  it('answers from the Durable Object, marked partial, while the trace is still assembling', async () => {
    const id = randomTraceId();
    const { spans } = decodeOtlpJson(JSON.parse(otlpTrace(id, NOW_US, shop({ status: 200, ms: 30 }))));
    const stub = env.TRACE_ASSEMBLER.get(env.TRACE_ASSEMBLER.idFromName(id));
    await runInDurableObject(stub, async (instance, state) => {
      await instance.addSpans({ traceId: id as TraceId, spans, sampleRate: 1 });
      await state.storage.deleteAlarm(); // keep it assembling
    });
    const { status, body } = await get(`/api/traces/${id}`);
    expect(status).toBe(200);
    const trace = (body.data as { partial: boolean; spans: unknown[] }[])[0]!;
    expect(trace.partial).toBe(true);
    expect(trace.spans).toHaveLength(3);
    const otlp = await (await SELF.fetch(`${BASE}/api/traces/${id}?format=otlp`)).json();
    expect(decodeOtlpJson(otlp).spans).toHaveLength(3);
  });

  it('sends the site its lines format: the same trace, read line by line by the site reader', async () => {
    const res = await SELF.fetch(`${BASE}/api/traces/${A}?format=jaeger-lines`);
    expect(res.status).toBe(200);
    // a type Cloudflare compresses on the way out
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const lines = await readTraceLines(res.body!);
    const { body } = await get(`/api/traces/${A}`);
    expect(lines).toEqual((body.data as unknown[])[0]);
    // and what the site validates it with accepts it
    expect(validateTraceResponse({ data: [lines] }).ok).toBe(true);
  });

  it('rejects an unknown format', async () => {
    const { status, body } = await get(`/api/traces/${A}?format=xml`);
    expect(status).toBe(400);
    expect((body.errors as { msg: string }[])[0]!.msg).toContain('format');
  });
});
