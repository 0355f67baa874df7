/**
 * Time and memory of trace assembly in the TraceAssembler's path (parse the stored batches →
 * assemble → encode for R2) and the query path (decode → Jaeger JSON), for 10k- and 100k-span
 * traces of realistic shape: 8 services on 16 hosts (two with drifting clocks), client/server
 * pairs, 10 attributes per span, an event on every 10th, a few duplicates and lost spans.
 *   node --expose-gc scripts/run-ts.mjs bench/assembly.ts [sizes...]
 *
 * Heap figures are deltas over the heap before the step sequence (after a GC): "after" is the heap
 * right after the step without collecting (an upper bound of the peak so far, garbage included),
 * "live" is what survives a GC. The DO path is then re-run for the largest size in a child Node
 * whose old space is capped at 128 MB (the Durable Object's memory limit) to show it fits.
 */
import { annotateSpans, assemble, planAssembly } from '../durable/assemble';
import { decodeTrace, encodeTrace, encodeTraceStream, openTrace } from '../durable/trace-codec';
import { jaegerTraceJson, toJaegerTrace } from '../worker/query/jaeger-encode';
import type { AssembledTrace, KeyValue, Span, SpanId, TraceId, UnixNanos } from '../worker/span/model';
import { seededRandom as rng } from '../worker/seeded-random';

const BASE = 1_767_225_600_000_000_000n; // 2026-01-01T00:00:00Z in ns
const TRACE = 'f00dfeed'.repeat(4) as TraceId;
const SERVICES = ['gateway', 'auth', 'cart', 'catalog', 'pricing', 'inventory', 'db-proxy', 'search'];
/** clock offset in ns per host (two drifting hosts) */
const DRIFT: Record<string, number> = { 'pricing-1': 80e6, 'inventory-0': -30e6 };
const BATCH = 200;

const s = (v: string) => ({ stringValue: v });
const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');

interface Node {
  id: number;
  service: number;
  host: string;
  kind: number;
  start: number;
  end: number;
}

/**
 * The trace as the DO stores it: batches of spans as JSON strings, produced lazily so that only
 * the reader's parsed spans are alive (as when the DO iterates its SQLite rows).
 */
