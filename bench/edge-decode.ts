/**
 * Edge CPU per span: decode + normalise + sample of a 512-span OTLP protobuf batch, next to a plain
 * JSON.parse of the same batch as OTLP JSON (the floor any JSON ingest pays), in one run; then the
 * RED metrics aggregation every span also goes through, kept or not (the isolate's EdgeBuffer:
 * RedAggregate.addSpan per span, toDeltas and the RPC payload per window), and the edge total.
 * With `--stages` it also times each stage of the protobuf path alone (decode, sampling, grouping).
 *   node scripts/run-ts.mjs bench/edge-decode.ts [--stages]
 */
import { SpanKind, context, trace } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { groupByTrace } from '../worker/ingest/group';
import { decodeOtlpJson } from '../worker/ingest/otlp-json';
import { decodeOtlpProtobuf } from '../worker/ingest/otlp-protobuf';
import type { Span } from '../worker/span/model';
import { decideBatch } from '../worker/sampling/decide';
import { EdgeBuffer } from '../worker/services/edge-buffer';
import { EDGE_LINGER_MS } from '../worker/services/record-ingest';

const BATCH = 512;

function makeBatch() {
  const exporter = new InMemorySpanExporter();
  const services = ['api-gateway', 'auth', 'profile', 'db-proxy'].map((name) =>
    new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': name, 'host.name': `${name}-7f9c`, 'service.instance.id': `${name}-1` }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    }).getTracer(name),
  );
  // 64 traces of 8 spans: a realistic mix of attributes and an event per trace
  for (let t = 0; t < BATCH / 8; t++) {
    const root = services[0]!.startSpan('GET /users/profile', {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': 'GET', 'http.route': '/users/profile', 'http.response.status_code': 200, 'url.path': `/users/${t}` },
    });
    let ctx = trace.setSpan(context.active(), root);
    for (let i = 1; i < 8; i++) {
      const s = services[i % 4]!.startSpan(`op-${i}`, { kind: i % 2 ? SpanKind.CLIENT : SpanKind.SERVER, attributes: { 'peer.service': 'x', 'app.n': i, 'app.ok': true } }, ctx);
      if (i === 3) s.addEvent('cache.miss', { key: `user:${t}` });
      s.end();
      ctx = trace.setSpan(ctx, s);
    }
    root.end();
  }
  return exporter.getFinishedSpans();
}

/**
 * CPU per span of `fn`, called `iterations` times after a warm-up long enough for the JIT. `fn` gets
 * the iteration number, to rotate over distinct batches.
 */
function timePerSpan(label: string, iterations: number, fn: (i: number) => void): number {
  for (let i = 0; i < 200; i++) fn(i); // warm up the JIT
  const start = process.cpuUsage();
  for (let i = 0; i < iterations; i++) fn(i);
  const used = process.cpuUsage(start);
  return report(label, ((used.user + used.system) * 1000) / (iterations * BATCH));
}

function report(label: string, nsPerSpan: number): number {
  console.log(`${label.padEnd(52)} ${nsPerSpan.toFixed(0).padStart(7)} ns/span  (${((nsPerSpan * BATCH) / 1e6).toFixed(3)} ms/batch)`);
  return nsPerSpan;
}

/**
 * The same for the RED metrics: batches go through one real EdgeBuffer, `perWindow` of them per
 * linger window, and each window is sent as the isolate sends it (toDeltas per shard). The send
 * structured-clones the deltas, standing in for the RPC's serialisation (it also deserialises,
 * which the shard pays in production: a little more than the edge's share). The window's wait is
 * a promise ended by hand, so the CPU measured is only the aggregation's.
 */
