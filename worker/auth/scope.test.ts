import { describe, expect, it } from 'vitest';
import type { Span, SpanId, TraceId, UnixNanos } from '../span/model';
import { scopeSpans } from './scope';

function span(service: string, spanId: string): Span {
  return {
    traceId: '5b8efff798038103d269b633813fc60c' as TraceId,
    spanId: spanId as SpanId,
    name: 'op',
    kind: 1,
    service,
    resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
    startTimeUnixNano: '1' as UnixNanos,
    endTimeUnixNano: '2' as UnixNanos,
    attributes: [],
    events: [],
    links: [],
    status: { code: 0 },
  };
}

const spans = [span('checkout', '0000000000000001'), span('payments', '0000000000000002'), span('checkout', '0000000000000003')];

describe('scopeSpans', () => {
  it('keeps every span without a key or with an unscoped key', () => {
    expect(scopeSpans(spans, undefined)).toEqual({ spans, rejected: [] });
    expect(scopeSpans(spans, { name: 'all', services: null })).toEqual({ spans, rejected: [] });
  });
  it('keeps the spans of the scoped services and rejects the others one by one, naming key and service', () => {
    const out = scopeSpans(spans, { name: 'checkout-key', services: ['checkout'] });
    expect(out.spans.map((s) => s.spanId)).toEqual(['0000000000000001', '0000000000000003']);
    expect(out.rejected).toHaveLength(1);
    expect(out.rejected[0]!.path).toContain('0000000000000002');
    expect(out.rejected[0]!.message).toBe('service "payments" is not in the scope of ingest key "checkout-key" (allowed: checkout)');
  });
  it('rejects everything for a key scoped to other services', () => {
    const out = scopeSpans(spans, { name: 'k', services: ['search', 'cart'] });
    expect(out.spans).toEqual([]);
    expect(out.rejected).toHaveLength(3);
  });
});
