/**
 * Services figures (issue 8): D1 writes and Durable Object requests per minute for the RED
 * metrics and the registry, at 100 services × 10 instances sending 1,000 spans/s in total.
 *
 * The load: every instance exports every 5 s (the OpenTelemetry batch span processor's default
 * delay) the ~5 spans it made, so the edge serves 200 requests/s; each service has 6 operations of
 * two kinds (12 groups), with log-normal latencies. Requests land on N edge isolates at random.
 * Each isolate runs the real EdgeBuffer (worker/services/edge-buffer.ts) on a simulated clock;
 * each shard runs the real pure parts of the ServiceMetrics object (ShardPending with its
 * once-a-second checkpoint, planFlush, nextFlushAt) over a counting table, and counts what the
 * object writes: its SQLite rows (checkpoints, the flush intent, the deletes, setAlarm) and the D1
 * rows of each flush (a new row costs 2: row + primary-key entry; an update of a registry row
 * costs 1 — the counts test/metrics.test.ts checks against local D1's own `rows_written`).
 *
 * Last, the figures the cost model (worker/cost/cost-model.ts) takes from this load, per shard,
 * group, instance and service per minute, on one `cost-model figures:` JSON line.
 *
 * Run: node scripts/run-ts.mjs bench/services.ts   (about a minute on the 2-core machine)
 */
import { EdgeBuffer } from '../worker/services/edge-buffer';
import { encodeHistogram, mergeHistogram, type Histogram } from '../worker/services/histogram';
import { MINUTE_ROWS_KEPT_MS } from '../worker/services/metrics-fold';
import { MINUTE_MS, RedAggregate, type MinuteDelta } from '../worker/services/red-aggregate';
import { EDGE_LINGER_MS } from '../worker/services/record-ingest';
import { SHARD_COUNT } from '../worker/services/shard';
import { covers, nextFlushAt, planFlush } from '../worker/services/shard-flush';
import { ShardPending, type StoredRow } from '../worker/services/shard-pending';
import { SpanKind, type Span } from '../worker/span/model';
import { testSpan } from '../worker/services/test-spans';

const SERVICES = 100;
const INSTANCES_PER_SERVICE = 10;
const SPANS_PER_SECOND = 1000;
const EXPORT_EVERY_MS = 5000;
const OPERATIONS = 6;
const MINUTES = 6;

