/**
 * Which ServiceMetrics Durable Object aggregates a service. A fixed number of shards, not one
 * object per service: an edge isolate then sends at most SHARD_COUNT requests per flush however
 * many services it saw, and the registry reads SHARD_COUNT objects, not one per service; each
 * shard still sees a bounded request rate (isolates × flushes per minute), whatever the span rate.
 */

export const SHARD_COUNT = 8;

/** FNV-1a over the UTF-16 code units: stable across isolates and deploys. */
export function shardOf(service: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < service.length; i++) {
    h ^= service.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % SHARD_COUNT;
}

export const shardName = (shard: number): string => `service-metrics-${shard}`;