function* storedBatches(n: number): Generator<string> {
  const rand = rng(n);
  const queue: Node[] = [];
  let head = 0;
  let made = 0;
  let batch: Span[] = [];
  const emit = (node: Node, parent: Node | null, name: string): Span | null => {
    made++;
    // ~0.2% of spans are lost on the way: their children arrive as orphans
    if (parent !== null && rand() < 0.002) return null;
    const drift = DRIFT[node.host] ?? 0;
    const attrs: KeyValue[] = [
      { key: 'http.request.method', value: s(rand() < 0.7 ? 'GET' : 'POST') },
      { key: 'http.route', value: s(`/api/v1/${SERVICES[node.service]}/{id}`) },
      { key: 'http.response.status_code', value: { intValue: rand() < 0.98 ? '200' : '503' } },
      { key: 'server.address', value: s(`${SERVICES[node.service]}.internal`) },
      { key: 'rpc.system', value: s('grpc') },
      { key: 'enduser.id', value: s(`user-${Math.floor(rand() * 100000)}`) },
      { key: 'app.request_id', value: s(hex(Math.floor(rand() * 2 ** 32), 8) + hex(made, 8)) },
      { key: 'thread.id', value: { intValue: String(Math.floor(rand() * 64)) } },
      { key: 'app.cache_hit', value: { boolValue: rand() < 0.5 } },
      { key: 'app.payload_kb', value: { doubleValue: Math.round(rand() * 1e4) / 100 } },
    ];
    const span: Span = {
      traceId: TRACE,
      spanId: hex(node.id + 1, 16) as SpanId,
      name,
      kind: node.kind as Span['kind'],
      service: SERVICES[node.service]!,
      resource: {
        attributes: [
          { key: 'service.name', value: s(SERVICES[node.service]!) },
          { key: 'host.name', value: s(node.host) },
          { key: 'service.instance.id', value: s(`${node.host}-a1b2`) },
          { key: 'telemetry.sdk.language', value: s('nodejs') },
          { key: 'telemetry.sdk.version', value: s('2.12.0') },
          { key: 'deployment.environment.name', value: s('production') },
        ],
      },
      scope: { name: '@opentelemetry/instrumentation-http', version: '0.223.1' },
      startTimeUnixNano: (BASE + BigInt(Math.round(node.start + drift))).toString() as UnixNanos,
      endTimeUnixNano: (BASE + BigInt(Math.round(node.end + drift))).toString() as UnixNanos,
      attributes: attrs,
      events:
        node.id % 10 === 3
          ? [{ timeUnixNano: (BASE + BigInt(Math.round((node.start + node.end) / 2 + drift))).toString() as UnixNanos, name: 'cache.miss', attributes: [{ key: 'cache.key', value: s(`k:${node.id}`) }] }]
          : [],
      links: [],
      status: { code: rand() < 0.01 ? 2 : 0 },
    };
    if (parent !== null) span.parentSpanId = hex(parent.id + 1, 16) as SpanId;
    return span;
  };
  const push = (span: Span | null): Generator<string> | null => {
    if (span === null) return null;
    batch.push(span);
    // ~0.5% are retried by the exporter and stored twice
    if (rand() < 0.005) batch.push(span);
    return null;
  };
  const root: Node = { id: 0, service: 0, host: 'gateway-0', kind: 2, start: 0, end: 5e9 };
  push(emit(root, null, 'GET /checkout'));
  queue.push(root);
  while (made < n && head < queue.length) {
    const p = queue[head++]!;
    const slots = p.kind === 3 ? 1 : 1 + Math.floor(rand() * 4);
    const span = (p.end - p.start) / (slots + 1);
    for (let c = 0; c < slots && made < n; c++) {
      const start = p.start + span * (c + 0.5) + rand() * span * 0.1;
      const end = start + span * (0.6 + rand() * 0.3);
      let node: Node;
      if (p.kind === 3) {
        // the server side of a call: another service, on one of its two hosts
        const service = (p.service + 1 + Math.floor(rand() * (SERVICES.length - 1))) % SERVICES.length;
        node = { id: made, service, host: `${SERVICES[service]}-${Math.floor(rand() * 2)}`, kind: 2, start: p.start + span * 0.05, end: p.end - span * 0.05 };
      } else {
        node = { id: made, service: p.service, host: p.host, kind: rand() < 0.6 ? 3 : 1, start, end };
      }
      push(emit(node, p, node.kind === 3 ? `call ${SERVICES[node.service]}` : node.kind === 2 ? `handle ${SERVICES[node.service]}` : 'work'));
      queue.push(node);
    }
    if (batch.length >= BATCH) {
      yield JSON.stringify(batch);
      batch = [];
    }
  }
  if (batch.length > 0) yield JSON.stringify(batch);
}

const gc = (globalThis as { gc?: () => void }).gc;
const heap = () => process.memoryUsage().heapUsed;
const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;

interface Step {
  name: string;
  ms: number;
  after: number;
  live: number;
}

/** Runs steps, recording time and heap over the baseline taken before the first. */
function recorder() {
  gc?.();
  const base = heap();
  const steps: Step[] = [];
  const step = async <T>(name: string, f: () => T | Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const out = await f();
    const ms = performance.now() - t0;
    const after = heap() - base;
    gc?.();
    steps.push({ name, ms, after, live: heap() - base });
    return out;
  };
  return { steps, step };
}

/** As the DO's collect(): one stored row at a time, parsed into spans. */
function* readRows(rows: () => Iterable<string>): Generator<Span> {
  for (const row of rows()) yield* JSON.parse(row) as Span[];
}

const args0 = { traceId: TRACE, version: 1, sampleRate: 0.01 };

/** Whole: every span in memory (assemble → encodeTrace; decodeTrace → toJaegerTrace). */
async function whole(rows: () => Iterable<string>) {
  const { steps, step } = recorder();
  let spans: Span[] | null = await step('parse all rows', () => [...readRows(rows)]);
  const input = spans;
  let trace: AssembledTrace | null = await step('assemble', () => assemble({ ...args0, spans: input }));
  spans = null;
  const t = trace;
  const bytes = await step('encodeTrace', () => encodeTrace(t));
  trace = null;
  const decoded = await step('query: decodeTrace', () => decodeTrace(bytes));
  const len = await step('query: toJaegerTrace+JSON', () => JSON.stringify(toJaegerTrace(decoded)).length);
  return { steps, bytes: bytes.byteLength, spans: decoded.spans.length, jsonLength: len };
}

