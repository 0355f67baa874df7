/**
 * The Jaeger HTTP JSON API through the real Worker, every parameter and every error: traces posted
 * over OTLP, assembled and indexed by the real flush, then read back as the Jaeger UI asks for them
 * (including the empty parameters it sends for unset fields).
 */
import { SELF, env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { traceKey } from '../durable/trace-assembler';
import { encodeTraceStream } from '../durable/trace-codec';
import type { AssembledSpan, SpanId, TraceId, TraceSummary, UnixNanos } from '../worker/span/model';
import { otlpTrace, randomTraceId, type TestSpan } from '../worker/query/search-test-traces';
import { BASE, postOtlp, type JaegerTrace } from './helpers/api';

const u = randomTraceId().slice(0, 8);
const API = `api-${u}`;
const STORE = `store-${u}`;
const NOW_US = Date.now() * 1000;
const MIN_US = 60_000_000;
const HOUR_US = 60 * MIN_US;

interface Envelope {
  data: JaegerTrace[] | null;
  total: number;
  limit: number;
  offset: number;
  errors: { code: number; msg: string }[] | null;
}

const call = (method: string, ms: number, o: { status?: number; error?: boolean; peer?: string } = {}): TestSpan[] => [
  { service: API, name: method, end: ms, attrs: { 'http.request.method': method.split(' ')[0]!, 'http.response.status_code': o.status ?? 200 } },
  { service: API, name: 'store call', parent: 0, start: ms * 0.1, end: ms * 0.9, kind: 3, attrs: { 'peer.service': o.peer ?? STORE } },
  { service: STORE, name: 'Put', parent: 1, start: ms * 0.2, end: ms * 0.8, attrs: { 'rpc.method': 'Put' }, error: o.error },
];

const FAST = randomTraceId(); // 10 min ago, 1.2 ms
const SLOW = randomTraceId(); // 30 min ago, 3 s, store failed
const OLD = randomTraceId(); // 30 h ago, 500 µs

async function get(path: string): Promise<{ status: number; body: Envelope }> {
  const res = await SELF.fetch(`${BASE}${path}`);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return { status: res.status, body: (await res.json()) as Envelope };
}
const traceIds = (b: Envelope) => (b.data ?? []).map((t) => t.traceID);
const search = async (query: string) => {
  const { status, body } = await get(`/api/traces?service=${API}&${query}`);
  expect(status, query).toBe(200);
  return traceIds(body);
};

beforeAll(async () => {
  for (const [id, startUs, spans] of [
    [FAST, NOW_US - 10 * MIN_US, call('GET /items', 1.2)],
    [SLOW, NOW_US - 30 * MIN_US, call('POST /items', 3000, { status: 503, error: true })],
    [OLD, NOW_US - 30 * HOUR_US, call('GET /items', 0.5)],
  ] as const) {
    expect((await postOtlp(otlpTrace(id, startUs, spans))).status).toBe(200);
  }
  const deadline = Date.now() + 20_000;
  while ((await search('lookback=2d')).length < 3) {
    if (Date.now() > deadline) throw new Error('traces were not indexed');
    await new Promise((r) => setTimeout(r, 100));
  }
});

describe('services and operations', () => {
  it('/api/services lists every service that has a span, /api/services/{s}/operations its operations', async () => {
    const services = await get('/api/services');
    expect(services.body.data).toEqual(expect.arrayContaining([API, STORE]));
    expect(services.body).toMatchObject({ total: (services.body.data as unknown as string[]).length, errors: null });
    expect((await get(`/api/services/${API}/operations`)).body.data).toEqual(['GET /items', 'POST /items', 'store call']);
    expect((await get(`/api/services/${encodeURIComponent(STORE)}/operations`)).body.data).toEqual(['Put']);
    expect((await get('/api/services/nobody/operations')).body.data).toEqual([]);
  });

  it('/api/operations gives name and span kind, filtered by spanKind', async () => {
    expect((await get(`/api/operations?service=${API}`)).body.data).toEqual([
      { name: 'GET /items', spanKind: 'server' },
      { name: 'POST /items', spanKind: 'server' },
      { name: 'store call', spanKind: 'client' },
    ]);
    expect((await get(`/api/operations?service=${API}&spanKind=client`)).body.data).toEqual([{ name: 'store call', spanKind: 'client' }]);
  });
});

describe('GET /api/traces', () => {
  it('returns whole Jaeger traces, newest first, in the envelope', async () => {
    const { body } = await get(`/api/traces?service=${API}&lookback=2d&limit=20`);
    expect(body).toMatchObject({ total: 3, limit: 20, offset: 0, errors: null });
    expect(traceIds(body)).toEqual([FAST, SLOW, OLD]);
    const slow = body.data![1]!;
    expect(slow.spans).toHaveLength(3);
    expect(Object.values(slow.processes).map((p) => p.serviceName).sort()).toEqual([API, STORE]);
    expect(slow.partial).toBe(false);
  });

  it('filters by operation, tags (JSON and repeated tag=key:value) and the error tag', async () => {
    expect(await search('operation=POST%20%2Fitems&lookback=2d')).toEqual([SLOW]);
    expect(await search('operation=Put&lookback=2d')).toEqual([]);
    expect(await search(`tags=${encodeURIComponent('{"http.response.status_code":"503"}')}&lookback=2d`)).toEqual([SLOW]);
    expect(await search(`tags=${encodeURIComponent('{"http.response.status_code":200}')}&lookback=2d`)).toEqual([FAST, OLD]);
    expect(await search('tag=rpc.method:Put&tag=http.request.method:GET&lookback=2d')).toEqual([FAST, OLD]);
    expect(await search(`tag=peer.service:${STORE}&lookback=2d`)).toEqual([FAST, SLOW, OLD]);
    expect(await search(`tags=${encodeURIComponent('{"error":"true"}')}&lookback=2d`)).toEqual([SLOW]);
  });

  it('takes start/end in µs, lookback, and Go durations for minDuration/maxDuration', async () => {
    expect(await search(`start=${NOW_US - 40 * MIN_US}&end=${NOW_US - 20 * MIN_US}`)).toEqual([SLOW]);
    expect(await search(`start=${NOW_US - 40 * MIN_US}`)).toEqual([FAST, SLOW]);
    expect(await search('lookback=1h')).toEqual([FAST, SLOW]);
    expect(await search('lookback=15m')).toEqual([FAST]);
    expect(await search('')).toEqual([FAST, SLOW, OLD]); // Jaeger's default window: 2 days
    expect(await search('lookback=2d&minDuration=1.2ms')).toEqual([FAST, SLOW]);
    expect(await search('lookback=2d&minDuration=1201us')).toEqual([SLOW]);
    expect(await search('lookback=2d&maxDuration=500us')).toEqual([OLD]);
    expect(await search('lookback=2d&minDuration=1ms&maxDuration=2s')).toEqual([FAST]);
    expect(await search('lookback=2d&minDuration=1m')).toEqual([]);
    expect(await search('lookback=2d&limit=2')).toEqual([FAST, SLOW]);
  });

  it('accepts the Jaeger UI request with its empty parameters', async () => {
    const ui = `/api/traces?end=${NOW_US}&limit=20&lookback=1h&maxDuration&minDuration&service=${API}&start=${NOW_US - HOUR_US}`;
    expect(traceIds((await get(ui)).body)).toEqual([FAST, SLOW]);
  });

  it('looks traces up by repeated traceID, saying which were not found', async () => {
    const missing = randomTraceId();
    const { status, body } = await get(`/api/traces?traceID=${OLD}&traceID=${FAST}&traceID=${missing}`);
    expect(status).toBe(200);
    expect(traceIds(body)).toEqual([OLD, FAST]);
    expect(body.errors).toEqual([{ code: 404, msg: `trace ${missing} not found` }]);
  });

  it('answers 400 with an error naming the parameter for each bad one', async () => {
    const cases: [string, string][] = [
      ['lookback=1h', 'service'],
      [`service=${API}&start=yesterday`, 'start'],
      [`service=${API}&end=-5`, 'end'],
      [`service=${API}&start=20&end=10`, 'end'],
      [`service=${API}&lookback=forever`, 'lookback'],
      [`service=${API}&minDuration=10`, 'minDuration'],
      [`service=${API}&minDuration=1y`, 'minDuration'],
      [`service=${API}&maxDuration=fast`, 'maxDuration'],
      [`service=${API}&minDuration=2s&maxDuration=1s`, 'maxDuration'],
      [`service=${API}&limit=0`, 'limit'],
      [`service=${API}&limit=ten`, 'limit'],
      [`service=${API}&limit=100000`, 'limit'],
      [`service=${API}&tags=%7Bbroken`, 'tags'],
      [`service=${API}&tags=%5B1%5D`, 'tags'],
      [`service=${API}&tags=${encodeURIComponent('{"a":{"b":1}}')}`, 'tags'],
      [`service=${API}&tag=novalue`, 'tag'],
      [`service=${API}&tag=customer.id:42`, 'tag'],
      ['traceID=xyz', 'traceID'],
      ['operation=Put', 'operation'],
    ];
    for (const [query, param] of cases) {
      const { status, body } = await get(`/api/traces?${query}`);
      expect(status, query).toBe(400);
      expect(body, query).toMatchObject({ data: null, total: 0, limit: 0, offset: 0, errors: [{ code: 400 }] });
      expect(body.errors![0]!.msg, query).toContain(param);
    }
  });
});

describe('GET /api/traces/{id}', () => {
  it('returns the trace in the envelope, and accepts an id without its leading zeros', async () => {
    const { status, body } = await get(`/api/traces/${FAST.toUpperCase()}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ total: 1, errors: null });
    expect(body.data![0]!.spans.map((s) => s.operationName).sort()).toEqual(['GET /items', 'Put', 'store call']);
    const short = '00000000000000000000000000000abc';
    expect((await get(`/api/traces/abc`)).body.errors![0]!.msg).toContain(short);
  });

  it('is a 404 with errors when unknown and a 400 when the id is not hex', async () => {
    const missing = await get(`/api/traces/${randomTraceId()}`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ data: null, errors: [{ code: 404 }] });
    for (const bad of ['not-hex', '0'.repeat(32), 'f'.repeat(33)]) {
      const r = await get(`/api/traces/${bad}`);
      expect(r.status, bad).toBe(400);
      expect(r.body.errors![0]!.msg).toContain('traceID');
    }
  });
});

describe('a large trace', () => {
  it('is streamed from its R2 object chunk by chunk, as Jaeger JSON and as OTLP/JSON, whole and in order', async () => {
    const N = 25_000; // 25 chunks of the R2 object
    const id = randomTraceId() as TraceId;
    const services = ['edge', 'worker', 'db'];
    const base = BigInt(NOW_US) * 1000n;
    function* chunks(): Generator<AssembledSpan[]> {
      for (let c = 0; c < N; c += 1000) {
        yield Array.from({ length: Math.min(1000, N - c) }, (_, k): AssembledSpan => {
          const i = c + k;
          const service = services[i % 3]!;
          return {
            traceId: id,
            spanId: (i + 1).toString(16).padStart(16, '0') as SpanId,
            ...(i > 0 ? { parentSpanId: '0000000000000001' as SpanId } : {}),
            name: `step ${i}`,
            kind: 1,
            service,
            resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
            startTimeUnixNano: String(base + BigInt(i) * 1000n) as UnixNanos,
            endTimeUnixNano: String(base + BigInt(i) * 1000n + 500n) as UnixNanos,
            attributes: [{ key: 'i', value: { intValue: String(i) } }],
            events: [],
            links: [],
            status: { code: 0 },
          };
        });
      }
    }
    const summary: TraceSummary = {
      traceId: id,
      startTimeUnixNano: String(base) as UnixNanos,
      durationNanos: String(N * 1000) as TraceSummary['durationNanos'],
      rootService: 'edge',
      rootOperation: 'step 0',
      spanCount: N,
      errorCount: 0,
      orphanCount: 0,
      services: { edge: 8334, worker: 8333, db: 8333 },
      sampleRate: 1,
      adjustedCount: 1,
      version: 1,
    };
    await env.TRACES.put(traceKey(id), await encodeTraceStream({ traceId: id, version: 1, summary, warnings: [], spanCount: N }, chunks()));

    const jaeger = (await (await SELF.fetch(`${BASE}/api/traces/${id}`)).json()) as Envelope;
    const trace = jaeger.data![0]!;
    expect(trace.spans).toHaveLength(N);
    expect(trace.spans.every((s, i) => s.operationName === `step ${i}`)).toBe(true);
    expect(Object.values(trace.processes).map((p) => p.serviceName).sort()).toEqual(['db', 'edge', 'worker']);
    expect(trace.spans[N - 1]!.tags).toContainEqual({ key: 'i', type: 'int64', value: N - 1 });

    const otlp = (await (await SELF.fetch(`${BASE}/api/traces/${id}?format=otlp`)).json()) as {
      resourceSpans: { scopeSpans: { spans: { name: string }[] }[] }[];
    };
    const names = otlp.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((x) => x.name)));
    expect(names).toHaveLength(N);
    expect(new Set(names).size).toBe(N);
  });
});
