/**
 * What edgetrace costs on Cloudflare at list price, from counted operations. Pure: the bench
 * (bench/cost-model.ts) feeds it the figures it measured and prints the tables.
 *
 * Spans cost in two places. Every ingested span passes the edge (a share of a Worker request and
 * CPU), and only the kept share (the sample rate) reaches a trace's Durable Object, R2 and D1. So
 * the model counts operations per kept trace and per ingest request, and reports the cost per
 * million ingested spans and per million kept spans, plus a month at a given scale with the
 * retention's steady-state storage.
 *
 * Besides the trace path, every ingested span (kept or not) feeds the RED metrics and the registry
 * and every ingest request passes the per-key rate limiter. Part of that work is per request and
 * part per minute (shard checkpoints and flushes, D1 rows per metric group and per instance), so
 * it is priced at a given load and reported on its own lines: the cost with and without it.
 */

/** A list price, with where and when it was read. */
export interface Price {
  product: 'Workers' | 'Durable Objects' | 'D1' | 'R2';
  item: string;
  /** USD per `per` units of `unit` */
  usd: number;
  per: number;
  unit: string;
  source: string;
  /** the date the price was read (ISO) */
  read: string;
}

const READ = '2026-11-25';
const WORKERS = 'https://developers.cloudflare.com/workers/platform/pricing/';
const DO = 'https://developers.cloudflare.com/durable-objects/platform/pricing/';
const D1 = 'https://developers.cloudflare.com/d1/platform/pricing/';
const R2 = 'https://developers.cloudflare.com/r2/pricing/';

/** Cloudflare's published Workers Paid (Standard) prices beyond the monthly allowances. */
export const cloudflarePrices = {
  workerRequests: { product: 'Workers', item: 'requests', usd: 0.3, per: 1e6, unit: 'requests', source: WORKERS, read: READ },
  workerCpuMs: { product: 'Workers', item: 'CPU time', usd: 0.02, per: 1e6, unit: 'CPU ms', source: WORKERS, read: READ },
  doRequests: { product: 'Durable Objects', item: 'requests (RPC calls, alarm invocations)', usd: 0.15, per: 1e6, unit: 'requests', source: DO, read: READ },
  doDuration: { product: 'Durable Objects', item: 'duration (128 MB while active)', usd: 12.5, per: 1e6, unit: 'GB-s', source: DO, read: READ },
  doRowsWritten: { product: 'Durable Objects', item: 'SQLite rows written (incl. deletes, setAlarm)', usd: 1, per: 1e6, unit: 'rows', source: DO, read: READ },
  doRowsRead: { product: 'Durable Objects', item: 'SQLite rows read', usd: 0.001, per: 1e6, unit: 'rows', source: DO, read: READ },
  doStorage: { product: 'Durable Objects', item: 'SQLite stored data', usd: 0.2, per: 1, unit: 'GB-month', source: DO, read: READ },
  d1RowsWritten: { product: 'D1', item: 'rows written (each index entry counts)', usd: 1, per: 1e6, unit: 'rows', source: D1, read: READ },
  d1RowsRead: { product: 'D1', item: 'rows read', usd: 0.001, per: 1e6, unit: 'rows', source: D1, read: READ },
  d1Storage: { product: 'D1', item: 'storage', usd: 0.75, per: 1, unit: 'GB-month', source: D1, read: READ },
  r2ClassA: { product: 'R2', item: 'Class A operations (PutObject)', usd: 4.5, per: 1e6, unit: 'requests', source: R2, read: READ },
  r2ClassB: { product: 'R2', item: 'Class B operations (GetObject)', usd: 0.36, per: 1e6, unit: 'requests', source: R2, read: READ },
  r2Storage: { product: 'R2', item: 'Standard storage', usd: 0.015, per: 1, unit: 'GB-month', source: R2, read: READ },
} as const satisfies Record<string, Price>;

export type PriceId = keyof typeof cloudflarePrices;
export type Prices = Record<PriceId, Price>;

