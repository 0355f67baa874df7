/**
 * The cost model's tables: Cloudflare list prices (with source and date), the operations counted
 * per kept trace, the work every ingested span adds besides its trace (RED metrics and registry,
 * rate limiter), the cost per million ingested and per million kept spans with and without that
 * work, what each assumption weighs, and one month at the notes' scale (1,000 services × 100
 * machines × 100 RPS, 0.1% sampling, 1-year retention).
 *   node scripts/run-ts.mjs bench/cost-model.ts --input FIGURES.json
 * FIGURES.json is what bench/run.mjs measured (edge and DO CPU per span, operations per trace
 * counted by the TraceAssemblers, bytes per span in R2, bytes per trace in D1; optionally the RED
 * metrics CPU per span from bench/edge-decode.ts and the `cost-model figures` of
 * bench/services.ts). What is absent falls back to a stated assumption or an earlier measurement,
 * printed as such. The pure model is worker/cost/cost-model.ts.
 */
import {
  cloudflarePrices,
  costPerMillion,
  monthAtScale,
  MONTHLY_MINIMUM_USD,
  loadAtScale,
  type Bill,
  type CostPerMillion,
  type Load,
  type OperationCounts,
  type PriceId,
  type Scale,
  type SpanWorkCounts,
} from '../worker/cost/cost-model';
import { SHARD_COUNT } from '../worker/services/shard';

/** What bench/run.mjs hands over (absent figures fall back to the stated assumptions). */
interface Figures {
  edgeCpuNsPerSpan?: number;
  doCpuNsPerSpan?: number;
  /** operations of a 7-span trace whose spans came in 4 requests (the notes' shape), averaged */
  opsPerTrace?: {
    traces: number;
    spans: number;
    rpcs: number;
    alarms: number;
    setAlarms: number;
    sqlRowsWritten: number;
    r2Gets: number;
    r2Puts: number;
    d1RowsWritten: number;
    flushMs: number;
    /** rows the DO holds when its late-span window ends (deleteAll bills each as a row written) */
    heldRows: number;
    /** D1 meta.rows_read of the flush (durable/op-count.ts), when the bench sums it */
    d1RowsRead?: number;
  };
  r2BytesPerSpan?: number;
  d1BytesPerTrace?: number;
  doBytesPerSpan?: number;
  /** edge CPU of the RED metrics aggregation per span, one request per window (bench/edge-decode.ts) */
  edgeRedCpuNsPerSpan?: number;
  /** the `cost-model figures` line of bench/services.ts */
  services?: {
    metricsDoRequestsPerIngestRequest?: number;
    metricsActiveMsPerRequest?: number;
    metricsDoRowsWrittenPerShardMinute?: number;
    metricsD1RowsWrittenPerGroupMinute?: number;
    registryD1RowsWrittenPerInstanceMinute?: number;
    registryD1RowsWrittenPerServiceMinute?: number;
  };
}

const args = process.argv.slice(2);
const inputAt = args.indexOf('--input');
if (inputAt < 0 || !args[inputAt + 1]) {
  console.error('usage: node scripts/run-ts.mjs bench/cost-model.ts --input FIGURES.json   (npm run bench writes and passes it)');
  process.exit(2);
}
// (computed specifier: the project has no Node type definitions)
const fsModule = 'node:fs';
const { readFileSync } = (await import(fsModule)) as { readFileSync: (path: string, enc: 'utf8') => string };
const figures = JSON.parse(readFileSync(args[inputAt + 1]!, 'utf8')) as Figures;

/** Where each count comes from, printed beside it. */
const sources: Record<string, string> = {};
/** the figures that fell back to an assumption: the table of what each weighs */
const assumedNames = new Set<string>();
function figure(name: string, measured: number | undefined, assumed: number, note: string, assumedNote = note): number {
  if (measured !== undefined && Number.isFinite(measured)) {
    sources[name] = `measured (${note})`;
    return measured;
  }
  sources[name] = `assumed: ${assumedNote}`;
  assumedNames.add(name);
  return assumed;
}

