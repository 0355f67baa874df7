/**
 * Span and traceId factories for the sampling tests and bench (not shipped code paths): a valid
 * internal Span with only the fields sampling reads set to something meaningful.
 */
import { randomBytes } from 'node:crypto';
import { SpanKind, StatusCode, type KeyValue, type Span, type SpanId, type TraceId } from '../span/model';

export function randomTraceId(): TraceId {
  return randomBytes(16).toString('hex') as TraceId;
}

/** n random traceIds from one random buffer (fast enough for a million). */
export function randomTraceIds(n: number): TraceId[] {
  const buf = randomBytes(16 * n).toString('hex');
  const out = new Array<TraceId>(n);
  for (let i = 0; i < n; i++) out[i] = buf.slice(32 * i, 32 * i + 32) as TraceId;
  return out;
}

/** A traceId whose low 56 bits (the last 14 hex digits) are `low14`. */
export function traceIdWithRandomness(low14: string): TraceId {
  return `0123456789abcdef01${low14}` as TraceId;
}

let spanSeq = 1;
export function nextSpanId(): SpanId {
  return (spanSeq++).toString(16).padStart(16, '0') as SpanId;
}

export const str = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });
export const int = (key: string, value: number): KeyValue => ({ key, value: { intValue: String(value) } });

export function makeSpan(over: Partial<Span> & { traceId: TraceId }): Span {
  return {
    spanId: nextSpanId(),
    name: 'GET /',
    kind: SpanKind.SERVER,
    service: 'frontend',
    resource: { attributes: [] },
    startTimeUnixNano: '1700000000000000000' as Span['startTimeUnixNano'],
    endTimeUnixNano: '1700000000010000000' as Span['endTimeUnixNano'],
    attributes: [],
    events: [],
    links: [],
    status: { code: StatusCode.UNSET },
    ...over,
  };
}