/** The Workers Paid plan's monthly minimum, which includes the allowances the model ignores. */
export const MONTHLY_MINIMUM_USD = 5;

/** Operations of the ingest path, counted per ingest request and per kept trace. */
export interface OperationCounts {
  /** spans in one ingest request (OTLP batch) */
  spansPerRequest: number;
  /** Worker CPU for one ingest request: fixed part plus a per-span part (decode, sample, group) */
  edgeCpuMsPerRequest: number;
  edgeCpuNsPerSpan: number;
  /** spans in a kept trace */
  spansPerTrace: number;
  /** ingest requests that carry spans of one kept trace (= RPCs to its Durable Object) */
  rpcsPerTrace: number;
  /** alarm invocations per trace (flush, waits, the late-window forget) */
  alarmsPerTrace: number;
  /** writes of the trace to R2 (1, more when spans come late) */
  flushesPerTrace: number;
  /** DO SQLite rows written per trace (batch rows, meta, setAlarm, the final deletes) */
  doRowsWrittenPerTrace: number;
  doRowsReadPerTrace: number;
  /** bytes the DO holds per span while the trace is in its late-span window */
  doBytesPerSpan: number;
  /** how long a DO keeps a trace after its write (the late-span window) */
  doHoldSeconds: number;
  /** DO wall-clock time: per RPC, per flush (R2 + D1 round trips) and per span assembled */
  doActiveMsPerRpc: number;
  doActiveMsPerFlush: number;
  doActiveMsPerAlarm: number;
  doCpuNsPerSpan: number;
  /** R2: compressed bytes per span; one GetObject and one PutObject per flush */
  r2BytesPerSpan: number;
  /** D1 rows written per trace when it is indexed, and again when retention deletes it */
  d1RowsWrittenPerTrace: number;
  d1RowsDeletedPerTrace: number;
  d1RowsReadPerTrace: number;
  d1BytesPerTrace: number;
}

/**
 * Work outside the trace path that grows with ingested spans and requests: the RED metrics and
 * registry (edge aggregation, ServiceMetrics shards, their D1 rows) and the RateLimiter.
 */
export interface SpanWorkCounts {
  /** edge CPU of the RED aggregation, for every span (kept or not) */
  redCpuNsPerSpan: number;
  /** ServiceMetrics requests per ingest request: one per shard touched per isolate and linger window */
  metricsRequestsPerIngestRequest: number;
  metricsShards: number;
  /** alarm invocations per shard per minute (the minute flush) */
  metricsAlarmsPerShardMinute: number;
  /** wall time a shard is active per request (it answers once its checkpoint is written) */
  metricsActiveMsPerRequest: number;
  /** shard SQLite rows written per shard per minute (checkpoints, flush intent, deletes, setAlarm) */
  metricsDoRowsWrittenPerShardMinute: number;
  /** D1 rows written and read per (service, operation, span kind) group per minute, folding and retention included */
  metricsD1RowsWrittenPerGroupMinute: number;
  metricsD1RowsReadPerGroupMinute: number;
  /** registry D1 rows written per instance and per service seen in a minute */
  registryD1RowsWrittenPerInstanceMinute: number;
  registryD1RowsWrittenPerServiceMinute: number;
  /** RateLimiter requests per ingest request: 1 for a quiet isolate, fewer for a busy one (leases) */
  limiterRequestsPerIngestRequest: number;
  limiterActiveMsPerRequest: number;
}

/** The traffic the per-minute work is shared by. */
export interface Load {
  spansPerSecond: number;
  services: number;
  /** instances that export at least once a minute */
  instances: number;
  /** (service, operation, span kind) groups with spans in a minute */
  groups: number;
}

export interface SpanWork {
  counts: SpanWorkCounts;
  load: Load;
}

/** What happens to spans: the sample rate and how long kept traces stay. */
export interface Policy {
  sampleRate: number;
  retentionDays: number;
}

/** Billable quantities, in each price's unit. */
export type Usage = Record<PriceId, number>;

