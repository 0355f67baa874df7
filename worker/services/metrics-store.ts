/**
 * D1 statements for a ServiceMetrics flush: the minute rows, the instances and the services. Each
 * statement carries its rows as one JSON parameter expanded with `json_each`, so a flush of any
 * size stays a handful of statements, far from D1's 100-bound-parameters limit, in one batch (one
 * round trip, one transaction).
 *
 * Registry upserts only touch a row when they move first-seen earlier or last-seen later, so
 * replays and late deltas cost no write.
 */
import type { RedAggregate } from './red-aggregate';
import { encodeHistogram } from './histogram';

/** Keep each JSON parameter well under D1's 2 MB value limit. */
const MAX_JSON_CHARS = 900_000;

function chunkedJson(rows: unknown[][]): string[] {
  const out: string[] = [];
  let parts: string[] = [];
  let size = 2;
  for (const row of rows) {
    const s = JSON.stringify(row);
    if (parts.length > 0 && size + s.length + 1 > MAX_JSON_CHARS) {
      out.push(`[${parts.join(',')}]`);
      parts = [];
      size = 2;
    }
    parts.push(s);
    size += s.length + 1;
  }
  if (parts.length > 0) out.push(`[${parts.join(',')}]`);
  return out;
}

const INSERT_METRICS = `INSERT OR IGNORE INTO service_metrics
  (service, minute, operation, span_kind, shard, seq, calls, errors, min_ns, max_ns, hist)
  SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, value->>7, value->>8, value->>9, value->>10
  FROM json_each(?1)`;

const UPSERT_INSTANCES = `INSERT INTO service_instances (service, instance_id, host, sdk, first_seen_ms, last_seen_ms)
  SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5 FROM json_each(?1) WHERE true
  ON CONFLICT (service, instance_id) DO UPDATE SET
    host = CASE WHEN excluded.last_seen_ms >= service_instances.last_seen_ms AND excluded.host <> '' THEN excluded.host ELSE service_instances.host END,
    sdk = CASE WHEN excluded.last_seen_ms >= service_instances.last_seen_ms AND excluded.sdk <> '' THEN excluded.sdk ELSE service_instances.sdk END,
    first_seen_ms = min(service_instances.first_seen_ms, excluded.first_seen_ms),
    last_seen_ms = max(service_instances.last_seen_ms, excluded.last_seen_ms)
  WHERE excluded.last_seen_ms > service_instances.last_seen_ms OR excluded.first_seen_ms < service_instances.first_seen_ms`;

const UPSERT_SERVICES = `INSERT INTO services (name, first_seen_ms, last_seen_ms)
  SELECT value->>0, value->>1, value->>2 FROM json_each(?1) WHERE true
  ON CONFLICT (name) DO UPDATE SET
    first_seen_ms = min(services.first_seen_ms, excluded.first_seen_ms),
    last_seen_ms = max(services.last_seen_ms, excluded.last_seen_ms)
  WHERE excluded.last_seen_ms > services.last_seen_ms OR excluded.first_seen_ms < services.first_seen_ms`;

/** The statements that write one flush (`seq` names it; see shard-flush.ts). */
export function flushStatements(db: D1Database, agg: RedAggregate, shard: number, seq: number): D1PreparedStatement[] {
  const metricRows = [...agg.groups.values()].map((g) => [
    g.service,
    g.minute,
    g.operation,
    g.spanKind,
    shard,
    seq,
    g.calls,
    g.errors,
    g.minNs,
    g.maxNs,
    encodeHistogram(g.hist),
  ]);
  const instanceRows = [...agg.instances.values()].map((i) => [i.service, i.id, i.host, i.sdk, i.firstSeenMs, i.lastSeenMs]);
  const perService = new Map<string, [number, number]>();
  for (const i of agg.instances.values()) {
    const s = perService.get(i.service);
    perService.set(i.service, s ? [Math.min(s[0], i.firstSeenMs), Math.max(s[1], i.lastSeenMs)] : [i.firstSeenMs, i.lastSeenMs]);
  }
  const serviceRows = [...perService].map(([name, [first, last]]) => [name, first, last]);
  return [
    ...chunkedJson(metricRows).map((j) => db.prepare(INSERT_METRICS).bind(j)),
    ...chunkedJson(instanceRows).map((j) => db.prepare(UPSERT_INSTANCES).bind(j)),
    ...chunkedJson(serviceRows).map((j) => db.prepare(UPSERT_SERVICES).bind(j)),
  ];
}
