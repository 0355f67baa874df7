/**
 * The cost model's tables: Cloudflare list prices (with source and date), the operations counted
 * per kept trace, the cost per million ingested and per million kept spans, and one month at the
 * notes' scale (1,000 services × 100 machines × 100 RPS, 0.1% sampling, 1-year retention).
 *   node scripts/run-ts.mjs bench/cost-model.ts --input FIGURES.json
 * FIGURES.json is what bench/run.mjs measured (edge and DO CPU per span, operations per trace
 * counted by the TraceAssemblers, bytes per span in R2, bytes per trace in D1). The pure model is
 * worker/cost/cost-model.ts.
 */
import {
  cloudflarePrices,
  costPerMillion,
  monthAtScale,
  MONTHLY_MINIMUM_USD,
  type Bill,
  type OperationCounts,
  type PriceId,
  type Scale,
} from '../worker/cost/cost-model';

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
  };
  r2BytesPerSpan?: number;
  d1BytesPerTrace?: number;
  doBytesPerSpan?: number;
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
function figure(name: string, measured: number | undefined, assumed: number, note: string): number {
  if (measured !== undefined && Number.isFinite(measured)) {
    sources[name] = `measured (${note})`;
    return measured;
  }
  sources[name] = `assumed: ${note}`;
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
  d1RowsReadPerTrace: figure('d1RowsReadPerTrace', undefined, 40, 'upsert conflict checks, about one per row written'),
  d1BytesPerTrace: figure('d1BytesPerTrace', figures.d1BytesPerTrace, 1500, 'D1 table + index bytes / traces'),
};

const policy = { sampleRate: 0.001, retentionDays: 365 };
const notesScale: Scale = { services: 1000, machinesPerService: 100, requestsPerSecondPerMachine: 100, spansPerServiceRequest: NOTES_SPANS_PER_TRACE / 4 };

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

const c = costPerMillion(ops, policy);
const productOf = (id: PriceId) => p(id).product;
function byProduct(b: Bill) {
  const out = new Map<string, number>();
  for (const l of b.lines) out.set(productOf(l.id), (out.get(productOf(l.id)) ?? 0) + l.usd);
  return out;
}
console.log(`\n## Cost per million spans (SAMPLE_RATE ${policy.sampleRate}, ${policy.retentionDays}-day retention, storage over the whole retention)\n`);
console.log('| item | per million ingested spans | per million kept spans |');
console.log('| --- | --- | --- |');
for (const [i, l] of c.ingested.lines.entries()) {
  if (l.usd === 0 && c.kept.lines[i]!.usd === 0) continue;
  console.log(`| ${p(l.id).product}: ${p(l.id).item} | ${usd(l.usd)} | ${usd(c.kept.lines[i]!.usd)} |`);
}
const bi = byProduct(c.ingested);
const bk = byProduct(c.kept);
for (const product of bi.keys()) console.log(`| **${product} total** | ${usd(bi.get(product)!)} | ${usd(bk.get(product)!)} |`);
console.log(`| **total** | **${usd(c.ingested.usd)}** | **${usd(c.kept.usd)}** |`);

function month(label: string, scale: Scale) {
  const m = monthAtScale(scale, ops, policy);
  console.log(
    `\n${label}: ${num(m.ingestedSpansPerSecond)} spans/s ingested, ${num(m.keptSpansPerSecond)} kept (${num(m.keptTracesPerSecond)} traces/s)`,
  );
  const t = byProduct(m.traffic);
  console.log(`  traffic per month: ${[...t].map(([k, v]) => `${k} ${usd(v)}`).join(', ')} = ${usd(m.traffic.usd)}`);
  console.log(
    `  storage once a year is kept: R2 ${num(m.storedGb.r2 / 1000)} TB, D1 ${num(m.storedGb.d1 / 1000)} TB (D1 allows 10 GB per database) = ${usd(m.storage.usd)} per month`,
  );
  console.log(`  total ${usd(m.totalUsd)} per month (${usd(m.totalUsd / ((m.keptSpansPerSecond * 365.25 * 86_400) / 12 / 1e6))} per million kept spans)`);
  const d1Rows = m.traffic.lines.find((l) => l.id === 'd1RowsWritten')!.quantity / ((365.25 / 12) * 86_400);
  console.log(`  D1 rows written per second: ${num(d1Rows)} (indexing + retention deletes, one database)`);
}
console.log("\n## A month at the notes' scale\n");
month('1,000 services × 100 machines × 100 RPS × 1.75 spans per service request (the notes: 7 spans per 4-service request)', notesScale);
// The notes' own arithmetic arrives at 100k kept spans/s; the same model at that volume:
month("the notes' own figure, 100,000 kept spans/s", { ...notesScale, spansPerServiceRequest: 100_000 / policy.sampleRate / 1e7 });
const notesBytes = 5000;
console.log(
  `\nthe notes estimate ${notesBytes} bytes per span (15 PB for a year of 100k spans/s); measured R2 ${ops.r2BytesPerSpan.toFixed(0)} bytes per span + D1 ${(ops.d1BytesPerTrace / ops.spansPerTrace).toFixed(0)} bytes per span of index: ${(notesBytes / (ops.r2BytesPerSpan + ops.d1BytesPerTrace / ops.spansPerTrace)).toFixed(0)}× less`,
);