const DAYS_PER_MONTH = 365.25 / 12;
const GB = 1e9;
const DO_MEMORY_GB = 0.128;

/** Usage of the edge for `spans` ingested spans. */
function edgeUsage(spans: number, ops: OperationCounts): Partial<Usage> {
  const requests = spans / ops.spansPerRequest;
  return {
    workerRequests: requests,
    workerCpuMs: requests * ops.edgeCpuMsPerRequest + (spans * ops.edgeCpuNsPerSpan) / 1e6,
  };
}

/**
 * Usage of the kept path for `spans` kept spans, storage counted over their whole retention
 * (GB-months a span occupies from its write to its deletion).
 */
function keptUsage(spans: number, ops: OperationCounts, policy: Policy): Partial<Usage> {
  const traces = spans / ops.spansPerTrace;
  const retentionMonths = policy.retentionDays / DAYS_PER_MONTH;
  const doSeconds =
    (traces * (ops.rpcsPerTrace * ops.doActiveMsPerRpc + ops.flushesPerTrace * ops.doActiveMsPerFlush + ops.alarmsPerTrace * ops.doActiveMsPerAlarm)) / 1000 +
    (spans * ops.doCpuNsPerSpan * ops.flushesPerTrace) / 1e9;
  return {
    doRequests: traces * (ops.rpcsPerTrace + ops.alarmsPerTrace),
    doDuration: doSeconds * DO_MEMORY_GB,
    doRowsWritten: traces * ops.doRowsWrittenPerTrace,
    doRowsRead: traces * ops.doRowsReadPerTrace,
    doStorage: ((spans * ops.doBytesPerSpan) / GB) * (ops.doHoldSeconds / 86_400 / DAYS_PER_MONTH),
    r2ClassA: traces * ops.flushesPerTrace,
    r2ClassB: traces * ops.flushesPerTrace,
    r2Storage: ((spans * ops.r2BytesPerSpan) / GB) * retentionMonths,
    d1RowsWritten: traces * (ops.d1RowsWrittenPerTrace + ops.d1RowsDeletedPerTrace),
    d1RowsRead: traces * ops.d1RowsReadPerTrace,
    d1Storage: ((traces * ops.d1BytesPerTrace) / GB) * retentionMonths,
  };
}

/** Usage of the RED metrics pipeline and the registry for `spans` ingested spans at `load`. */
function metricsUsage(spans: number, ops: OperationCounts, { counts: w, load }: SpanWork): Partial<Usage> {
  if (!(load.spansPerSecond > 0)) throw new RangeError(`load.spansPerSecond must be above 0, got ${load.spansPerSecond}`);
  const seconds = spans / load.spansPerSecond;
  const minutes = seconds / 60;
  const calls = (spans / ops.spansPerRequest) * w.metricsRequestsPerIngestRequest;
  return {
    workerCpuMs: (spans * w.redCpuNsPerSpan) / 1e6,
    doRequests: calls + w.metricsShards * minutes * w.metricsAlarmsPerShardMinute,
    doDuration: w.metricsShards * seconds * metricsActiveShare(calls / seconds, w) * DO_MEMORY_GB,
    doRowsWritten: w.metricsShards * minutes * w.metricsDoRowsWrittenPerShardMinute,
    d1RowsWritten:
      minutes *
      (load.groups * w.metricsD1RowsWrittenPerGroupMinute +
        load.instances * w.registryD1RowsWrittenPerInstanceMinute +
        load.services * w.registryD1RowsWrittenPerServiceMinute),
    d1RowsRead: minutes * load.groups * w.metricsD1RowsReadPerGroupMinute,
  };
}

/**
 * The share of the time a shard is active. A request waits for the shard's next checkpoint, so
 * requests that overlap are billed once: at a request or more per second per shard the object
 * never goes idle, and its duration is the wall clock, not the sum of the waits.
 */
function metricsActiveShare(callsPerSecond: number, w: SpanWorkCounts): number {
  return Math.min(1, ((callsPerSecond / w.metricsShards) * w.metricsActiveMsPerRequest) / 1000);
}

