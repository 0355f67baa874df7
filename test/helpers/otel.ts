/**
 * Spans made by the real OpenTelemetry JS SDK, serialised by its real OTLP serializers (the code
 * its exporters run), for tests inside workerd where the exporter's own HTTP client cannot run.
 */
import { context, trace, SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';

export interface Recorded {
  traceId: string;
  spans: ReadableSpan[];
}

function service(name: string, exporter: InMemorySpanExporter): Tracer {
  return new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': name, 'host.name': `${name}-host`, 'service.instance.id': `${name}-1` }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  }).getTracer(`${name}-tracer`, '1.0.0');
}

/** gateway SERVER → gateway CLIENT → auth SERVER validateToken (error, event) → auth CLIENT db. */
export function recordProfileRequest(): Recorded {
  const exporter = new InMemorySpanExporter();
  const gateway = service('api-gateway', exporter);
  const auth = service('auth', exporter);
  const root = gateway.startSpan('GET /users/profile', {
    kind: SpanKind.SERVER,
    attributes: {
      'http.request.method': 'GET',
      'http.response.status_code': 200,
      'app.ratio': 0.25,
      'app.cached': false,
      'app.tags': ['a', 'b'],
    },
  });
  const rootCtx = trace.setSpan(context.active(), root);
  const call = gateway.startSpan('POST auth/validate', { kind: SpanKind.CLIENT }, rootCtx);
  const validate = auth.startSpan('validateToken', { kind: SpanKind.SERVER }, trace.setSpan(rootCtx, call));
  validate.addEvent('token.checked', { 'token.kind': 'jwt', 'token.valid': false });
  const db = auth.startSpan('SELECT users', { kind: SpanKind.CLIENT, attributes: { 'db.system': 'sqlite' } }, trace.setSpan(rootCtx, validate));
  db.end();
  validate.setStatus({ code: SpanStatusCode.ERROR, message: 'token expired' });
  validate.end();
  call.end();
  root.end();
  return { traceId: root.spanContext().traceId, spans: exporter.getFinishedSpans() };
}

export const toProtobuf = (spans: ReadableSpan[]): Uint8Array => ProtobufTraceSerializer.serializeRequest(spans)!;
export const toJson = (spans: ReadableSpan[]): string => new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans)!);
