/**
 * Contract: the real OpenTelemetry JS exporters (OTLP/HTTP protobuf and JSON) and the real Zipkin JS
 * transport post a multi-service trace to edgetrace running under `npm start` (wrangler dev,
 * workerd, local D1/R2/DO), and `/api/traces/{id}` gives it back whole.
 */
import { context, trace, SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter as OtlpHttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { BatchRecorder, ExplicitContext, Tracer as ZipkinTracer, jsonEncoder } from 'zipkin';
import { HttpLogger } from 'zipkin-transport-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, removeStateDir, startDevServer, type DevServer } from './dev-server';

let server: DevServer;

beforeAll(async () => {
  server = await startDevServer();
});

afterAll(async () => {
  await server?.stop();
  if (server) removeStateDir(server.stateDir);
});

interface JaegerTag {
  key: string;
  type: string;
  value: unknown;
}
interface JaegerSpan {
  spanID: string;
  operationName: string;
  references: { refType: string; spanID: string }[];
  tags: JaegerTag[];
  logs: { timestamp: number; fields: JaegerTag[] }[];
  processID: string;
  startTime: number;
  duration: number;
}
interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags: JaegerTag[] }>;
}

async function finishedTrace(traceId: string, spanCount: number): Promise<JaegerTrace> {
  return eventually(async () => {
    const res = await fetch(`${server.url}/api/traces/${traceId}`);
    if (res.status !== 200) return undefined;
    const body = (await res.json()) as { data: (JaegerTrace & { partial?: boolean })[] };
    const t = body.data[0];
    return t && !t.partial && t.spans.length === spanCount ? t : undefined;
  }, `trace ${traceId} with ${spanCount} spans`);
}

function provider(service: string, exporter: SpanExporter) {
  return new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'host.name': `${service}-host`, 'service.instance.id': `${service}-1` }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
}

/** gateway SERVER → gateway CLIENT → auth SERVER (validateToken) → auth db CLIENT; every value type. */
function recordTrace(gateway: Tracer, auth: Tracer): string {
  const root = gateway.startSpan('GET /users/profile', {
    kind: SpanKind.SERVER,
    attributes: {
      'http.request.method': 'GET',
      'http.route': '/users/profile',
      'http.response.status_code': 200,
      'app.ratio': 0.25,
      'app.cached': false,
      'app.tags': ['a', 'b'],
      'app.codes': [1, 2, 3],
    },
  });
  const rootCtx = trace.setSpan(context.active(), root);
  const call = gateway.startSpan('POST auth/validate', { kind: SpanKind.CLIENT, attributes: { 'peer.service': 'auth' } }, rootCtx);
  const server = auth.startSpan('validateToken', { kind: SpanKind.SERVER }, trace.setSpan(rootCtx, call));
  server.addEvent('token.checked', { 'token.kind': 'jwt', 'token.valid': false });
  const db = auth.startSpan('SELECT users', { kind: SpanKind.CLIENT, attributes: { 'db.system': 'sqlite' } }, trace.setSpan(rootCtx, server));
  db.end();
  server.setStatus({ code: SpanStatusCode.ERROR, message: 'token expired' });
  server.end();
  call.end();
  root.addLink({ context: { traceId: root.spanContext().traceId, spanId: call.spanContext().spanId, traceFlags: 1 }, attributes: { why: 'test' } });
  root.end();
  return root.spanContext().traceId;
}

const tag = (s: JaegerSpan, key: string) => s.tags.find((t) => t.key === key)?.value;