/** Usage of the RateLimiter for `spans` ingested spans (its bucket lives in memory: no rows). */
function limiterUsage(spans: number, ops: OperationCounts, { counts: w }: SpanWork): Partial<Usage> {
  const calls = (spans / ops.spansPerRequest) * w.limiterRequestsPerIngestRequest;
  return { doRequests: calls, doDuration: ((calls * w.limiterActiveMsPerRequest) / 1000) * DO_MEMORY_GB };
}

function complete(u: Partial<Usage>): Usage {
  const out = {} as Usage;
  for (const id of Object.keys(cloudflarePrices) as PriceId[]) out[id] = u[id] ?? 0;
  return out;
}

function add(a: Usage, b: Usage): Usage {
  const out = {} as Usage;
  for (const id of Object.keys(a) as PriceId[]) out[id] = a[id] + b[id];
  return out;
}

export interface CostLine {
  id: PriceId;
  quantity: number;
  usd: number;
}

export interface Bill {
  lines: CostLine[];
  usd: number;
}

/** Prices a usage. */
export function bill(usage: Usage, prices: Prices = cloudflarePrices): Bill {
  const lines = (Object.keys(usage) as PriceId[]).map((id) => ({ id, quantity: usage[id], usd: (usage[id] / prices[id].per) * prices[id].usd }));
  return { lines, usd: lines.reduce((t, l) => t + l.usd, 0) };
}

export interface CostPerMillion {
  /** one million spans posted to the edge, of which `sampleRate` × 1M are kept; everything counted */
  ingested: Bill;
  /** what it takes to keep one million spans: the work of the 1M / sampleRate spans ingested for them and their kept path */
  kept: Bill;
  /** the edge's trace path alone (decode, sample, group), per million ingested spans */
  edgeOnly: Bill;
  /** the kept path alone, per million kept spans */
  keptPathOnly: Bill;
  /** the RED metrics pipeline and the registry alone, per million ingested spans (zero without a SpanWork) */
  metricsOnly: Bill;
  /** the RateLimiter alone, per million ingested spans (zero without a SpanWork) */
  rateLimiterOnly: Bill;
  /** the trace path alone (edge + kept path): what `ingested` and `kept` cost without the two above */
  tracePath: { ingested: Bill; kept: Bill };
}

const scaled = (u: Usage, f: number): Usage => {
  const out = {} as Usage;
  for (const id of Object.keys(u) as PriceId[]) out[id] = u[id] * f;
  return out;
};

/**
 * Cost per million ingested spans and per million kept spans; with `spanWork`, the metrics
 * pipeline and the rate limiter at its load are counted too.
 */
export function costPerMillion(ops: OperationCounts, policy: Policy, spanWork?: SpanWork, prices: Prices = cloudflarePrices): CostPerMillion {
  if (!(policy.sampleRate > 0 && policy.sampleRate <= 1)) throw new RangeError(`sampleRate must be in (0, 1], got ${policy.sampleRate}`);
  const M = 1e6;
  const edge = complete(edgeUsage(M, ops));
  const kept = complete(keptUsage(M, ops, policy));
  const metrics = complete(spanWork ? metricsUsage(M, ops, spanWork) : {});
  const limiter = complete(spanWork ? limiterUsage(M, ops, spanWork) : {});
  const traceIngested = add(edge, scaled(kept, policy.sampleRate));
  const traceKept = add(scaled(edge, 1 / policy.sampleRate), kept);
  const perIngested = add(metrics, limiter);
  return {
    ingested: bill(add(traceIngested, perIngested), prices),
    kept: bill(add(traceKept, scaled(perIngested, 1 / policy.sampleRate)), prices),
    edgeOnly: bill(edge, prices),
    keptPathOnly: bill(kept, prices),
    metricsOnly: bill(metrics, prices),
    rateLimiterOnly: bill(limiter, prices),
    tracePath: { ingested: bill(traceIngested, prices), kept: bill(traceKept, prices) },
  };
}