const o = figures.opsPerTrace;
const per = (v: number | undefined) => (o && v !== undefined ? v / o.traces : undefined);
const NOTES_SPANS_PER_TRACE = 7; // the notes: 4 services, 7 spans per request
const ops: OperationCounts = {
  spansPerRequest: 512,
  edgeCpuMsPerRequest: figure('edgeCpuMsPerRequest', undefined, 0.5, 'routing, config and the response, per request'),
  edgeCpuNsPerSpan: figure('edgeCpuNsPerSpan', figures.edgeCpuNsPerSpan, 8000, 'bench/edge-decode.ts, protobuf decode + sample + group'),
  spansPerTrace: NOTES_SPANS_PER_TRACE,
  rpcsPerTrace: figure('rpcsPerTrace', per(o?.rpcs), 4, "one request per service in the trace (the notes' 4 services)"),
  // the flush alarm and any re-check counted at flush, plus the alarm that ends the late-span window
  alarmsPerTrace: figure('alarmsPerTrace', o ? per(o.alarms)! + 1 : undefined, 3, 'alarms at flush + the forget alarm'),
  flushesPerTrace: figure('flushesPerTrace', per(o?.r2Puts), 1, 'R2 puts per trace'),
  doRowsWrittenPerTrace: figure(
    'doRowsWrittenPerTrace',
    o ? per(o.sqlRowsWritten + o.setAlarms + o.heldRows) : undefined,
    30,
    'SQLite rows written + setAlarm calls + rows removed by deleteAll',
  ),
  doRowsReadPerTrace: figure('doRowsReadPerTrace', undefined, 20, 'a few reads per RPC and per alarm'),
  doBytesPerSpan: figure('doBytesPerSpan', figures.doBytesPerSpan, 900, 'span JSON in the batches table'),
  doHoldSeconds: figure('doHoldSeconds', undefined, 3600, 'LATE_SPAN_WINDOW_SECONDS default'),
  doActiveMsPerRpc: figure('doActiveMsPerRpc', undefined, 2, 'wall time of addSpans: one SQLite write and its durability wait'),
  doActiveMsPerFlush: figure('doActiveMsPerFlush', o ? o.flushMs : undefined, 100, 'flush wall time (local R2/D1; production round trips are slower)'),
  doActiveMsPerAlarm: figure('doActiveMsPerAlarm', undefined, 1, 'a re-check or the deleteAll'),
  doCpuNsPerSpan: figure('doCpuNsPerSpan', figures.doCpuNsPerSpan, 100_000, 'bench/assembly.ts, DO path per span'),
  r2BytesPerSpan: figure('r2BytesPerSpan', figures.r2BytesPerSpan, 130, 'R2 object bytes / spans'),
  d1RowsWrittenPerTrace: figure('d1RowsWrittenPerTrace', per(o?.d1RowsWritten), 40, 'D1 meta.rows_written of the index batch'),
  d1RowsDeletedPerTrace: figure('d1RowsDeletedPerTrace', per(o?.d1RowsWritten), 40, 'retention deletes what indexing wrote, each row and index entry'),
  d1RowsReadPerTrace: figure(
    'd1RowsReadPerTrace',
    per(o?.d1RowsRead),
    40,
    'D1 meta.rows_read of the flush, durable/op-count.ts',
    'upsert conflict checks, about one per row written',
  ),
  d1BytesPerTrace: figure('d1BytesPerTrace', figures.d1BytesPerTrace, 1500, 'D1 table + index bytes / traces'),
};

