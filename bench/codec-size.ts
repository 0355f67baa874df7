/**
 * R2 bytes per span of a stored trace: the format trace-codec.ts writes now next to format
 * version 1 (written until version 2; its writer is kept below, frozen, and writes byte for byte
 * what it did), for traces of one request (7 or 8 spans), 50, 1,000 and 10,000 spans.
 *   node scripts/run-ts.mjs bench/codec-size.ts
 *
 * The traces are made by the real OpenTelemetry JS SDK (random ids, 4 services, HTTP server and
 * client spans, PostgreSQL client spans, an event now and then, times with ns digits), exported
 * as OTLP protobuf, decoded by the edge's decoder and assembled in two passes as the Durable
 * Object does (planAssembly → annotateSpans → encodeTraceStream). Both objects of every trace are
 * decoded again and must give the same trace, so a lossy format fails the bench.
 */
import { context, SpanKind, SpanStatusCode, trace, type Attributes, type HrTime, type Span as OtelSpan, type Tracer } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { annotateSpans, planAssembly, type TraceHead } from '../durable/assemble';
import { decodeTrace, encodeTraceStream } from '../durable/trace-codec';
import { decodeOtlpProtobuf } from '../worker/ingest/otlp-protobuf';
import type { AnyValue, AssembledSpan, KeyValue, Scope, Span, TraceId } from '../worker/span/model';

// ---- traces made by the SDK ----

const SERVICES = ['gateway', 'orders', 'inventory', 'payments'] as const;
type Service = (typeof SERVICES)[number];
type Library = 'http' | 'pg';
const LIBRARIES: Record<Library, [string, string]> = {
  http: ['@opentelemetry/instrumentation-http', '0.57.2'],
  pg: ['@opentelemetry/instrumentation-pg', '0.51.1'],
};

/** A span to make: times in ns from the trace's start, parents before children. */
interface Planned {
  parent: number;
  service: Service;
  library: Library;
  name: string;
  kind: SpanKind;
  start: number;
  end: number;
  attributes: Attributes;
  events: { name: string; at: number; attributes: Attributes }[];
  error?: string;
}

const rand = (a: number, b: number) => a + Math.random() * (b - a);
/** a duration in ns, with the sub-µs digits a real clock has */
const ms = (a: number, b: number) => Math.round(rand(a, b) * 1e6);
const int = (a: number, b: number) => Math.floor(rand(a, b));

function serverAttrs(service: Service, method: string, route: string, path: string, status: number): Attributes {
  return {
    'http.request.method': method,
    'url.scheme': 'http',
    'url.path': path,
    'http.route': route,
    'server.address': `${service}.shop.svc.cluster.local`,
    'server.port': 8080,
    'network.protocol.version': '1.1',
    'client.address': `10.4.${int(0, 255)}.${int(1, 255)}`,
    'user_agent.original': 'node',
    'http.response.status_code': status,
  };
}

function clientAttrs(service: Service, method: string, path: string, status: number): Attributes {
  return {
    'http.request.method': method,
    'url.full': `http://${service}.shop.svc.cluster.local:8080${path}`,
    'server.address': `${service}.shop.svc.cluster.local`,
    'server.port': 8080,
    'network.peer.address': `10.4.${int(0, 255)}.${int(1, 255)}`,
    'network.protocol.version': '1.1',
    'http.response.status_code': status,
  };
}

/** An HTTP call from `from` to `to`: a CLIENT span and the SERVER span under it. Returns the server's index. */
function call(plan: Planned[], parent: number, from: Service, to: Service, method: string, route: string, path: string, start: number, length: number, error?: string): number {
  const status = error === undefined ? 200 : 502;
  length = Math.round(length);
  plan.push({ parent, service: from, library: 'http', name: method, kind: SpanKind.CLIENT, start, end: start + length, attributes: clientAttrs(to, method, path, status), events: [], error });
  const net = ms(0.2, 1.2);
  plan.push({
    parent: plan.length - 1,
    service: to,
    library: 'http',
    name: `${method} ${route}`,
    kind: SpanKind.SERVER,
    start: start + net,
    end: start + length - ms(0.1, 0.6),
    attributes: serverAttrs(to, method, route, path, status),
    events: [],
    error,
  });
  return plan.length - 1;
}

