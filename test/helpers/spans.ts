/**
 * OTLP/JSON request bodies for lifecycle tests that need exact control over ids, parents and
 * timestamps (which the SDK does not give): late spans, orphans, out-of-order arrival.
 */
export interface SpanSpec {
  spanId: string;
  parentSpanId?: string;
  name: string;
  service?: string;
  host?: string;
  kind?: number;
  /** ms offsets from the trace start */
  start?: number;
  end?: number;
  error?: boolean;
  /** string attributes of the span */
  attributes?: Record<string, string>;
}

export function randomHex(bytes: number): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

const BASE_NS = 1_764_000_000_000_000_000n;

export function otlpJson(traceId: string, specs: SpanSpec[]): string {
  const byService = new Map<string, SpanSpec[]>();
  for (const s of specs) {
    const key = `${s.service ?? 'svc'}|${s.host ?? ''}`;
    byService.set(key, [...(byService.get(key) ?? []), s]);
  }
  return JSON.stringify({
    resourceSpans: [...byService.entries()].map(([key, list]) => {
      const [service, host] = key.split('|');
      const attributes = [{ key: 'service.name', value: { stringValue: service } }];
      if (host) attributes.push({ key: 'host.name', value: { stringValue: host } });
      return {
        resource: { attributes },
        scopeSpans: [
          {
            scope: { name: 'test' },
            spans: list.map((s) => ({
              traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId ?? '',
              name: s.name,
              kind: s.kind ?? 1,
              startTimeUnixNano: String(BASE_NS + BigInt(s.start ?? 0) * 1_000_000n),
              endTimeUnixNano: String(BASE_NS + BigInt(s.end ?? 10) * 1_000_000n),
              status: s.error ? { code: 2, message: 'failed' } : {},
              attributes: Object.entries(s.attributes ?? {}).map(([key, v]) => ({ key, value: { stringValue: v } })),
            })),
          },
        ],
      };
    }),
  });
}