const svc = figures.services ?? {};
/** bench/services.ts of 2026-12-06 (100 edge isolates, 2 s linger): used when run.mjs hands none over */
const SERVICES_RUN = 'bench/services.ts, 2026-12-06 run, not handed over';
const work: SpanWorkCounts = {
  redCpuNsPerSpan: figure(
    'redCpuNsPerSpan',
    figures.edgeRedCpuNsPerSpan,
    744,
    'bench/edge-decode.ts, RED metrics, 1 request per window',
    'bench/edge-decode.ts under Node 22 on 2026-12-06, RED metrics, 1 request per window',
  ),
  // Each ingest request carries one exporter's spans (one service: one shard). An isolate that
  // gets one request per linger window sends one shard request per ingest request; busier ones
  // share a window (bench/services.ts: 0.75 at 100 isolates, 0.19 at 10, 5-span requests).
  metricsRequestsPerIngestRequest: figure('metricsRequestsPerIngestRequest', undefined, 1, '', 'one shard request per ingest request, every isolate quiet (the upper bound)'),
  metricsShards: SHARD_COUNT,
  metricsAlarmsPerShardMinute: 1,
  metricsActiveMsPerRequest: figure(
    'metricsActiveMsPerRequest',
    svc.metricsActiveMsPerRequest,
    50,
    'bench/services.ts: a request waits for the once-a-second checkpoint',
    `${SERVICES_RUN}: a request waits for the once-a-second checkpoint`,
  ),
  metricsDoRowsWrittenPerShardMinute: figure(
    'metricsDoRowsWrittenPerShardMinute',
    svc.metricsDoRowsWrittenPerShardMinute,
    67,
    'bench/services.ts: checkpoints ≤ 1/s, flush intent, deletes, setAlarm',
    `${SERVICES_RUN}: checkpoints ≤ 1/s, flush intent, deletes, setAlarm`,
  ),
  metricsD1RowsWrittenPerGroupMinute: figure(
    'metricsD1RowsWrittenPerGroupMinute',
    svc.metricsD1RowsWrittenPerGroupMinute,
    4.07,
    'bench/services.ts: minute row + key, deleted again by folding, hourly row share',
    `${SERVICES_RUN}: minute row + key, deleted again by folding, hourly row share`,
  ),
  metricsD1RowsReadPerGroupMinute: figure(
    'metricsD1RowsReadPerGroupMinute',
    undefined,
    3,
    '',
    "the flush upsert's conflict check, the fold's read of the minute row and its hourly upsert",
  ),
  registryD1RowsWrittenPerInstanceMinute: figure(
    'registryD1RowsWrittenPerInstanceMinute',
    svc.registryD1RowsWrittenPerInstanceMinute,
    1,
    'bench/services.ts: one update per instance seen in a minute',
    `${SERVICES_RUN}: one update per instance seen in a minute`,
  ),
  registryD1RowsWrittenPerServiceMinute: figure(
    'registryD1RowsWrittenPerServiceMinute',
    svc.registryD1RowsWrittenPerServiceMinute,
    1,
    'bench/services.ts: one update per service seen in a minute',
    `${SERVICES_RUN}: one update per service seen in a minute`,
  ),
  // worker/rate-limit-lease.ts: a lease of up to 10 ms of the key's rate (10 tokens at the default
  // 60,000 per minute) for an isolate that spends its leases within 100 ms; 1 token otherwise
  limiterRequestsPerIngestRequest: figure(
    'limiterRequestsPerIngestRequest',
    undefined,
    0.1,
    '',
    'busy isolates spend leases of 10 tokens (the default limit); a quiet isolate asks on every request (1)',
  ),
  limiterActiveMsPerRequest: figure('limiterActiveMsPerRequest', undefined, 1, '', 'take() is in memory, no storage or timer: billed while it answers'),
};

const policy = { sampleRate: 0.001, retentionDays: 365 };
/** 12 RED groups per service: 6 operations × 2 span kinds, as bench/services.ts */
const notesScale: Scale = {
  services: 1000,
  machinesPerService: 100,
  requestsPerSecondPerMachine: 100,
  spansPerServiceRequest: NOTES_SPANS_PER_TRACE / 4,
  groupsPerService: 12,
};
/** bench/services.ts's load: every instance exports its ~5 spans every 5 s, so on quiet isolates */
const SERVICES_SPANS_PER_REQUEST = 5;
const servicesLoad: Load = { spansPerSecond: 1000, services: 100, instances: 1000, groups: 1200 };
const servicesWork: SpanWorkCounts = {
  ...work,
  metricsRequestsPerIngestRequest: svc.metricsDoRequestsPerIngestRequest ?? 0.75,
  limiterRequestsPerIngestRequest: 1,
};

const usd = (v: number) => (v === 0 ? '$0' : v < 1 ? `$${v.toPrecision(3)}` : `$${v.toLocaleString('en-US', { maximumFractionDigits: 2, minimumFractionDigits: 2 })}`);
const perUnit = (n: number) => (n === 1 ? '' : n === 1e6 ? 'million ' : `${n} `);
const num = (v: number) => (Math.abs(v) >= 1e6 ? v.toExponential(2) : v.toLocaleString('en-US', { maximumFractionDigits: 2 }));
const p = (id: PriceId) => cloudflarePrices[id];

console.log('## Prices used (Cloudflare list prices beyond the Workers Paid allowances)\n');
console.log('| product | item | price | source | read |');
console.log('| --- | --- | --- | --- | --- |');
for (const id of Object.keys(cloudflarePrices) as PriceId[])
  console.log(`| ${p(id).product} | ${p(id).item} | $${p(id).usd} per ${perUnit(p(id).per)}${p(id).unit} | ${p(id).source} | ${p(id).read} |`);
console.log(`| Workers | Paid plan minimum | $${MONTHLY_MINIMUM_USD} per month (includes the allowances, ignored below) | https://developers.cloudflare.com/workers/platform/pricing/ | 2026-11-25 |`);