async function timeRedPerSpan(label: string, windows: number, perWindow: number, spansOf: (i: number) => Span[]): Promise<number> {
  let endWindow: () => void = () => undefined;
  let payloads = 0;
  const buffer = new EdgeBuffer({
    lingerMs: EDGE_LINGER_MS,
    now: () => Date.now(),
    sleep: () => new Promise<void>((resolve) => (endWindow = resolve)),
    send: async (_shard, deltas) => {
      payloads += structuredClone(deltas).length;
    },
    onError: (_shard, err) => {
      throw err;
    },
  });
  let request = 0;
  const window = async (): Promise<void> => {
    const sent = buffer.record(spansOf(request++));
    for (let r = 1; r < perWindow; r++) void buffer.record(spansOf(request++));
    endWindow();
    await sent;
  };
  for (let w = 0; w < Math.ceil(200 / perWindow); w++) await window(); // warm up the JIT
  const start = process.cpuUsage();
  for (let w = 0; w < windows; w++) await window();
  const used = process.cpuUsage(start);
  if (payloads === 0) throw new Error('no window was sent');
  return report(label, ((used.user + used.system) * 1000) / (windows * perWindow * BATCH));
}

// Distinct batches, each with its own trace and span ids (as real traffic has: a decoder that caches
// what it has seen must not be timed on ids it saw in the previous iteration), rotated by every path.
const BATCHES = 16;
const made = Array.from({ length: BATCHES }, () => makeBatch());
const protos = made.map((spans) => ProtobufTraceSerializer.serializeRequest(spans)!);
const jsonTexts = made.map((spans) => new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans)!));
const proto = protos[0]!;
const sampling = { defaultRate: 0.001, rules: [] };
// the V8 version matters: Node 20's takes a slow path for object spread that RED aggregation uses
console.log(
  `edge CPU per span — node ${process.version}, ${BATCH}-span batches (${BATCHES} distinct, rotated), protobuf ${proto.byteLength} B, JSON ${jsonTexts[0]!.length} B`,
);
const decodeSample = timePerSpan('decode + normalise + sample + group (protobuf)', 320, (i) => {
  const decoded = decodeOtlpProtobuf(protos[i % BATCHES]!);
  const decisions = decideBatch(decoded.spans, sampling);
  groupByTrace(decoded.spans, (id) => decisions.get(id) ?? { forward: false, rate: 0 });
});
timePerSpan('decode + normalise + sample + group (OTLP JSON)', 320, (i) => {
  const decoded = decodeOtlpJson(JSON.parse(jsonTexts[i % BATCHES]!));
  const decisions = decideBatch(decoded.spans, sampling);
  groupByTrace(decoded.spans, (id) => decisions.get(id) ?? { forward: false, rate: 0 });
});
const parseOnly = timePerSpan('JSON.parse of the same batch as OTLP JSON (reference)', 320, (i) => {
  JSON.parse(jsonTexts[i % BATCHES]!);
});
console.log(`ratio protobuf path / JSON.parse: ${(decodeSample / parseOnly).toFixed(2)}`);

// Every decoded span, kept or not, is also added to the isolate's RED metrics (recordIngest). Its
// cost per span depends on how many requests share a linger window: one (a quiet isolate: every
// request pays for sending a window) or many (a busy one). Decoded once: each batch has its own
// span and resource objects, and the aggregate caches a resource's identity for one window only,
// so reusing the batches across windows hits no cache a real request would miss.
const decodedBatches = protos.map((p) => decodeOtlpProtobuf(p).spans);
const redQuiet = await timeRedPerSpan('RED metrics, 1 request per window', 320, 1, (i) => decodedBatches[i % BATCHES]!);
await timeRedPerSpan('RED metrics, 16 requests per window', 20, 16, (i) => decodedBatches[i % BATCHES]!);
report('edge total per span, protobuf path + RED metrics', decodeSample + redQuiet);

if (process.argv.includes('--stages')) {
  const decoded = decodeOtlpProtobuf(proto);
  const decisions = decideBatch(decoded.spans, sampling);
  timePerSpan('  stage: decode + normalise (protobuf)', 320, (i) => {
    decodeOtlpProtobuf(protos[i % BATCHES]!);
  });
  timePerSpan('  stage: sample (decideBatch)', 300, () => {
    decideBatch(decoded.spans, sampling);
  });
  timePerSpan('  stage: group (groupByTrace)', 300, () => {
    groupByTrace(decoded.spans, (id) => decisions.get(id) ?? { forward: false, rate: 0 });
  });
}