/** A tiny discrete-event clock: timers fire in time order (a binary heap), promises settle between them. */
class Clock {
  now = Date.UTC(2026, 0, 1);
  private heap: { at: number; seq: number; fire: () => void }[] = [];
  private seq = 0;
  private before(a: number, b: number): boolean {
    const x = this.heap[a]!;
    const y = this.heap[b]!;
    return x.at < y.at || (x.at === y.at && x.seq < y.seq);
  }
  private swap(a: number, b: number): void {
    [this.heap[a], this.heap[b]] = [this.heap[b]!, this.heap[a]!];
  }
  at(at: number, fire: () => void): void {
    this.heap.push({ at, seq: this.seq++, fire });
    for (let i = this.heap.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (!this.before(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }
  private pop(): { at: number; fire: () => void } {
    const top = this.heap[0]!;
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.heap.length && this.before(l, m)) m = l;
        if (r < this.heap.length && this.before(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
  sleep = (ms: number): Promise<void> => new Promise((resolve) => this.at(this.now + ms, resolve));
  async run(until: number): Promise<void> {
    while (this.heap.length > 0 && this.heap[0]!.at <= until) {
      const next = this.pop();
      this.now = next.at;
      next.fire();
      await new Promise((r) => setImmediate(r));
    }
    this.now = until;
  }
}

interface Counts {
  doRequests: number;
  /** wall time shards spent with a request waiting for its checkpoint (overlaps counted once) */
  doActiveMs: number;
  doRowsWritten: number;
  d1RowsWritten: number;
  /** the part of d1RowsWritten that is registry rows: instances, services */
  d1InstanceRowsWritten: number;
  d1ServiceRowsWritten: number;
  d1Batches: number;
  d1Statements: number;
  metricRows: number;
  metricRowBytes: number;
}
const zero = (): Counts => ({
  doRequests: 0,
  doActiveMs: 0,
  doRowsWritten: 0,
  d1RowsWritten: 0,
  d1InstanceRowsWritten: 0,
  d1ServiceRowsWritten: 0,
  d1Batches: 0,
  d1Statements: 0,
  metricRows: 0,
  metricRowBytes: 0,
});

/** Every group's latencies over the run: what an hourly row (after folding) holds. */
const groupHistograms = new Map<string, { key: string; hist: Histogram }>();
const rowBytes = (key: string, hist: Histogram): number => 2 * (key.length + 24) + 6 * 4 + encodeHistogram(hist).length;

/** What one ServiceMetrics shard does, counted (see durable/service-metrics.ts). */
class ShardModel {
  private readonly store = {
    rowsStored: [] as StoredRow[],
    nextId: 1,
    counts: null as unknown as Counts,
    insert(minute: number, delta: string): number {
      this.counts.doRowsWritten++;
      this.rowsStored.push({ id: this.nextId, minute, delta });
      return this.nextId++;
    },
    update(id: number, delta: string): void {
      this.counts.doRowsWritten++;
      this.rowsStored.find((r) => r.id === id)!.delta = delta;
    },
    rows(): StoredRow[] {
      return this.rowsStored;
    },
  };
  private readonly pending = new ShardPending(this.store, () => undefined);
  private alarmAt: number | null = null;
  private checkpointAt: number | null = null;
  /** end of the latest wait for a checkpoint: the shard is billed while any request waits */
  private busyUntil = 0;

  constructor(
    private readonly clock: Clock,
    private readonly counts: Counts,
    private readonly registry: Map<string, number>,
  ) {
    this.store.counts = counts;
  }

  add(deltas: MinuteDelta[]): void {
    this.counts.doRequests++;
    this.pending.add(deltas);
    if (this.alarmAt === null) this.setAlarm(nextFlushAt(this.clock.now));
    const delay = this.pending.checkpointDelay(this.clock.now);
    // the request is answered once its checkpoint is written (durable/service-metrics.ts)
    const until = this.clock.now + delay;
    this.counts.doActiveMs += Math.max(0, until - Math.max(this.clock.now, this.busyUntil));
    this.busyUntil = Math.max(this.busyUntil, until);
    if (delay === 0) this.pending.checkpoint(this.clock.now);
    else if (this.checkpointAt === null) {
      this.checkpointAt = this.clock.now + delay;
      this.clock.at(this.checkpointAt, () => {
        this.checkpointAt = null;
        this.pending.checkpoint(this.clock.now);
      });
    }
  }

  private setAlarm(at: number): void {
    this.alarmAt = at;
    this.counts.doRowsWritten++;
    this.clock.at(at, () => this.alarm());
  }

  private alarm(): void {
    this.alarmAt = null;
    this.pending.checkpoint(this.clock.now);
    const intent = planFlush(this.store.rowsStored, this.clock.now);
    if (intent) {
      this.counts.doRowsWritten++; // the intent
      this.pending.freeze(intent);
      const { agg, rows } = this.pending.covered(intent);
      this.write(agg);
      this.store.rowsStored = this.store.rowsStored.filter((r) => !covers(intent, r));
      this.counts.doRowsWritten += rows + 2; // the deletes, committedSeq, the intent removed
    }
    if (this.store.rowsStored.length > 0 || this.pending.dirty) this.setAlarm(nextFlushAt(this.clock.now));
  }

  private upsert(key: string, lastSeen: number): void {
    const known = this.registry.get(key);
    const rows = known === undefined ? 2 : lastSeen > known ? 1 : 0;
    this.counts.d1RowsWritten += rows;
    if (key.startsWith('i|')) this.counts.d1InstanceRowsWritten += rows;
    else this.counts.d1ServiceRowsWritten += rows;
    if (known === undefined || lastSeen > known) this.registry.set(key, lastSeen);
  }

  private write(agg: RedAggregate): void {
    this.counts.d1Batches++;
    this.counts.d1Statements += 3;
    for (const g of agg.groups.values()) {
      this.counts.d1RowsWritten += 2;
      this.counts.metricRows++;
      // the row as SQLite stores it: text columns, 6 integers, the histogram JSON, the key again in the index
      const key = `${g.service}${g.operation}${g.spanKind}`;
      this.counts.metricRowBytes += rowBytes(key, g.hist);
      let all = groupHistograms.get(key);
      if (!all) groupHistograms.set(key, (all = { key, hist: new Map() }));
      mergeHistogram(all.hist, g.hist);
    }
    const services = new Map<string, number>();
    for (const i of agg.instances.values()) {
      this.upsert(`i|${i.service}|${i.id}`, i.lastSeenMs);
      services.set(i.service, Math.max(services.get(i.service) ?? 0, i.lastSeenMs));
    }
    for (const [s, last] of services) this.upsert(`s|${s}`, last);
  }
}

function gaussian(): number {
  return Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
}

/** The spans one instance exports in one batch. */
function batch(service: number, instance: number, n: number): Span[] {
  const spans: Span[] = [];
  for (let k = 0; k < n; k++) {
    const op = Math.floor(Math.random() * OPERATIONS);
    const medianMs = 5 + ((service * 7 + op * 13) % 200);
    spans.push(
      testSpan({
        service: `service-${service}`,
        instance: `service-${service}-${instance}`,
        name: `op-${op}`,
        kind: k % 2 === 0 ? SpanKind.SERVER : SpanKind.CLIENT,
        durationMs: medianMs * Math.exp(0.6 * gaussian()),
        error: Math.random() < 0.01,
      }),
    );
  }
  return spans;
}

async function simulate(isolates: number, lingerMs: number): Promise<{ perMinute: Counts; requestsPerMinute: number; spansPerMinute: number }> {
  const clock = new Clock();
  const counts = zero();
  const registry = new Map<string, number>();
  const shards = Array.from({ length: SHARD_COUNT }, () => new ShardModel(clock, counts, registry));
  const edges = Array.from(
    { length: isolates },
    () =>
      new EdgeBuffer({
        lingerMs,
        now: () => clock.now,
        sleep: clock.sleep,
        send: async (shard, deltas) => shards[shard]!.add(deltas),
        onError: (_shard, err) => {
          throw err;
        },
      }),
  );
  const start = clock.now;
  const spansPerExport = (SPANS_PER_SECOND * EXPORT_EVERY_MS) / 1000 / (SERVICES * INSTANCES_PER_SERVICE);
  let requests = 0;
  let spans = 0;
  for (let s = 0; s < SERVICES; s++)
    for (let i = 0; i < INSTANCES_PER_SERVICE; i++) {
      const phase = Math.random() * EXPORT_EVERY_MS;
      for (let t = start + phase; t < start + (MINUTES + 1) * MINUTE_MS; t += EXPORT_EVERY_MS)
        clock.at(t, () => {
          // a whole number of spans per export, averaging spansPerExport
          const n = Math.floor(spansPerExport) + (Math.random() < spansPerExport % 1 ? 1 : 0);
          requests++;
          spans += n;
          void edges[Math.floor(Math.random() * isolates)]!.record(batch(s, i, n));
        });
    }
  // warm up one minute (first registry inserts), then count the following minutes
  await clock.run(start + MINUTE_MS + 30_000);
  const base = { ...counts };
  const baseRequests = requests;
  const baseSpans = spans;
  await clock.run(start + MINUTES * MINUTE_MS + 30_000);
  const minutes = MINUTES - 1;
  const perMinute = Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, (v - base[k as keyof Counts]) / minutes])) as unknown as Counts;
  return { perMinute, requestsPerMinute: (requests - baseRequests) / minutes, spansPerMinute: (spans - baseSpans) / minutes };
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

console.log(`load: ${SERVICES} services × ${INSTANCES_PER_SERVICE} instances, ${SPANS_PER_SECOND} spans/s, each instance exports every ${EXPORT_EVERY_MS / 1000} s; ${OPERATIONS} operations × 2 kinds per service; ${SHARD_COUNT} shards`);
console.log('');
console.log('| edge isolates | linger | ingest requests/min | DO requests/min | DO SQLite rows written/min | D1 batches/min | D1 rows written/min | metric rows/min |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
let last: Counts = zero();
/** the row the cost model takes: requests spread over many isolates, as in production */
let spread: { counts: Counts; requestsPerMinute: number } | null = null;
for (const [isolates, linger] of [
  [1, EDGE_LINGER_MS],
  [10, EDGE_LINGER_MS],
  [100, EDGE_LINGER_MS],
  [10, 5000],
] as const) {
  const { perMinute: c, requestsPerMinute } = await simulate(isolates, linger);
  last = c;
  if (isolates === 100 && linger === EDGE_LINGER_MS) spread = { counts: c, requestsPerMinute };
  console.log(
    `| ${isolates} | ${linger / 1000} s | ${fmt(requestsPerMinute)} | ${fmt(c.doRequests)} | ${fmt(c.doRowsWritten)} | ${fmt(c.d1Batches)} | ${fmt(c.d1RowsWritten)} | ${fmt(c.metricRows)} |`,
  );
}
const groups = groupHistograms.size;
const minuteBytesPerDay = last.metricRowBytes * 1440;
const hourlyBytesPerDay = ([...groupHistograms.values()].reduce((n, g) => n + rowBytes(g.key, g.hist), 0) / groupHistograms.size) * groups * 24;
const keptDays = MINUTE_ROWS_KEPT_MS / 86_400_000;
console.log('');
console.log(`Groups (service × operation × kind): ${fmt(groups)}. Minute rows: ${(minuteBytesPerDay / 1e6).toFixed(0)} MB/day, kept ${keptDays} days = ${((minuteBytesPerDay * keptDays) / 1e6).toFixed(0)} MB;`);
console.log(`then hourly rows: about ${(hourlyBytesPerDay / 1e6).toFixed(1)} MB/day, ${((hourlyBytesPerDay * (30 - keptDays)) / 1e6).toFixed(0)} MB for the rest of a 30-day retention (minute rows alone for 30 days: ${((minuteBytesPerDay * 30) / 1e9).toFixed(1)} GB).`);
console.log(`Folding, in steady state: ${fmt(last.metricRows * 2 + (groups / 60) * 2)} D1 rows written/min (each minute row deleted with its index entry, one hourly row per group per hour).`);
console.log('For comparison: one write per ingest request would be about 12,000 D1 statements/min, and one DO request per ingest request about 12,000 DO requests/min.');

// Per unit, for the cost model. A minute row is written with its key (2 rows), deleted with it
// when folded (2), and adds 2/60 for its share of the hourly row and 2/60 again when retention
// deletes that; registry rows are one update per instance and per service seen in a minute.
const r = spread!;
const metricRowsPerGroupMinute = (r.counts.d1RowsWritten - r.counts.d1InstanceRowsWritten - r.counts.d1ServiceRowsWritten) / groups;
const costFigures = {
  metricsDoRequestsPerIngestRequest: r.counts.doRequests / r.requestsPerMinute,
  metricsActiveMsPerRequest: r.counts.doActiveMs / r.counts.doRequests,
  metricsDoRowsWrittenPerShardMinute: r.counts.doRowsWritten / SHARD_COUNT,
  metricsD1RowsWrittenPerGroupMinute: metricRowsPerGroupMinute + (r.counts.metricRows * 2) / groups + (2 * 2) / 60,
  registryD1RowsWrittenPerInstanceMinute: r.counts.d1InstanceRowsWritten / (SERVICES * INSTANCES_PER_SERVICE),
  registryD1RowsWrittenPerServiceMinute: r.counts.d1ServiceRowsWritten / SERVICES,
};
const rounded = Object.fromEntries(Object.entries(costFigures).map(([k, v]) => [k, Number(v.toFixed(4))]));
console.log('');
console.log(
  `Shards' billed wall time (a request waits for the next once-a-second checkpoint; overlaps once): ${fmt(r.counts.doActiveMs / r.counts.doRequests)} ms per request, active ${((100 * r.counts.doActiveMs) / (SHARD_COUNT * MINUTE_MS)).toFixed(0)}% of the time (100 isolates).`,
);
console.log(`cost-model figures (100 edge isolates, ${EDGE_LINGER_MS / 1000} s linger, ${fmt(r.requestsPerMinute)} requests/min of ~${((SPANS_PER_SECOND * 60) / r.requestsPerMinute).toFixed(0)} spans): ${JSON.stringify(rounded)}`);