console.log('\n## Operations counted per kept trace (7 spans, spans from 4 services in 4 requests)\n');
console.log('| figure | value | source |');
console.log('| --- | --- | --- |');
for (const [k, v] of Object.entries(ops)) console.log(`| ${k} | ${num(v)} | ${sources[k] ?? 'fixed: the notes / OTLP batch size'} |`);

console.log('\n## Work every ingested span adds besides its trace: RED metrics + registry, rate limiter\n');
console.log('| figure | value | source |');
console.log('| --- | --- | --- |');
sources.metricsShards = 'fixed: SHARD_COUNT (worker/services/shard.ts)';
sources.metricsAlarmsPerShardMinute = 'fixed: one flush alarm per shard per minute (durable/service-metrics.ts)';
for (const [k, v] of Object.entries(work)) console.log(`| ${k} | ${num(v)} | ${sources[k]} |`);
console.log(
  `\nAt bench/services.ts's load (${num(servicesLoad.spansPerSecond)} spans/s, ${servicesLoad.services} services × 10 instances, ${num(servicesLoad.groups)} groups, ${SERVICES_SPANS_PER_REQUEST}-span requests on 100 isolates): metricsRequestsPerIngestRequest ${num(servicesWork.metricsRequestsPerIngestRequest)} (${svc.metricsDoRequestsPerIngestRequest === undefined ? `${SERVICES_RUN}` : 'measured, bench/services.ts'}), limiterRequestsPerIngestRequest 1 (2 requests/s per isolate never spends a lease within 100 ms).`,
);

const productOf = (id: PriceId) => p(id).product;
function byProduct(b: Bill) {
  const out = new Map<string, number>();
  for (const l of b.lines) out.set(productOf(l.id), (out.get(productOf(l.id)) ?? 0) + l.usd);
  return out;
}

/**
 * One table: per price item, the trace path, what the metrics pipeline and the rate limiter add,
 * and the total, per million ingested and per million kept spans.
 */
function costTable(c: CostPerMillion) {
  const k = 1 / policy.sampleRate;
  const cols = (b: Bill, i: number) => b.lines[i]!.usd;
  console.log('| item | trace path, per M ingested | + metrics & registry | + rate limiter | **all, per M ingested** | trace path, per M kept | **all, per M kept** |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const [i, l] of c.ingested.lines.entries()) {
    if (l.usd === 0 && c.kept.lines[i]!.usd === 0) continue;
    console.log(
      `| ${p(l.id).product}: ${p(l.id).item} | ${usd(cols(c.tracePath.ingested, i))} | ${usd(cols(c.metricsOnly, i))} | ${usd(cols(c.rateLimiterOnly, i))} | ${usd(l.usd)} | ${usd(cols(c.tracePath.kept, i))} | ${usd(c.kept.lines[i]!.usd)} |`,
    );
  }
  const [ti, mi, ri, ai, tk, ak] = [c.tracePath.ingested, c.metricsOnly, c.rateLimiterOnly, c.ingested, c.tracePath.kept, c.kept].map(byProduct);
  for (const product of ai!.keys())
    console.log(
      `| **${product} total** | ${usd(ti!.get(product)!)} | ${usd(mi!.get(product)!)} | ${usd(ri!.get(product)!)} | ${usd(ai!.get(product)!)} | ${usd(tk!.get(product)!)} | ${usd(ak!.get(product)!)} |`,
    );
  console.log(
    `| **total** | **${usd(c.tracePath.ingested.usd)}** | **${usd(c.metricsOnly.usd)}** | **${usd(c.rateLimiterOnly.usd)}** | **${usd(c.ingested.usd)}** | **${usd(c.tracePath.kept.usd)}** | **${usd(c.kept.usd)}** |`,
  );
  console.log(
    `\nThe metrics pipeline and the rate limiter add ${((100 * (c.ingested.usd - c.tracePath.ingested.usd)) / c.tracePath.ingested.usd).toFixed(0)}% to the trace path (per kept span: ${usd(c.metricsOnly.usd * k)} + ${usd(c.rateLimiterOnly.usd * k)} per million).`,
  );
}

const notesLoad = loadAtScale(notesScale);
const c = costPerMillion(ops, policy, { counts: work, load: notesLoad });
console.log(
  `\n## Cost per million spans at the notes' scale (SAMPLE_RATE ${policy.sampleRate}, ${policy.retentionDays}-day retention, storage over the whole retention; ${num(notesLoad.spansPerSecond)} spans/s, ${num(notesLoad.instances)} instances, ${num(notesLoad.groups)} groups)\n`,
);
costTable(c);

