/**
 * Reads what the API serves: RED metric groups and registry entries from D1 plus the deltas the
 * ServiceMetrics shards hold but have not flushed yet, so answers are exact up to the last edge
 * window rather than the last minute. The shards are asked first and D1 second; D1 rows of a flush
 * that was in flight when a shard answered are skipped (they are in its answer), so nothing is
 * counted twice or missed while a flush runs.
 */
import type { PendingView } from '../../durable/service-metrics';
import { decodeHistogram } from './histogram';
import { RedAggregate, type InstanceSeen, type MetricGroup } from './red-aggregate';
import type { ServiceSeen } from './registry';
import { SHARD_COUNT, shardName, shardOf } from './shard';

function shardStub(env: Env, shard: number) {
  return env.SERVICE_METRICS.get(env.SERVICE_METRICS.idFromName(shardName(shard)));
}

interface MetricRow {
  service: string;
  minute: number;
  operation: string;
  span_kind: string;
  calls: number;
  errors: number;
  min_ns: number | null;
  max_ns: number | null;
  hist: string;
}

const SELECT_METRICS = `SELECT service, minute, operation, span_kind, calls, errors, min_ns, max_ns, hist FROM service_metrics
  WHERE service IN (SELECT value FROM json_each(?1)) AND minute >= ?2 AND minute <= ?3 AND NOT (shard = ?4 AND seq > ?5)`;

export interface MetricsRange {
  services: string[];
  fromMinute: number;
  toMinute: number;
  /** span kinds to keep (null: all) */
  spanKinds: string[] | null;
}

/** The metric groups of the services in the range, D1 and pending added up. */
export async function loadMetricGroups(env: Env, range: MetricsRange): Promise<MetricGroup[]> {
  const byShard = new Map<number, string[]>();
  for (const s of new Set(range.services)) byShard.set(shardOf(s), [...(byShard.get(shardOf(s)) ?? []), s]);
  const shards = [...byShard];
  const views: PendingView[] = await Promise.all(
    shards.map(([shard, services]) => shardStub(env, shard).pending({ services, fromMinute: range.fromMinute, withGroups: true })),
  );
  const results = await env.DB.batch(
    shards.map(([shard, services], i) =>
      env.DB.prepare(SELECT_METRICS).bind(JSON.stringify(services), range.fromMinute, range.toMinute, shard, views[i]!.skipAbove ?? Number.MAX_SAFE_INTEGER),
    ),
  );
  const agg = new RedAggregate();
  for (const r of results)
    for (const row of r.results as unknown as MetricRow[])
      agg.addGroup({
        service: row.service,
        minute: row.minute,
        operation: row.operation,
        spanKind: row.span_kind,
        calls: row.calls,
        errors: row.errors,
        minNs: row.min_ns,
        maxNs: row.max_ns,
        hist: decodeHistogram(row.hist),
      });
  for (const v of views) for (const d of v.deltas) if (d.minute <= range.toMinute) agg.addDelta({ ...d, instances: [] });
  const kinds = range.spanKinds ? new Set(range.spanKinds) : null;
  return [...agg.groups.values()].filter((g) => kinds === null || kinds.has(g.spanKind));
}

/** Every service and instance: D1 plus every shard's pending instances. */
export async function loadRegistryEntries(env: Env): Promise<{ services: ServiceSeen[]; instances: InstanceSeen[] }> {
  const views = await Promise.all(Array.from({ length: SHARD_COUNT }, (_, shard) => shardStub(env, shard).pending({ services: null, fromMinute: 0, withGroups: false })));
  const [services, instances] = await env.DB.batch([
    env.DB.prepare('SELECT name, first_seen_ms AS firstSeenMs, last_seen_ms AS lastSeenMs FROM services'),
    env.DB.prepare('SELECT service, instance_id AS id, host, sdk, first_seen_ms AS firstSeenMs, last_seen_ms AS lastSeenMs FROM service_instances'),
  ]);
  const agg = new RedAggregate();
  for (const i of instances!.results as unknown as InstanceSeen[]) agg.addInstance(i);
  for (const v of views) for (const d of v.deltas) for (const i of d.instances) agg.addInstance(i);
  return { services: services!.results as unknown as ServiceSeen[], instances: [...agg.instances.values()] };
}
