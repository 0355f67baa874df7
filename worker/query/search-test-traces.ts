/**
 * OTLP/JSON request bodies for the search and Jaeger API integration tests (not used by the running
 * code): traces with chosen services, operations, attributes, errors and times, so that each
 * search parameter can be shown to pick exactly the traces it should.
 */
export interface TestSpan {
  service: string;
  name: string;
  /** index of the parent in the trace's span list */
  parent?: number;
  /** ms offsets from the trace start */
  start?: number;
  end?: number;
  error?: boolean;
  /** OTLP span kind number (default 2, server) */
  kind?: number;
  attrs?: Record<string, string | number | boolean>;
  resource?: Record<string, string>;
}

export function randomTraceId(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

const spanId = (i: number) => (i + 1).toString(16).padStart(16, '0');

function attr(key: string, v: string | number | boolean) {
  if (typeof v === 'string') return { key, value: { stringValue: v } };
  if (typeof v === 'boolean') return { key, value: { boolValue: v } };
  return { key, value: Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v } };
}

/** One ExportTraceServiceRequest holding the trace; `startUs` is the trace start in unix µs. */
export function otlpTrace(traceId: string, startUs: number, spans: readonly TestSpan[]): string {
  const ns = (ms: number) => String(BigInt(startUs) * 1000n + BigInt(Math.round(ms * 1e6)));
  const groups = new Map<string, { resource: Record<string, string>; spans: unknown[] }>();
  spans.forEach((s, i) => {
    const key = JSON.stringify([s.service, s.resource ?? {}]);
    const group = groups.get(key) ?? { resource: { 'service.name': s.service, ...s.resource }, spans: [] };
    groups.set(key, group);
    group.spans.push({
      traceId,
      spanId: spanId(i),
      parentSpanId: s.parent === undefined ? '' : spanId(s.parent),
      name: s.name,
      kind: s.kind ?? 2,
      startTimeUnixNano: ns(s.start ?? 0),
      endTimeUnixNano: ns(s.end ?? 10),
      attributes: Object.entries(s.attrs ?? {}).map(([k, v]) => attr(k, v)),
      status: s.error ? { code: 2, message: 'failed' } : {},
    });
  });
  return JSON.stringify({
    resourceSpans: [...groups.values()].map((g) => ({
      resource: { attributes: Object.entries(g.resource).map(([k, v]) => attr(k, v)) },
      scopeSpans: [{ scope: { name: 'search-test' }, spans: g.spans }],
    })),
  });
}
