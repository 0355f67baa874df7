/**
 * The service map inside workerd: edges recorded from assembled traces into real local D1,
 * weighted by the adjusted count, exact under re-flushes and retries, and served by Jaeger's
 * `/api/dependencies` and the native `/api/service-map` after a trace goes through the real Worker.
 */
import { SELF, env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { SpanKind, type Span, type TraceId, type TraceSummary, type UnixNanos } from '../worker/span/model';
import { DependencyRecorder } from '../worker/services/dependency-store';
import { testSpan } from '../worker/services/test-spans';
import { BASE, postOtlp, waitForTrace } from './helpers/api';
import { randomHex } from './helpers/spans';

function summary(traceId: string, startMs: number, version: number, adjustedCount: number): TraceSummary {
  return {
    traceId: traceId as TraceId,
    startTimeUnixNano: (BigInt(startMs) * 1_000_000n).toString() as UnixNanos,
    durationNanos: '0' as TraceSummary['durationNanos'],
    rootService: '',
    rootOperation: '',
    spanCount: 0,
    errorCount: 0,
    orphanCount: 0,
    services: {},
    sampleRate: 1 / adjustedCount,
    adjustedCount,
    version,
  };
}

async function write(spans: Span[], s: TraceSummary): Promise<void> {
  const rec = new DependencyRecorder();
  for (const span of spans) rec.add(span);
  await rec.write(env.DB, s);
}

interface EdgeRow {
  child: string;
  bucket_ms: number;
  calls: number;
  errors: number;
  /** the histogram's total */
  hist: number;
}

async function edges(parent: string): Promise<EdgeRow[]> {
  const { results } = await env.DB.prepare('SELECT child, bucket_ms, calls, errors, hist FROM dependency_edges WHERE parent = ? ORDER BY child, bucket_ms')
    .bind(parent)
    .all<Omit<EdgeRow, 'hist'> & { hist: string }>();
  return results.map((r) => ({ ...r, hist: Object.values(JSON.parse(r.hist) as Record<string, number>).reduce((a, b) => a + b, 0) }));
}

/** api SERVER → api CLIENT → db-svc SERVER, and api CLIENT (peer.service=cache) */
function trace(api: string, opts: { late?: boolean; failed?: boolean } = {}): Span[] {
  const traceId = randomHex(16);
  const spans = [
    testSpan({ traceId, service: api, spanId: '1'.padStart(16, '0'), kind: SpanKind.SERVER }),
    testSpan({ traceId, service: api, spanId: '2'.padStart(16, '0'), parentSpanId: '1'.padStart(16, '0'), kind: SpanKind.CLIENT, durationMs: 30 }),
    testSpan({ traceId, service: `${api}-db`, spanId: '3'.padStart(16, '0'), parentSpanId: '2'.padStart(16, '0'), kind: SpanKind.SERVER, error: opts.failed }),
  ];
  if (opts.late)
    spans.push(
      testSpan({ traceId, service: api, spanId: '4'.padStart(16, '0'), parentSpanId: '1'.padStart(16, '0'), kind: SpanKind.CLIENT, attributes: [{ key: 'peer.service', value: { stringValue: `${api}-cache` } }] }),
    );
  return spans;
}

describe('dependency edges in D1', () => {
  const start = 1_767_225_900_000; // a bucket boundary

  it('are weighted by the adjusted count and merge with other traces of the bucket', async () => {
    const api = `api-${randomHex(3)}`;
    const a = trace(api);
    const b = trace(api, { failed: true });
    await write(a, summary(a[0]!.traceId, start, 1, 1000));
    await write(b, summary(b[0]!.traceId, start + 1000, 1, 10));
    expect(await edges(api)).toEqual([{ child: `${api}-db`, bucket_ms: start, calls: 1010, errors: 10, hist: 1010 }]);
  });

  it('add nothing when a write is retried, and only the difference when late spans re-flush the trace', async () => {
    const api = `api-${randomHex(3)}`;
    const first = trace(api);
    const traceId = first[0]!.traceId;
    await write(first, summary(traceId, start, 1, 100));
    await write(first, summary(traceId, start, 1, 100));
    expect(await edges(api)).toEqual([{ child: `${api}-db`, bucket_ms: start, calls: 100, errors: 0, hist: 100 }]);

    const withLate = trace(api, { late: true }).map((s) => ({ ...s, traceId }));
    await write(withLate, summary(traceId, start, 2, 100));
    await write(first, summary(traceId, start, 1, 100)); // an older version arriving late changes nothing
    expect(await edges(api)).toEqual([
      { child: `${api}-cache`, bucket_ms: start, calls: 100, errors: 0, hist: 100 },
      { child: `${api}-db`, bucket_ms: start, calls: 100, errors: 0, hist: 100 },
    ]);

    // a re-flush whose start moved into the previous bucket moves the trace's edges with it
    await write(withLate, summary(traceId, start - 1, 3, 100));
    const moved = await edges(api);
    expect(moved.filter((e) => e.calls > 0).map((e) => [e.child, e.bucket_ms, e.calls])).toEqual([
      [`${api}-cache`, start - 300_000, 100],
      [`${api}-db`, start - 300_000, 100],
    ]);
    expect(moved.filter((e) => e.bucket_ms === start).every((e) => e.calls === 0 && e.hist === 0)).toBe(true);
  });
});

describe('service map window', () => {
  const start = 1_767_226_800_000; // a bucket boundary no other test writes to

  it('counts only the 5-minute buckets that start inside [endTs − lookback, endTs)', async () => {
    const api = `win-${randomHex(3)}`;
    const before = trace(api); // in the bucket before `start`
    const inside = trace(api); // in the bucket that starts at `start`
    await write(before, summary(before[0]!.traceId, start - 299_000, 1, 10));
    await write(inside, summary(inside[0]!.traceId, start + 1000, 1, 100));
    const calls = async (path: string, endTs: number, lookback: number) => {
      const res = (await (await SELF.fetch(`${BASE}${path}?endTs=${endTs}&lookback=${lookback}`)).json()) as { data: { parent: string; callCount: number }[] };
      return res.data.filter((d) => d.parent === api).map((d) => d.callCount);
    };
    // the window starts a minute into the earlier bucket: that bucket is not counted
    expect(await calls('/api/dependencies', start + 60_000, 120_000)).toEqual([100]);
    expect(await calls('/api/service-map', start + 60_000, 120_000)).toEqual([100]);
    // a window ending where a bucket starts leaves that bucket to the next window
    expect(await calls('/api/dependencies', start, 300_000)).toEqual([10]);
    expect(await calls('/api/dependencies', start + 300_000, 300_000)).toEqual([100]);
    expect(await calls('/api/dependencies', start + 300_000, 600_000)).toEqual([110]);
  });
});

describe('service map through the Worker', () => {
  it('serves a trace\'s caller → callee edges on /api/dependencies and /api/service-map', async () => {
    const api = `front-${randomHex(3)}`;
    const traceId = randomHex(16);
    const now = BigInt(Date.now()) * 1_000_000n;
    const ms = (n: number) => String(now + BigInt(n) * 1_000_000n);
    const resource = (service: string) => ({ attributes: [{ key: 'service.name', value: { stringValue: service } }] });
    const body = JSON.stringify({
      resourceSpans: [
        {
          resource: resource(api),
          scopeSpans: [
            {
              spans: [
                { traceId, spanId: 'a'.repeat(16), name: 'GET /', kind: 2, startTimeUnixNano: ms(0), endTimeUnixNano: ms(100) },
                { traceId, spanId: 'b'.repeat(16), parentSpanId: 'a'.repeat(16), name: 'GET cart', kind: 3, startTimeUnixNano: ms(10), endTimeUnixNano: ms(60) },
              ],
            },
          ],
        },
        {
          resource: resource(`${api}-cart`),
          scopeSpans: [
            {
              spans: [
                { traceId, spanId: 'c'.repeat(16), parentSpanId: 'b'.repeat(16), name: 'GET /cart', kind: 2, startTimeUnixNano: ms(15), endTimeUnixNano: ms(55), status: { code: 2 } },
              ],
            },
          ],
        },
      ],
    });
    expect((await postOtlp(body)).status).toBe(200);
    await waitForTrace(traceId, 3);

    const deps = (await (await SELF.fetch(`${BASE}/api/dependencies?endTs=${Date.now()}&lookback=3600000`)).json()) as { data: unknown[]; errors: unknown };
    expect(deps.errors).toBeNull();
    expect(deps.data).toContainEqual({ parent: api, child: `${api}-cart`, callCount: 1 });

    const map = (await (await SELF.fetch(`${BASE}/api/service-map?lookback=15m`)).json()) as { data: { parent: string; p50: number }[] };
    const edge = map.data.find((e) => e.parent === api)!;
    expect(edge).toMatchObject({ child: `${api}-cart`, callCount: 1, errorCount: 1 });
    // the caller waited 50 ms (its CLIENT span); one call: the percentiles sit in its bucket
    expect(Math.abs(edge.p50 / 50 - 1)).toBeLessThan(0.19);
  });
});