const opsAtServicesLoad: OperationCounts = { ...ops, spansPerRequest: SERVICES_SPANS_PER_REQUEST };
console.log(
  `\n## The same at bench/services.ts's load (${num(servicesLoad.spansPerSecond)} spans/s, ${SERVICES_SPANS_PER_REQUEST}-span requests: per-request and per-minute work weigh more)\n`,
);
costTable(costPerMillion(opsAtServicesLoad, policy, { counts: servicesWork, load: servicesLoad }));

// What each assumption weighs: the total per million kept spans with that input doubled.
console.log(`\n## What the assumptions weigh (notes' scale): total per million kept spans ${usd(c.kept.usd)}, with one assumed input doubled\n`);
console.log('| assumed input | value | doubled: total per M kept | change |');
console.log('| --- | ---: | ---: | ---: |');
for (const name of assumedNames) {
  const inOps = name in ops;
  const o2 = inOps ? { ...ops, [name]: 2 * ops[name as keyof OperationCounts] } : ops;
  const w2 = inOps ? work : { ...work, [name]: 2 * work[name as keyof SpanWorkCounts] };
  const v = inOps ? ops[name as keyof OperationCounts] : work[name as keyof SpanWorkCounts];
  const total = costPerMillion(o2, policy, { counts: w2, load: notesLoad }).kept.usd;
  console.log(`| ${name} | ${num(v)} | ${usd(total)} | ${total >= c.kept.usd ? '+' : ''}${((100 * (total - c.kept.usd)) / c.kept.usd).toFixed(2)}% |`);
}
const quiet = costPerMillion(ops, policy, { counts: { ...work, limiterRequestsPerIngestRequest: 1 }, load: notesLoad }).kept.usd;
console.log(`| limiterRequestsPerIngestRequest at 1 (every isolate quiet) | 1 | ${usd(quiet)} | +${((100 * (quiet - c.kept.usd)) / c.kept.usd).toFixed(2)}% |`);

function month(label: string, scale: Scale) {
  const m = monthAtScale(scale, ops, policy, work);
  console.log(
    `\n${label}: ${num(m.ingestedSpansPerSecond)} spans/s ingested, ${num(m.keptSpansPerSecond)} kept (${num(m.keptTracesPerSecond)} traces/s)`,
  );
  const t = byProduct(m.traffic);
  console.log(`  traffic per month: ${[...t].map(([k, v]) => `${k} ${usd(v)}`).join(', ')} = ${usd(m.traffic.usd)}`);
  console.log(`  of which the metrics pipeline and the rate limiter: ${usd(m.spanWork.usd)}`);
  console.log(
    `  storage once a year is kept: R2 ${num(m.storedGb.r2 / 1000)} TB, D1 ${num(m.storedGb.d1 / 1000)} TB (D1 allows 10 GB per database) = ${usd(m.storage.usd)} per month`,
  );
  console.log(`  total ${usd(m.totalUsd)} per month (${usd(m.totalUsd / ((m.keptSpansPerSecond * 365.25 * 86_400) / 12 / 1e6))} per million kept spans)`);
  const d1Rows = m.traffic.lines.find((l) => l.id === 'd1RowsWritten')!.quantity / ((365.25 / 12) * 86_400);
  console.log(`  D1 rows written per second: ${num(d1Rows)} (indexing + retention deletes + metrics and registry, one database)`);
  console.log(`  ServiceMetrics requests per shard per second: ${num(m.metricsRequestsPerShardPerSecond)} (${SHARD_COUNT} shards; one object serves about 1,000 a second)`);
}
console.log("\n## A month at the notes' scale\n");
month('1,000 services × 100 machines × 100 RPS × 1.75 spans per service request (the notes: 7 spans per 4-service request)', notesScale);
// The notes' own arithmetic arrives at 100k kept spans/s; the same model at that volume:
month("the notes' own figure, 100,000 kept spans/s", { ...notesScale, spansPerServiceRequest: 100_000 / policy.sampleRate / 1e7 });
const notesBytes = 5000;
console.log(
  `\nthe notes estimate ${notesBytes} bytes per span (15 PB for a year of 100k spans/s); measured R2 ${ops.r2BytesPerSpan.toFixed(0)} bytes per span + D1 ${(ops.d1BytesPerTrace / ops.spansPerTrace).toFixed(0)} bytes per span of index: ${(notesBytes / (ops.r2BytesPerSpan + ops.d1BytesPerTrace / ops.spansPerTrace)).toFixed(0)}× less`,
);
