/**
 * Issue 8 through the real Worker app inside workerd: spans posted to the ingest routes with
 * SAMPLE_RATE=0.001 are dropped by sampling, yet the RED metrics, the Jaeger monitor API and the
 * registry count every one of them exactly. The app is called with the test bindings plus
 * SAMPLE_RATE=0.001 (Hono's `app.request(url, init, env, ctx)`), and the request's `waitUntil`
 * work is awaited, so nothing here waits on a clock.
 */
import { createExecutionContext, env, runInDurableObject, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { metricsUrl } from '../web/src/lib/service-metrics';
import type { TraceAssembler } from '../durable/trace-assembler';
import { app } from '../worker/app';
import { MINUTE_MS, minuteOf, RedAggregate } from '../worker/services/red-aggregate';
import { EDGE_LINGER_MS } from '../worker/services/record-ingest';
import { shardName, shardOf } from '../worker/services/shard';
import { testSpan } from '../worker/services/test-spans';
import { waitForTrace } from './helpers/api';
import { randomHex } from './helpers/spans';

const BASE = 'http://edgetrace.test';
const SAMPLED = { ...env, SAMPLE_RATE: '0.001' } as Env;

async function call(path: string, init: RequestInit = {}, bindings: Env = SAMPLED): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.request(`${BASE}${path}`, init, bindings, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

const getJson = async <T>(path: string): Promise<{ status: number; body: T }> => {
  const res = await call(path);
  return { status: res.status, body: (await res.json()) as T };
};

interface SpanSpec {
  service: string;
  instance: string;
  name: string;
  error?: boolean;
  durationMs: number;
  /** the trace's randomness: 0 is never kept at any rate below 1 */
  keep?: boolean;
  /** OTLP span kind; default 2 (server) */
  kind?: number;
}

/** An OTLP/JSON body, one resource per instance, every span its own trace, with current times. */
function otlpBody(specs: SpanSpec[]): { body: string; traceIds: string[] } {
  const traceIds: string[] = [];
  const byInstance = new Map<string, SpanSpec[]>();
  for (const s of specs) byInstance.set(`${s.service}|${s.instance}`, [...(byInstance.get(`${s.service}|${s.instance}`) ?? []), s]);
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  const body = JSON.stringify({
    resourceSpans: [...byInstance.values()].map((list) => ({
      resource: {
        attributes: [
          { key: 'service.name', value: { stringValue: list[0]!.service } },
          { key: 'service.instance.id', value: { stringValue: list[0]!.instance } },
          { key: 'host.name', value: { stringValue: `${list[0]!.instance}.local` } },
          { key: 'telemetry.sdk.name', value: { stringValue: 'opentelemetry' } },
          { key: 'telemetry.sdk.version', value: { stringValue: '2.12.1' } },
        ],
      },
      scopeSpans: [
        {
          spans: list.map((s) => {
            const traceId = randomHex(9) + (s.keep ? 'f'.repeat(14) : '0'.repeat(14));
            traceIds.push(traceId);
            return {
              traceId,
              spanId: randomHex(8),
              name: s.name,
              kind: s.kind ?? 2,
              startTimeUnixNano: String(nowNs - BigInt(s.durationMs) * 1_000_000n),
              endTimeUnixNano: String(nowNs),
              status: s.error ? { code: 2, message: 'failed' } : {},
            };
          }),
        },
      ],
    })),
  });
  return { body, traceIds };
}

const postOtlpJson = (body: string) => call('/v1/traces', { method: 'POST', headers: { 'content-type': 'application/json' }, body });

const shardFor = (service: string) => env.SERVICE_METRICS.get(env.SERVICE_METRICS.idFromName(shardName(shardOf(service))));

type Family = { name: string; metrics: { labels: { name: string; value: string }[]; metricPoints: { gaugeValue: { doubleValue: number }; timestamp: string }[] }[] };

interface Summary {
  operation: string;
  spanKind: string;
  calls: number;
  errors: number;
  p50: number;
  p95: number;
  p99: number;
}

describe('RED metrics before sampling', () => {
  it('count every span exactly at SAMPLE_RATE=0.001, though sampling stores none of them', async () => {
    const service = `checkout-${randomHex(3)}`;
    const specs: SpanSpec[] = [];
    for (let i = 0; i < 120; i++)
      specs.push({ service, instance: i % 3 === 0 ? 'pod-a' : 'pod-b', name: i % 4 === 0 ? 'POST /pay' : 'GET /cart', error: i % 10 === 0, durationMs: i % 4 === 0 ? 40 : 8 });
    const first = otlpBody(specs.slice(0, 70));
    const second = otlpBody(specs.slice(70));
    expect((await postOtlpJson(first.body)).status).toBe(200);
    expect((await postOtlpJson(second.body)).status).toBe(200);

    // sampling kept none of them
    for (const id of [first.traceIds[0]!, second.traceIds[5]!]) expect((await call(`/api/traces/${id}`)).status).toBe(404);

    const { status, body } = await getJson<{ data: Summary[] }>(`/api/metrics/summary?service=${service}&lookback=1h`);
    expect(status).toBe(200);
    expect(body.data.map((r) => [r.operation, r.spanKind, r.calls, r.errors])).toEqual([
      ['GET /cart', 'server', 90, 6],
      ['POST /pay', 'server', 30, 6],
    ]);
    expect(body.data[1]).toMatchObject({ p50: 40, p95: 40, p99: 40 });
  });

  it('counts spans of kept and dropped traces alike, once each', async () => {
    const service = `cart-${randomHex(3)}`;
    const specs = Array.from({ length: 20 }, (_, i): SpanSpec => ({ service, instance: 'pod-a', name: 'GET /items', durationMs: 5, keep: i < 4 }));
    const { body, traceIds } = otlpBody(specs);
    expect((await postOtlpJson(body)).status).toBe(200);
    expect((await call(`/api/traces/${traceIds[0]}`)).status).not.toBe(404);
    const summary = await getJson<{ data: Summary[] }>(`/api/metrics/summary?service=${service}`);
    expect(summary.body.data.map((r) => r.calls)).toEqual([20]);
  });

  it('counts a request answered 503 and sent again whole once, not twice', async () => {
    const service = `retry-${randomHex(3)}`;
    const specs = Array.from({ length: 6 }, (_, i): SpanSpec => ({ service, instance: 'pod-a', name: 'GET /retry', durationMs: 5, keep: i === 0 }));
    const { body, traceIds } = otlpBody(specs);
    // the kept trace's Durable Object fails once: the edge answers 503 and the exporter retries
    const stub = env.TRACE_ASSEMBLER.get(env.TRACE_ASSEMBLER.idFromName(traceIds[0]!));
    await runInDurableObject(stub, (instance: TraceAssembler) => {
      (instance as unknown as { addSpans: () => Promise<never> }).addSpans = () => Promise.reject(new Error('storage overloaded'));
    });
    expect((await postOtlpJson(body)).status).toBe(503);
    await runInDurableObject(stub, (instance: TraceAssembler) => {
      delete (instance as unknown as { addSpans?: unknown }).addSpans;
    });
    expect((await postOtlpJson(body)).status).toBe(200);
    const summary = await getJson<{ data: Summary[] }>(`/api/metrics/summary?service=${service}`);
    expect(summary.body.data.map((r) => r.calls)).toEqual([6]);
  });

  it('serves the Jaeger monitor API: call rates, error shares and latency quantiles per operation', async () => {
    const service = `pay-${randomHex(3)}`;
    const specs = Array.from({ length: 40 }, (_, i): SpanSpec => ({ service, instance: 'pod-a', name: i < 10 ? 'POST /refund' : 'POST /charge', error: i < 5, durationMs: i < 10 ? 120 : 30 }));
    await postOtlpJson(otlpBody(specs).body);
    const q = `service=${service}&groupByOperation=true&spanKind=server&lookback=600000&step=60000&ratePer=600000`;
    const last = (f: Family, op: string) => f.metrics.find((m) => m.labels[0]!.value === op)!.metricPoints.at(-1)!.gaugeValue.doubleValue;

    const calls = (await getJson<Family>(`/api/metrics/calls?${q}`)).body;
    expect(calls.name).toBe('service_operation_call_rate');
    expect(calls.metrics.map((m) => m.labels)).toEqual([
      [
        { name: 'operation', value: 'POST /charge' },
        { name: 'service_name', value: service },
      ],
      [
        { name: 'operation', value: 'POST /refund' },
        { name: 'service_name', value: service },
      ],
    ]);
    expect(last(calls, 'POST /charge') / last(calls, 'POST /refund')).toBeCloseTo(3, 9);
    // the last point is at endTs, the server's now: 30 calls over the time since the first minute
    // that started within ratePer of it
    const t = Date.parse(calls.metrics[0]!.metricPoints.at(-1)!.timestamp);
    const coveredS = (t - Math.ceil((t - 600_000) / MINUTE_MS) * MINUTE_MS) / 1000;
    expect(last(calls, 'POST /charge')).toBeCloseTo(30 / coveredS, 9);

    const errors = (await getJson<Family>(`/api/metrics/errors?${q}`)).body;
    expect(errors.name).toBe('service_operation_error_rate');
    expect([last(errors, 'POST /refund'), last(errors, 'POST /charge')]).toEqual([0.5, 0]);

    const latencies = (await getJson<Family>(`/api/metrics/latencies?${q}&quantile=0.95`)).body;
    expect(latencies.name).toBe('service_operation_latencies');
    expect([last(latencies, 'POST /refund'), last(latencies, 'POST /charge')]).toEqual([120, 30]);

    const byService = (await getJson<Family>(`/api/metrics/errors?service=${service}&lookback=600000&step=60000`)).body;
    expect(byService.name).toBe('service_error_rate');
    expect(byService.metrics[0]!.metricPoints.at(-1)!.gaugeValue.doubleValue).toBe(5 / 40);
  });

  it('gives a steady service its absolute call rate when endTs falls partway through a minute', async () => {
    const service = `steady-${randomHex(3)}`;
    // 1 call/s for 17 minutes that are over, handed to the shard as the edge hands them
    const m = minuteOf(Date.now()) - 30;
    const agg = new RedAggregate();
    for (let minute = m - 16; minute <= m; minute++) for (let s = 0; s < 60; s++) agg.addSpan(testSpan({ service }), minute * MINUTE_MS + s * 1000);
    await shardFor(service).add({ shard: shardOf(service), deltas: agg.toDeltas() });
    // the Services page's request (step = ratePer = 1 minute), 5 s into minute m
    const { body } = await getJson<Family>(`/api/metrics/calls?service=${service}&endTs=${m * MINUTE_MS + 5000}&lookback=900000&step=60000&ratePer=60000`);
    expect(body.metrics[0]!.metricPoints.map((p) => p.gaugeValue.doubleValue)).toEqual(Array.from({ length: 16 }, () => 1));
  });

  it('gives a queue worker that only consumes messages a rate on the Services page', async () => {
    const service = `queue-${randomHex(3)}`;
    await postOtlpJson(otlpBody(Array.from({ length: 12 }, (): SpanSpec => ({ service, instance: 'worker-1', name: 'process order', kind: 5, durationMs: 20 }))).body);
    const page = (await getJson<Family>(metricsUrl('calls', [service], 900_000, Date.now()))).body;
    expect(page.metrics.map((m) => m.labels)).toEqual([[{ name: 'service_name', value: service }]]);
    expect(Math.max(...page.metrics[0]!.metricPoints.map((p) => p.gaugeValue.doubleValue))).toBeGreaterThan(0);
    // the API itself keeps Jaeger's default: server spans only
    const jaeger = (await getJson<Family>(`/api/metrics/calls?service=${service}&lookback=900000&step=60000`)).body;
    expect(jaeger.metrics).toEqual([]);
  });

  it('answers a bad parameter with 400 naming it', async () => {
    const cases: [string, string][] = [
      ['/api/metrics/calls', 'service'],
      ['/api/metrics/latencies?service=a', 'quantile'],
      ['/api/metrics/calls?service=a&lookback=604800000&step=1', 'step'],
      ['/api/metrics/calls?service=a&spanKind=sideways', 'spanKind'],
      ['/api/metrics/calls?service=a&ratePer=1000', 'ratePer'],
      ['/api/metrics/summary', 'service'],
      ['/api/metrics/summary?service=a&lookback=soon', 'lookback'],
      ['/api/dependencies?endTs=yesterday', 'endTs'],
      ['/api/service-map?lookback=-5', 'lookback'],
    ];
    for (const [path, param] of cases) {
      const { status, body } = await getJson<{ data: null; errors: { code: number; msg: string }[] }>(path);
      expect([path, status]).toEqual([path, 400]);
      expect(body.data).toBeNull();
      expect(body.errors[0]!.msg).toContain(param);
    }
  });
});

describe('service registry', () => {
  it('lists each service with its instances, host, SDK and first/last seen, live', async () => {
    const service = `auth-${randomHex(3)}`;
    const before = Date.now();
    await postOtlpJson(otlpBody([
      { service, instance: 'pod-1', name: 'login', durationMs: 3 },
      { service, instance: 'pod-2', name: 'login', durationMs: 3 },
    ]).body);
    type Registry = { data: { service: string; firstSeen: number; lastSeen: number; instances: { id: string; host: string; sdk: string; status: string; firstSeen: number; lastSeen: number }[] }[] };
    const { body } = await getJson<Registry>('/api/registry');
    const entry = body.data.find((s) => s.service === service)!;
    expect(entry.instances.map((i) => [i.id, i.host, i.sdk, i.status])).toEqual([
      ['pod-1', 'pod-1.local', 'opentelemetry 2.12.1', 'live'],
      ['pod-2', 'pod-2.local', 'opentelemetry 2.12.1', 'live'],
    ]);
    expect(entry.firstSeen).toBeGreaterThanOrEqual(before);
    expect(entry.lastSeen).toBeGreaterThanOrEqual(entry.firstSeen);

    // an instance not seen for INSTANCE_TTL_SECONDS is shown as gone: the post above returned
    // after the edge's linger window (EDGE_LINGER_MS), so its spans are older than a second
    expect(EDGE_LINGER_MS).toBeGreaterThan(1000);
    const strict = await call('/api/registry', {}, { ...SAMPLED, INSTANCE_TTL_SECONDS: '1' } as Env);
    const later = ((await strict.json()) as Registry).data.find((s) => s.service === service)!;
    expect(later.instances.map((i) => i.status)).toEqual(['gone', 'gone']);
  });
});

describe('Jaeger /api/services', () => {
  it('lists every service the registry knows, sampled or not, with those of the trace index, once each and sorted', async () => {
    const rare = `rare-${randomHex(3)}`;
    const kept = `kept-${randomHex(3)}`;
    const posted = otlpBody([
      { service: rare, instance: 'pod-a', name: 'nightly', durationMs: 2 },
      { service: kept, instance: 'pod-a', name: 'GET /', durationMs: 2, keep: true },
    ]);
    expect((await postOtlpJson(posted.body)).status).toBe(200);
    // the kept trace reaches the index once its Durable Object has written it
    await waitForTrace(posted.traceIds[1]!, 1);
    // the registry's services table is written when a shard flushes the minute
    for (const s of [rare, kept]) await shardFor(s).flush(Date.now() + 2 * MINUTE_MS);

    const { status, body } = await getJson<{ data: string[]; total: number; errors: null }>('/api/services');
    expect(status).toBe(200);
    expect(body.errors).toBeNull();
    expect(body.data).toContain(rare);
    expect(body.data.filter((s) => s === kept)).toEqual([kept]);
    expect(body.data).toEqual([...body.data].sort());
    expect(body.total).toBe(body.data.length);
  });
});
