/**
 * Services routes (issue 8): the registry, the service map (Jaeger's `/api/dependencies` and the
 * native `/api/service-map`), and RED metrics counted before sampling (Jaeger's monitor API
 * `/api/metrics/{calls,errors,latencies}` and the native `/api/metrics/summary`). Thin: validate
 * parameters, read D1 and the metrics shards (worker/services/metrics-read.ts), shape the answer.
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import { readServicesConfig } from '../services/config';
import { loadMetricGroups, loadRegistryEntries } from '../services/metrics-read';
import { booleanParam, durationMs, quantileParam, requiredService, spanKinds, timestampMs } from '../services/params';
import { minuteOf, MINUTE_MS } from '../services/red-aggregate';
import { MAX_POINTS, metricFamily, pointCount, type MetricKind } from '../services/red-series';
import { operationSummary } from '../services/red-summary';
import { buildRegistry } from '../services/registry';
import { dependencyLinks, serviceMapEdges, type EdgeRow } from '../services/service-map';
import { EDGE_BUCKET_MS } from '../services/dependencies';
import { ApiError } from '../http-error';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function envelope<T>(data: T, total: number) {
  return { data, total, limit: 0, offset: 0, errors: null };
}

const query = (c: Context) => (name: string) => c.req.query(name);

/** The first edge bucket that starts at or after `ms`. */
const firstBucketFrom = (ms: number): number => Math.ceil(ms / EDGE_BUCKET_MS) * EDGE_BUCKET_MS;

/**
 * The edges of the 5-minute buckets that start within [endTs − lookback, endTs). A bucket counts
 * wholly in the window its start falls in: counting the one the window starts partway through
 * would add up to 5 minutes of calls from before it, and consecutive windows then count no bucket twice.
 */
async function edgeRows(env: Env, endTs: number, lookback: number): Promise<EdgeRow[]> {
  const { results } = await env.DB.prepare('SELECT parent, child, calls, errors, hist FROM dependency_edges WHERE bucket_ms >= ?1 AND bucket_ms < ?2')
    .bind(firstBucketFrom(endTs - lookback), endTs)
    .all<EdgeRow>();
  return results;
}

export const services = new Hono<{ Bindings: Env }>();

services.get('/api/registry', async (c) => {
  const { instanceTtlSeconds } = readServicesConfig(c.env as unknown as Record<string, unknown>);
  const { services: seen, instances } = await loadRegistryEntries(c.env);
  const data = buildRegistry(seen, instances, Date.now(), instanceTtlSeconds);
  return c.json(envelope(data, data.length));
});

services.get('/api/dependencies', async (c) => {
  const endTs = timestampMs(query(c), 'endTs', Date.now());
  const lookback = durationMs(query(c), 'lookback', DAY, { min: 1, max: 30 * DAY });
  const data = dependencyLinks(await edgeRows(c.env, endTs, lookback));
  return c.json(envelope(data, data.length));
});

services.get('/api/service-map', async (c) => {
  const endTs = timestampMs(query(c), 'endTs', Date.now());
  const lookback = durationMs(query(c), 'lookback', HOUR, { min: 1, max: 30 * DAY });
  const data = serviceMapEdges(await edgeRows(c.env, endTs, lookback));
  return c.json(envelope(data, data.length));
});

services.get('/api/metrics/summary', async (c) => {
  const service = requiredService(query(c));
  const lookback = durationMs(query(c), 'lookback', HOUR, { min: MINUTE_MS, max: 7 * DAY });
  const now = Date.now();
  const groups = await loadMetricGroups(c.env, { services: [service], fromMinute: minuteOf(now - lookback), toMinute: minuteOf(now), spanKinds: null });
  const data = operationSummary(groups);
  return c.json(envelope(data, data.length));
});

services.get('/api/metrics/minstep', (c) => c.json(envelope(MINUTE_MS, 1)));

services.get('/api/metrics/:kind{calls|errors|latencies}', async (c) => {
  const kind = c.req.param('kind') as MetricKind;
  const names = c.req.queries('service')?.map((s) => s.trim()).filter((s) => s !== '') ?? [];
  if (names.length === 0) throw new ApiError(400, 'parameter service is required (repeat it for several services)', 'service');
  const now = Date.now();
  const q = {
    kind,
    groupByOperation: booleanParam(query(c), 'groupByOperation'),
    endTs: timestampMs(query(c), 'endTs', now),
    lookback: durationMs(query(c), 'lookback', HOUR, { min: 1, max: 7 * DAY }),
    step: durationMs(query(c), 'step', 5000, { min: 1, max: 7 * DAY }),
    ratePer: durationMs(query(c), 'ratePer', 10 * MINUTE_MS, { min: MINUTE_MS, max: 7 * DAY }),
    ...(kind === 'latencies' ? { quantile: quantileParam(query(c)) } : {}),
    now,
  };
  if (pointCount(q) > MAX_POINTS) throw new ApiError(400, `lookback / step gives ${pointCount(q)} points, more than ${MAX_POINTS}: use a larger step`, 'step');
  const groups = await loadMetricGroups(c.env, {
    services: names,
    fromMinute: minuteOf(q.endTs - q.lookback - q.ratePer),
    toMinute: minuteOf(q.endTs),
    spanKinds: spanKinds((n) => c.req.queries(n) ?? []),
  });
  return c.json(metricFamily(groups, q));
});
