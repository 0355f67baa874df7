/**
 * D1 tables of the service registry, the RED metrics and the service map (issue 8). Every row and
 * every index entry written is billed, so each table has exactly one index — its primary key, laid
 * out for the queries that read it — and rows are written at most once a minute per key.
 */
import { integer, primaryKey, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** Every service that sent a span to the edge, sampled or not. Times in ms since the epoch. */
export const services = sqliteTable('services', {
  name: text('name').primaryKey(),
  firstSeenMs: integer('first_seen_ms').notNull(),
  lastSeenMs: integer('last_seen_ms').notNull(),
});

/** Every instance of a service (resource `service.instance.id`, else `host.name`). */
export const serviceInstances = sqliteTable(
  'service_instances',
  {
    service: text('service').notNull(),
    instanceId: text('instance_id').notNull(),
    host: text('host').notNull(),
    /** "opentelemetry nodejs 2.12.1" */
    sdk: text('sdk').notNull(),
    firstSeenMs: integer('first_seen_ms').notNull(),
    lastSeenMs: integer('last_seen_ms').notNull(),
  },
  (t) => [primaryKey({ columns: [t.service, t.instanceId] })],
);

/**
 * RED metrics before sampling, one row per (service, minute, operation, span kind) and flush.
 * Rows are only ever inserted: a flush writes each group once, and the rare late delta for a minute
 * already flushed becomes a second row that readers add up. `shard` and `seq` name the flush
 * (the shard's last pending-row id it covered), which makes a retried flush a no-op
 * (INSERT OR IGNORE) and lets readers tell flushed rows from the shard's pending ones.
 */
export const serviceMetrics = sqliteTable(
  'service_metrics',
  {
    service: text('service').notNull(),
    /** minutes since the Unix epoch, by the edge's clock when it received the spans */
    minute: integer('minute').notNull(),
    operation: text('operation').notNull(),
    spanKind: text('span_kind').notNull(),
    shard: integer('shard').notNull(),
    seq: integer('seq').notNull(),
    calls: integer('calls').notNull(),
    errors: integer('errors').notNull(),
    minNs: integer('min_ns'),
    maxNs: integer('max_ns'),
    /** latency histogram, see worker/services/histogram.ts */
    hist: text('hist').notNull(),
  },
  (t) => [primaryKey({ columns: [t.service, t.minute, t.operation, t.spanKind, t.shard, t.seq] })],
);

/**
 * Service-map edges from assembled traces: caller → callee per 5-minute bucket, every count
 * weighted by the trace's adjusted count (1 / sample rate), so they estimate the real traffic.
 */
export const dependencyEdges = sqliteTable(
  'dependency_edges',
  {
    bucketMs: integer('bucket_ms').notNull(),
    parent: text('parent').notNull(),
    child: text('child').notNull(),
    calls: real('calls').notNull(),
    errors: real('errors').notNull(),
    /** weighted latency histogram of the calls */
    hist: text('hist').notNull(),
  },
  (t) => [primaryKey({ columns: [t.bucketMs, t.parent, t.child] })],
);

/**
 * What each trace has added to dependency_edges, so that a re-flushed trace (late spans, version
 * + 1) adds only the difference and a retried flush adds nothing.
 */
export const dependencyTraces = sqliteTable('dependency_traces', {
  traceId: text('trace_id').primaryKey(),
  bucketMs: integer('bucket_ms').notNull(),
  version: integer('version').notNull(),
  /** JSON: the trace's edges as last recorded, see worker/services/dependencies.ts */
  edges: text('edges').notNull(),
});