describe.each([
  ['OTLP/HTTP protobuf', (url: string) => new OtlpProtoExporter({ url: `${url}/v1/traces` })],
  ['OTLP/HTTP JSON', (url: string) => new OtlpHttpJsonExporter({ url: `${url}/v1/traces` })],
])('%s exporter', (_name, makeExporter) => {
  it('a multi-service trace comes back whole with attributes, events, links and status', async () => {
    const gw = provider('api-gateway', makeExporter(server.url));
    const au = provider('auth', makeExporter(server.url));
    const traceId = recordTrace(gw.getTracer('gateway'), au.getTracer('auth'));
    await gw.forceFlush();
    await au.forceFlush();
    await gw.shutdown();
    await au.shutdown();

    const t = await finishedTrace(traceId, 4);
    expect(t.traceID).toBe(traceId);
    const byName = Object.fromEntries(t.spans.map((s) => [s.operationName, s]));
    const root = byName['GET /users/profile']!;
    expect(t.processes[root.processID]!.serviceName).toBe('api-gateway');
    expect(tag(root, 'http.request.method')).toBe('GET');
    expect(tag(root, 'http.response.status_code')).toBe(200);
    expect(tag(root, 'app.ratio')).toBe(0.25);
    expect(tag(root, 'app.cached')).toBe(false);
    expect(tag(root, 'span.kind')).toBe('server');
    expect(root.references.some((r) => r.refType === 'FOLLOWS_FROM' && r.spanID === byName['POST auth/validate']!.spanID)).toBe(true);
    const validate = byName['validateToken']!;
    expect(t.processes[validate.processID]!.serviceName).toBe('auth');
    expect(tag(validate, 'error')).toBe(true);
    expect(tag(validate, 'otel.status_code')).toBe('ERROR');
    expect(tag(validate, 'otel.status_description')).toBe('token expired');
    expect(validate.references).toEqual([expect.objectContaining({ refType: 'CHILD_OF', spanID: byName['POST auth/validate']!.spanID })]);
    const log = validate.logs[0]!;
    expect(log.fields).toEqual(expect.arrayContaining([
      expect.objectContaining({ key: 'event', value: 'token.checked' }),
      expect.objectContaining({ key: 'token.kind', value: 'jwt' }),
      expect.objectContaining({ key: 'token.valid', value: false }),
    ]));
    expect(tag(byName['SELECT users']!, 'db.system')).toBe('sqlite');

    const services = (await (await fetch(`${server.url}/api/services`)).json()) as { data: string[] };
    expect(services.data).toEqual(expect.arrayContaining(['api-gateway', 'auth']));
    const ops = (await (await fetch(`${server.url}/api/services/auth/operations`)).json()) as { data: string[] };
    expect(ops.data).toEqual(expect.arrayContaining(['validateToken', 'SELECT users']));
    const search = (await (await fetch(`${server.url}/api/traces?service=auth&limit=20`)).json()) as { data: JaegerTrace[] };
    expect(search.data.map((x) => x.traceID)).toContain(traceId);
  });
});

describe('Zipkin JS transport', () => {
  it('a trace recorded by the zipkin tracer comes back with its tags and annotations', async () => {
    const logger = new HttpLogger({ endpoint: `${server.url}/api/v2/spans`, jsonEncoder: jsonEncoder.JSON_V2, httpInterval: 50 });
    const recorder = new BatchRecorder({ logger });
    const ctxImpl = new ExplicitContext();
    const frontend = new ZipkinTracer({ ctxImpl, recorder, localServiceName: 'frontend', traceId128Bit: true });
    const backend = new ZipkinTracer({ ctxImpl, recorder, localServiceName: 'backend', traceId128Bit: true });
    let traceId = '';
    await new Promise<void>((done) => {
      frontend.local('render page', () => {
        traceId = frontend.id.traceId;
        frontend.recordBinary('page', 'home');
        backend.local('load user', () => {
          backend.recordBinary('user.id', '42');
          backend.recordMessage('cache miss');
        });
      });
      setTimeout(done, 10);
    });
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const t = await finishedTrace(traceId, 2);
    const byName = Object.fromEntries(t.spans.map((s) => [s.operationName, s]));
    expect(t.processes[byName['render page']!.processID]!.serviceName).toBe('frontend');
    expect(tag(byName['render page']!, 'page')).toBe('home');
    expect(t.processes[byName['load user']!.processID]!.serviceName).toBe('backend');
    expect(tag(byName['load user']!, 'user.id')).toBe('42');
    expect(byName['load user']!.references[0]?.spanID).toBe(byName['render page']!.spanID);
    expect(byName['load user']!.logs.flatMap((l) => l.fields.map((f) => f.value))).toContain('cache miss');
  });
});