/** One checkout under `parent` from `start`: 6 or 7 spans over 4 services. Returns its end. */
function checkout(plan: Planned[], parent: number, start: number): number {
  const order = int(100000, 999999);
  const sku = `SKU-${int(1000, 9999)}`;
  const declined = Math.random() < 0.05;
  const length = ms(20, 120);
  const orders = call(plan, parent, 'gateway', 'orders', 'POST', '/orders', `/orders`, start + ms(0.05, 0.3), length, declined ? 'payment declined' : undefined);
  let t = plan[orders]!.start + ms(0.2, 1);
  if (Math.random() < 0.6) {
    const q = ms(0.8, 6);
    plan.push({
      parent: orders,
      service: 'orders',
      library: 'pg',
      name: 'INSERT shop.orders',
      kind: SpanKind.CLIENT,
      start: t,
      end: t + q,
      attributes: {
        'db.system.name': 'postgresql',
        'db.namespace': 'shop',
        'db.operation.name': 'INSERT',
        'db.collection.name': 'orders',
        'db.query.text': 'INSERT INTO orders (id, customer_id, total, status) VALUES ($1, $2, $3, $4)',
        'server.address': 'pg-primary.shop.svc.cluster.local',
        'server.port': 5432,
      },
      events: [],
    });
    t += q + ms(0.1, 0.5);
  }
  if (Math.random() < 0.3) plan[orders]!.events.push({ name: 'order.validated', at: t, attributes: { 'order.id': order, 'order.items': int(1, 6) } });
  const rest = plan[orders]!.end - t;
  const inventory = call(plan, orders, 'orders', 'inventory', 'POST', '/reserve', `/reserve/${sku}`, t, rest * 0.9, declined ? 'payment declined' : undefined);
  const inv = plan[inventory]!;
  const pay = call(plan, inventory, 'inventory', 'payments', 'POST', '/charges', `/charges/${order}`, inv.start + ms(0.2, 1), (inv.end - inv.start) * 0.7, declined ? 'card declined' : undefined);
  if (declined) plan[pay]!.events.push({ name: 'exception', at: plan[pay]!.end - ms(0.1, 0.3), attributes: { 'exception.type': 'CardDeclinedError', 'exception.message': `card declined for order ${order}` } });
  return start + length + ms(0.1, 0.5);
}

/**
 * One gateway request: a single checkout (7 or 8 spans) when `n` is undefined, else checkouts until
 * the trace has exactly `n` spans.
 */
function planTrace(n: number | undefined): Planned[] {
  const plan: Planned[] = [];
  const route = n === undefined ? '/api/checkout' : '/api/checkout/batch';
  plan.push({ parent: -1, service: 'gateway', library: 'http', name: `POST ${route}`, kind: SpanKind.SERVER, start: 0, end: 0, attributes: serverAttrs('gateway', 'POST', route, route, 200), events: [] });
  let t = checkout(plan, 0, ms(0.1, 0.5));
  if (n !== undefined) {
    while (plan.length < n) t = checkout(plan, 0, t);
    plan.length = n;
  }
  plan[0]!.end = t + ms(0.1, 1);
  return plan;
}

