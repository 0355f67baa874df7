/**
 * Edge CPU per span: decode + normalise + sample of a 512-span OTLP protobuf batch, next to a plain
 * JSON.parse of the same batch as OTLP JSON (the floor any JSON ingest pays), in one run. With
 * `--stages` it also times each stage of the protobuf path alone (decode, sampling, grouping).
 *   node scripts/run-ts.mjs bench/edge-decode.ts [--stages]
 */
import { SpanKind, context, trace } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { groupByTrace } from '../worker/ingest/group';
import { decodeOtlpJson } from '../worker/ingest/otlp-json';
import { decodeOtlpProtobuf } from '../worker/ingest/otlp-protobuf';
import { decideBatch } from '../worker/sampling/decide';

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
  const nsPerSpan = ((used.user + used.system) * 1000) / (iterations * BATCH);
  console.log(`${label.padEnd(52)} ${nsPerSpan.toFixed(0).padStart(7)} ns/span  (${((nsPerSpan * BATCH) / 1e6).toFixed(3)} ms/batch)`);
  return nsPerSpan;
}

// Distinct batches, each with its own trace and span ids (as real traffic has: a decoder that caches
// what it has seen must not be timed on ids it saw in the previous iteration), rotated by every path.
const BATCHES = 16;
const made = Array.from({ length: BATCHES }, () => makeBatch());
const protos = made.map((spans) => ProtobufTraceSerializer.serializeRequest(spans)!);
const jsonTexts = made.map((spans) => new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans)!));
const proto = protos[0]!;
const sampling = { defaultRate: 0.001, rules: [] };
console.log(`edge CPU per span — ${BATCH}-span batches (${BATCHES} distinct, rotated), protobuf ${proto.byteLength} B, JSON ${jsonTexts[0]!.length} B`);
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
