/**
 * A small builder of internal spans for the assembly unit tests (not used by the running code).
 * Times are given in ms from a fixed epoch so that tests read like a timeline; ids are padded hex.
 */
import type { AnyValue, KeyValue, Span, SpanId, StatusCode, TraceId, UnixNanos } from '../worker/span/model';

export const TRACE_ID = 'a1'.repeat(16) as TraceId;
/** 2024-01-01T00:00:00Z in ns: past 2^53, so every test also exercises exact ns arithmetic. */
export const EPOCH_NS = 1_704_067_200_000_000_000n;

export const sid = (id: string | number): SpanId => String(id).padStart(16, '0') as SpanId;
export const at = (ms: number): UnixNanos => (EPOCH_NS + BigInt(Math.round(ms * 1e6))).toString() as UnixNanos;
export const str = (v: string): AnyValue => ({ stringValue: v });
export const kv = (key: string, value: AnyValue): KeyValue => ({ key, value });

export interface SpanSpec {
  id: string | number;
  parent?: string | number;
  /** start and end in ms from EPOCH_NS */
  start: number;
  end: number;
  service?: string;
  /** resource `host.name`; omitted when undefined */
  host?: string;
  name?: string;
  kind?: Span['kind'];
  status?: StatusCode;
  attributes?: KeyValue[];
  resource?: KeyValue[];
}

export function span(s: SpanSpec): Span {
  const service = s.service ?? 'svc';
  const resource: KeyValue[] = [kv('service.name', str(service))];
  if (s.host !== undefined) resource.push(kv('host.name', str(s.host)));
  if (s.resource) resource.push(...s.resource);
  const out: Span = {
    traceId: TRACE_ID,
    spanId: sid(s.id),
    name: s.name ?? `op-${s.id}`,
    kind: s.kind ?? 1,
    service,
    resource: { attributes: resource },
    startTimeUnixNano: at(s.start),
    endTimeUnixNano: at(s.end),
    attributes: s.attributes ?? [],
    events: [],
    links: [],
    status: { code: s.status ?? 0 },
  };
  if (s.parent !== undefined) out.parentSpanId = sid(s.parent);
  return out;
}