const exporter = new InMemorySpanExporter();
const tracers = new Map<string, Tracer>();
for (const service of SERVICES) {
  const provider = new BasicTracerProvider({
    resource: defaultResource().merge(
      resourceFromAttributes({
        'service.name': service,
        'service.version': '2.14.0',
        'service.namespace': 'shop',
        'service.instance.id': crypto.randomUUID(),
        'deployment.environment.name': 'production',
        'host.name': `${service}-7d9f8b6c5-${Math.random().toString(36).slice(2, 7)}`,
        'host.arch': 'amd64',
        'os.type': 'linux',
        'process.pid': int(1, 40000),
        'process.runtime.name': 'nodejs',
        'process.runtime.version': '22.11.0',
      }),
    ),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  for (const [lib, [name, version]] of Object.entries(LIBRARIES)) tracers.set(`${service}/${lib}`, provider.getTracer(name, version));
}

/** Makes the planned spans with the SDK and returns them as the edge decodes them, in export order. */
function makeTrace(n: number | undefined): Span[] {
  const plan = planTrace(n);
  const base = BigInt(Date.now()) * 1_000_000n + BigInt(int(0, 1e6));
  const hr = (ns: number): HrTime => {
    const t = base + BigInt(ns);
    return [Number(t / 1_000_000_000n), Number(t % 1_000_000_000n)];
  };
  const made: OtelSpan[] = [];
  for (const p of plan) {
    const ctx = p.parent < 0 ? context.active() : trace.setSpan(context.active(), made[p.parent]!);
    const s = tracers.get(`${p.service}/${p.library}`)!.startSpan(p.name, { kind: p.kind, attributes: p.attributes, startTime: hr(p.start) }, ctx);
    for (const e of p.events) s.addEvent(e.name, e.attributes, hr(e.at));
    if (p.error !== undefined) s.setStatus({ code: SpanStatusCode.ERROR, message: p.error });
    made.push(s);
  }
  // ended (and so exported) in the order they end: children before their parents
  const byEnd = plan.map((_, i) => i).sort((a, b) => plan[a]!.end - plan[b]!.end);
  exporter.reset();
  for (const i of byEnd) made[i]!.end(hr(plan[i]!.end));
  const finished = exporter.getFinishedSpans();
  const spans: Span[] = [];
  // exported as a BatchSpanProcessor would: requests of up to 512 spans
  for (let i = 0; i < finished.length; i += 512) {
    const decoded = decodeOtlpProtobuf(ProtobufTraceSerializer.serializeRequest(finished.slice(i, i + 512))!);
    if (decoded.rejected.length > 0) throw new Error(`decoder refused: ${decoded.rejected[0]!.message}`);
    spans.push(...decoded.spans);
  }
  return spans;
}

// ---- format version 1, frozen: the writer as it was, to compare against ----

type V1Value = null | boolean | number | string | V1Value[] | { i: string } | { d: string } | { b: string } | { k: V1Attrs };
type V1Attrs = Array<string | V1Value>;

function v1Value(v: AnyValue): V1Value {
  if ('stringValue' in v) return v.stringValue;
  if ('boolValue' in v) return v.boolValue;
  if ('intValue' in v) return { i: String(v.intValue) };
  if ('doubleValue' in v) {
    const d = v.doubleValue;
    if (Number.isFinite(d) && !Object.is(d, -0)) return d;
    return { d: Object.is(d, -0) ? '-0' : String(d) };
  }
  if ('arrayValue' in v) return v.arrayValue.values.map(v1Value);
  if ('kvlistValue' in v) return { k: v1Attrs(v.kvlistValue.values) };
  if ('bytesValue' in v) return { b: v.bytesValue };
  return null;
}

const v1Attrs = (attrs: readonly KeyValue[]): V1Attrs => attrs.flatMap((a) => [a.key, v1Value(a.value)]);

function v1Scope(s: Scope) {
  return { n: s.name, v: s.version, a: s.attributes && v1Attrs(s.attributes), d: s.droppedAttributesCount };
}

function v1Span(s: AssembledSpan, traceId: string, r: number, scope: number | undefined) {
  return {
    i: s.spanId,
    n: s.name,
    k: s.kind,
    r,
    b: s.startTimeUnixNano,
    e: s.endTimeUnixNano,
    t: s.traceId !== traceId ? s.traceId : undefined,
    p: s.parentSpanId,
    ts: s.traceState,
    f: s.flags,
    s: scope,
    a: s.attributes.length > 0 ? v1Attrs(s.attributes) : undefined,
    da: s.droppedAttributesCount,
    ev: s.events.length > 0 ? s.events.map((e) => ({ t: e.timeUnixNano, n: e.name, a: e.attributes.length > 0 ? v1Attrs(e.attributes) : undefined, d: e.droppedAttributesCount })) : undefined,
    de: s.droppedEventsCount,
    l:
      s.links.length > 0
        ? s.links.map((l) => ({ t: l.traceId, i: l.spanId, ts: l.traceState, a: l.attributes.length > 0 ? v1Attrs(l.attributes) : undefined, d: l.droppedAttributesCount, f: l.flags }))
        : undefined,
    dl: s.droppedLinksCount,
    sc: s.status.code !== 0 ? s.status.code : undefined,
    sm: s.status.message,
    x: s.ann,
  };
}

/** Version 1 of the object (JSON.stringify leaves out the undefined fields, as the writer did). */
async function encodeV1(head: TraceHead, chunks: AsyncIterable<AssembledSpan[]>): Promise<Uint8Array> {
  const table = () => {
    const index = new Map<string, number>();
    const fresh: unknown[] = [];
    return {
      fresh,
      of(key: string, entry: () => unknown): number {
        let i = index.get(key);
        if (i === undefined) {
          i = index.size;
          index.set(key, i);
          fresh.push(entry());
        }
        return i;
      },
    };
  };
  const res = table();
  const scopes = table();
  const header = { f: 'edgetrace-trace', v: 1, traceId: head.traceId, version: head.version, summary: head.summary, warnings: head.warnings, n: head.spanCount };
  let text = JSON.stringify(header);
  for await (const chunk of chunks) {
    const line = chunk.map((s) => {
      const r = { s: s.service, a: v1Attrs(s.resource.attributes), d: s.resource.droppedAttributesCount };
      const ri = res.of(JSON.stringify(r), () => r);
      const sc = s.scope && v1Scope(s.scope);
      return v1Span(s, head.traceId, ri, sc && scopes.of(JSON.stringify(sc), () => sc));
    });
    if (res.fresh.length > 0 || scopes.fresh.length > 0) text += '\n' + JSON.stringify({ res: res.fresh.splice(0), scopes: scopes.fresh.splice(0) });
    text += '\n' + JSON.stringify(line);
  }
  return new Uint8Array(await new Response(new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer());
}

// ---- the measurement ----

/** Both objects of one trace, assembled in two passes as the DO flushes it. */
async function objects(spans: Span[]): Promise<{ v1: Uint8Array; now: Uint8Array }> {
  const traceId = spans[0]!.traceId as TraceId;
  const plan = await planAssembly({ traceId, spans, version: 1, sampleRate: 1 });
  // as the DO records its flush-time sampling decision
  Object.assign(plan.head.summary, { sampleRate: 0.01, adjustedCount: 100, samplingReason: 'default' });
  const v1 = await encodeV1(plan.head, annotateSpans(plan, spans));
  const now = await encodeTraceStream(plan.head, annotateSpans(plan, spans));
  const a = await decodeTrace(v1);
  const b = await decodeTrace(now);
  if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`trace ${traceId}: the two objects do not decode to the same trace`);
  return { v1, now };
}

/** spans per trace (undefined: one checkout, 7 or 8 spans) and how many traces to average over */
const SIZES: [spans: number | undefined, traces: number][] = [
  [undefined, 400],
  [50, 60],
  [1000, 6],
  [10000, 2],
];

console.log(`R2 object bytes per span (gzip), node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
console.log('spans/trace  traces   version 1   now   change');
for (const [n, count] of SIZES) {
  let spans = 0;
  let v1 = 0;
  let now = 0;
  for (let i = 0; i < count; i++) {
    const trace = makeTrace(n);
    const o = await objects(trace);
    spans += trace.length;
    v1 += o.v1.byteLength;
    now += o.now.byteLength;
  }
  const perSpan = (b: number) => (b / spans).toFixed(1).padStart(7);
  console.log(`${(n === undefined ? '7–8' : String(n)).padStart(11)}  ${String(count).padStart(6)}  ${perSpan(v1)}  ${perSpan(now)}  ${(((now - v1) / v1) * 100).toFixed(1).padStart(5)}%`);
}