/** Chunked: two passes over the rows, streamed write; streamed read into Jaeger JSON text. */
async function chunked(rows: () => Iterable<string>) {
  const { steps, step } = recorder();
  const plan = await step('pass 1: planAssembly', () => planAssembly({ ...args0, spans: readRows(rows) }));
  const bytes = await step('pass 2: annotate+encode', () => encodeTraceStream(plan.head, annotateSpans(plan, readRows(rows))));
  const len = await step('query: stream Jaeger', async () => {
    const { head, chunks } = await openTrace(bytes);
    let n = 0;
    for await (const piece of jaegerTraceJson(head, chunks)) n += piece.length;
    return n;
  });
  return { steps, bytes: bytes.byteLength, spans: plan.head.spanCount, jsonLength: len };
}

function print(title: string, steps: Step[]) {
  console.log(`  ${title}`);
  console.log('    step                        time     heap after    live after');
  for (const x of steps) console.log(`    ${x.name.padEnd(26)} ${x.ms.toFixed(0).padStart(5)} ms  ${mb(x.after).padStart(10)}  ${mb(x.live).padStart(10)}`);
  const doSteps = steps.filter((x) => !x.name.startsWith('query'));
  const q = steps.filter((x) => x.name.startsWith('query'));
  console.log(
    `    → DO path ${doSteps.reduce((t, x) => t + x.ms, 0).toFixed(0)} ms, peak heap ≤ ${mb(Math.max(...doSteps.map((x) => x.after)))};` +
      ` query path ${q.reduce((t, x) => t + x.ms, 0).toFixed(0)} ms, peak heap ≤ ${mb(Math.max(...q.map((x) => x.after)))}`,
  );
}

const args = process.argv.slice(2);
if (args[0] === '--child') {
  // Capped run: rows are produced lazily (in the DO they sit in SQLite, not in the heap).
  const n = Number(args[1]);
  const mode = args[2];
  const rows = () => storedBatches(n);
  const r = mode === 'whole' ? await whole(rows) : await chunked(rows);
  console.log(JSON.stringify({ spans: r.spans, peak: Math.max(...r.steps.map((x) => x.after)), rss: process.memoryUsage().rss }));
} else {
  if (!gc) console.log('(run with node --expose-gc for the live-heap figures)');
  const sizes = args.length > 0 ? args.map(Number) : [10_000, 100_000];
  console.log(`node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
  const bundle = decodeURIComponent(new URL(import.meta.url).pathname);
  // (a computed specifier: the project has no Node type definitions, and only this bench needs it)
  const childProcess = 'node:child_process';
  const { execFileSync } = (await import(childProcess)) as {
    execFileSync: (file: string, args: string[], opts: { encoding: 'utf8'; stdio: string[] }) => string;
  };
  for (const n of sizes) {
    const rowsHeld = [...storedBatches(n)]; // held outside the baseline
    await chunked(() => [...storedBatches(2000)]); // warm up the JIT
    await whole(() => [...storedBatches(2000)]);
    const w = await whole(() => rowsHeld);
    const c = await chunked(() => rowsHeld);
    console.log(`\n${n} spans generated → ${c.spans} after dedupe; R2 object ${mb(c.bytes)} (whole ${mb(w.bytes)}); Jaeger JSON ${mb(c.jsonLength)}`);
    print('whole (assemble / encodeTrace / decodeTrace / toJaegerTrace)', w.steps);
    print('chunked (planAssembly / annotateSpans+encodeTraceStream / openTrace+jaegerTraceJson)', c.steps);
    // The DO's limit is 128 MB for the whole isolate: cap V8's old space at 128 MB and run again.
    for (const mode of ['whole', 'chunked']) {
      try {
        const out = execFileSync(process.execPath, ['--expose-gc', '--max-old-space-size=128', bundle, '--child', String(n), mode], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        });
        const r = JSON.parse(out.trim().split('\n').pop()!) as { peak: number; rss: number };
        console.log(`  128 MB cap, ${mode}: fits (peak heap ≤ ${mb(r.peak)}, RSS ${mb(r.rss)})`);
      } catch {
        console.log(`  128 MB cap, ${mode}: OUT OF MEMORY`);
      }
    }
  }
}
