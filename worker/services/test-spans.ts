/**
 * Span factory for the services unit tests and bench (not used by the running code): a valid
 * internal span from a service instance, with the duration and status the metrics read.
 */
import { SpanKind, StatusCode, type KeyValue, type Resource, type Span, type SpanId, type TraceId, type UnixNanos } from '../span/model';

const str = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });

const resources = new Map<string, Resource>();

/** One shared resource object per instance, as the decoders share it across a resource's spans. */
export function resourceOf(service: string, instance?: string, host?: string, sdk = '2.12.1'): Resource {
  const key = `${service}|${instance}|${host}|${sdk}`;
  let r = resources.get(key);
  if (!r) {
    const attributes = [str('service.name', service), str('telemetry.sdk.name', 'opentelemetry'), str('telemetry.sdk.language', 'nodejs'), str('telemetry.sdk.version', sdk)];
    if (instance !== undefined) attributes.push(str('service.instance.id', instance));
    if (host !== undefined) attributes.push(str('host.name', host));
    resources.set(key, (r = { attributes }));
  }
  return r;
}

let seq = 1;
const hex = (n: number, len: number): string => n.toString(16).padStart(len, '0');

export interface TestSpanSpec {
  service?: string;
  instance?: string;
  host?: string;
  name?: string;
  kind?: Span['kind'];
  durationMs?: number;
  error?: boolean;
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  /** start in ms after 2026-01-01T00:00:00Z */
  startMs?: number;
  attributes?: KeyValue[];
}

const EPOCH_NS = 1_767_225_600_000_000_000n;

export function testSpan(s: TestSpanSpec = {}): Span {
  const service = s.service ?? 'checkout';
  const start = EPOCH_NS + BigInt(Math.round((s.startMs ?? 0) * 1e6));
  const end = start + BigInt(Math.round((s.durationMs ?? 10) * 1e6));
  const n = seq++;
  return {
    traceId: (s.traceId ?? hex(n, 32)) as TraceId,
    spanId: (s.spanId ?? hex(n, 16)) as SpanId,
    ...(s.parentSpanId ? { parentSpanId: s.parentSpanId as SpanId } : {}),
    name: s.name ?? 'GET /cart',
    kind: s.kind ?? SpanKind.SERVER,
    service,
    resource: resourceOf(service, s.instance ?? `${service}-1`, s.host ?? `${service}-host`),
    startTimeUnixNano: start.toString() as UnixNanos,
    endTimeUnixNano: end.toString() as UnixNanos,
    attributes: s.attributes ?? [],
    events: [],
    links: [],
    status: { code: s.error ? StatusCode.ERROR : StatusCode.UNSET },
  };
}
