/**
 * Span and traceId factories for the sampling tests and bench (not shipped code paths): a valid
 * internal Span with only the fields sampling reads set to something meaningful.
 */
import { SpanKind, StatusCode, type KeyValue, type Span, type SpanId, type TraceId } from '../span/model';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * n traceIds from the platform's cryptographic random source (Web Crypto, in Node and workerd
 * alike), as an SDK would make them. Fast enough for a million.
 */
export function randomTraceIds(n: number): TraceId[] {
  const out = new Array<TraceId>(n);
  // getRandomValues fills at most 65,536 bytes per call
  const chunk = new Uint8Array(4096 * 16);
  for (let i = 0; i < n; ) {
    crypto.getRandomValues(chunk);
    for (let k = 0; k < 4096 && i < n; k++, i++) {
      let s = '';
      for (let b = 0; b < 16; b++) s += HEX[chunk[k * 16 + b] as number];
      // an all-zero traceId is invalid (and has probability 2^-128)
      out[i] = (/^0+$/.test(s) ? `${s.slice(0, 31)}1` : s) as TraceId;
    }
  }
  return out;
}

export function randomTraceId(): TraceId {
  return randomTraceIds(1)[0] as TraceId;
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