/** The notes' deployment: services × machines × requests per second per machine. */
export interface Scale {
  services: number;
  machinesPerService: number;
  requestsPerSecondPerMachine: number;
  /** spans one service request produces (its server span plus its client spans) */
  spansPerServiceRequest: number;
  /** (operation, span kind) groups per service: the RED metric rows of a minute */
  groupsPerService: number;
}

/** The load `scale` puts on the metrics pipeline: every machine exports every minute. */
export function loadAtScale(scale: Scale): Load {
  return {
    spansPerSecond: scale.services * scale.machinesPerService * scale.requestsPerSecondPerMachine * scale.spansPerServiceRequest,
    services: scale.services,
    instances: scale.services * scale.machinesPerService,
    groups: scale.services * scale.groupsPerService,
  };
}

export interface MonthAtScale {
  ingestedSpansPerSecond: number;
  keptSpansPerSecond: number;
  keptTracesPerSecond: number;
  /** traffic costs of one month (requests, CPU, rows, operations), the metrics pipeline and rate limiter included */
  traffic: Bill;
  /** the part of `traffic` that is the metrics pipeline and the rate limiter (zero without their counts) */
  spanWork: Bill;
  /** ServiceMetrics requests each shard gets per second (one object serves about 1,000 a second) */
  metricsRequestsPerShardPerSecond: number;
  /** storage held at steady state once the retention is full (R2 + D1), GB */
  storedGb: { r2: number; d1: number };
  /** the steady-state storage bill of one month */
  storage: Bill;
  /** traffic + storage + the plan's monthly minimum */
  totalUsd: number;
}

/** One month at `scale` once the retention window is full; `spanWork` adds the metrics pipeline and the rate limiter. */
export function monthAtScale(scale: Scale, ops: OperationCounts, policy: Policy, spanWork?: SpanWorkCounts, prices: Prices = cloudflarePrices): MonthAtScale {
  const load = loadAtScale(scale);
  const ingestedPerSecond = load.spansPerSecond;
  const keptPerSecond = ingestedPerSecond * policy.sampleRate;
  const secondsPerMonth = DAYS_PER_MONTH * 86_400;
  const ingested = ingestedPerSecond * secondsPerMonth;
  // traffic of one month: storage lines are dropped here and priced at steady state below
  const monthPolicy = { ...policy, retentionDays: 0 };
  const work = spanWork ? { counts: spanWork, load } : null;
  const spanUsage = work ? add(complete(metricsUsage(ingested, ops, work)), complete(limiterUsage(ingested, ops, work))) : complete({});
  const usage = add(add(complete(edgeUsage(ingested, ops)), complete(keptUsage(keptPerSecond * secondsPerMonth, ops, monthPolicy))), spanUsage);
  const retentionSeconds = policy.retentionDays * 86_400;
  const r2 = (keptPerSecond * retentionSeconds * ops.r2BytesPerSpan) / GB;
  const d1 = ((keptPerSecond / ops.spansPerTrace) * retentionSeconds * ops.d1BytesPerTrace) / GB;
  const doHeld = (keptPerSecond * ops.doHoldSeconds * ops.doBytesPerSpan) / GB;
  const traffic = bill({ ...usage, doStorage: 0 }, prices);
  const storage = bill(complete({ r2Storage: r2, d1Storage: d1, doStorage: doHeld }), prices);
  return {
    ingestedSpansPerSecond: ingestedPerSecond,
    keptSpansPerSecond: keptPerSecond,
    keptTracesPerSecond: keptPerSecond / ops.spansPerTrace,
    traffic,
    spanWork: bill(spanUsage, prices),
    metricsRequestsPerShardPerSecond: spanWork
      ? ((ingestedPerSecond / ops.spansPerRequest) * spanWork.metricsRequestsPerIngestRequest) / spanWork.metricsShards
      : 0,
    storedGb: { r2, d1 },
    storage,
    totalUsd: traffic.usd + storage.usd + MONTHLY_MINIMUM_USD,
  };
}
