/**
 * Services figures (issue 8): D1 writes and Durable Object requests per minute for the RED
 * metrics and the registry, at 100 services × 10 instances sending 1,000 spans/s in total.
 *
 * The load: every instance exports every 5 s (the OpenTelemetry batch span processor's default
 * delay) the ~5 spans it made, so the edge serves 200 requests/s; each service has 6 operations of
 * two kinds (12 groups), with log-normal latencies. Requests land on N edge isolates at random.
 * Each isolate runs the real EdgeBuffer (worker/services/edge-buffer.ts) on a simulated clock;
 * each shard is modelled from the real pure parts the ServiceMetrics object runs (RedAggregate,
 * planFlush, nextFlushAt) and counts what the object writes: its SQLite rows (one pending row per
 * minute per request, the intent, the deletes, setAlarm) and the D1 rows of each flush (a new row
 * costs 2: row + primary-key entry; an update of a registry row costs 1 — the counts that
 * test/metrics.test.ts checks against local D1's own `rows_written`).
 *
 * Run: node scripts/run-ts.mjs bench/services.ts   (about 20 s on the 2-core machine)
 */
import { EdgeBuffer } from '../worker/services/edge-buffer';
import { encodeHistogram } from '../worker/services/histogram';
import { MINUTE_MS, RedAggregate, type MinuteDelta } from '../worker/services/red-aggregate';
import { EDGE_LINGER_MS } from '../worker/services/record-ingest';
import { SHARD_COUNT } from '../worker/services/shard';
import { nextFlushAt, planFlush } from '../worker/services/shard-flush';
import { SpanKind, type Span } from '../worker/span/model';
import { testSpan } from '../worker/services/test-spans';

const SERVICES = 100;
const INSTANCES_PER_SERVICE = 10;
const SPANS_PER_SECOND = 1000;
const EXPORT_EVERY_MS = 5000;
const OPERATIONS = 6;
const MINUTES = 6;

/** A tiny discrete-event clock: timers fire in time order, promises settle between them. */
class Clock {
  now = Date.UTC(2026, 0, 1);
  private timers: { at: number; seq: number; fire: () => void }[] = [];
  private seq = 0;
  at(at: number, fire: () => void): void {
    this.timers.push({ at, seq: this.seq++, fire });
  }
  sleep = (ms: number): Promise<void> => new Promise((resolve) => this.at(this.now + ms, resolve));
  async run(until: number): Promise<void> {
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers[0];
      if (!next || next.at > until) break;
      this.timers.shift();
      this.now = next.at;
      next.fire();
      await new Promise((r) => setImmediate(r));
    }
    this.now = until;
  }
}

interface Counts {
  doRequests: number;
  doRowsWritten: number;
  d1RowsWritten: number;
  d1Batches: number;
  d1Statements: number;
  metricRows: number;
  metricRowBytes: number;
}
const zero = (): Counts => ({ doRequests: 0, doRowsWritten: 0, d1RowsWritten: 0, d1Batches: 0, d1Statements: 0, metricRows: 0, metricRowBytes: 0 });

/** What one ServiceMetrics shard does, counted (see durable/service-metrics.ts). */
class ShardModel {
  private pending: { id: number; minute: number; delta: MinuteDelta }[] = [];
  private nextId = 1;
  private alarmAt: number | null = null;
  constructor(
    private readonly clock: Clock,
    private readonly counts: Counts,
    private readonly registry: Map<string, number>,
  ) {}

  add(deltas: MinuteDelta[]): void {
    this.counts.doRequests++;
    for (const delta of deltas) {
      this.pending.push({ id: this.nextId++, minute: delta.minute, delta: JSON.parse(JSON.stringify(delta)) as MinuteDelta });
      this.counts.doRowsWritten++;
    }
    if (this.alarmAt === null) this.setAlarm(nextFlushAt(this.clock.now));
  }

  private setAlarm(at: number): void {
    this.alarmAt = at;
    this.counts.doRowsWritten++;
    this.clock.at(at, () => this.alarm());
  }

  private alarm(): void {
    this.alarmAt = null;
    const intent = planFlush(this.pending, this.clock.now);
    if (intent) {
      this.counts.doRowsWritten++; // the intent
      const taken = this.pending.filter((r) => r.id <= intent.seq && r.minute < intent.beforeMinute);
      this.pending = this.pending.filter((r) => !(r.id <= intent.seq && r.minute < intent.beforeMinute));
      const agg = new RedAggregate();
      for (const r of taken) agg.addDelta(r.delta);
      this.write(agg);
      this.counts.doRowsWritten += taken.length + 2; // deletes, committedSeq, intent removed
    }
    if (this.pending.length > 0) this.setAlarm(nextFlushAt(this.clock.now));
  }

  private upsert(key: string, lastSeen: number): void {
    const known = this.registry.get(key);
    if (known === undefined) this.counts.d1RowsWritten += 2;
    else if (lastSeen > known) this.counts.d1RowsWritten += 1;
    if (known === undefined || lastSeen > known) this.registry.set(key, lastSeen);
  }

  private write(agg: RedAggregate): void {
    this.counts.d1Batches++;
    this.counts.d1Statements += 3;
    for (const g of agg.groups.values()) {
      this.counts.d1RowsWritten += 2;
      this.counts.metricRows++;
      // the row as SQLite stores it: text columns, 6 integers, the histogram JSON, the key again in the index
      this.counts.metricRowBytes += 2 * (g.service.length + g.operation.length + g.spanKind.length + 24) + 6 * 4 + encodeHistogram(g.hist).length;
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
      for (let t = start + phase; t < start + MINUTES * MINUTE_MS; t += EXPORT_EVERY_MS)
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
console.log('| edge isolates | linger | ingest requests/min | DO requests/min | DO SQLite rows written/min | D1 batches/min | D1 rows written/min | metric rows/min | metric bytes/day |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const [isolates, linger] of [
  [1, EDGE_LINGER_MS],
  [10, EDGE_LINGER_MS],
  [100, EDGE_LINGER_MS],
  [10, 5000],
] as const) {
  const { perMinute: c, requestsPerMinute } = await simulate(isolates, linger);
  console.log(
    `| ${isolates} | ${linger / 1000} s | ${fmt(requestsPerMinute)} | ${fmt(c.doRequests)} | ${fmt(c.doRowsWritten)} | ${fmt(c.d1Batches)} | ${fmt(c.d1RowsWritten)} | ${fmt(c.metricRows)} | ${(c.metricRowBytes * 1440 / 1e6).toFixed(0)} MB |`,
  );
}
console.log('');
console.log('For comparison, one write per ingest request would be 12,000 D1 statements/min, and one DO request per ingest request 12,000 DO requests/min.');
