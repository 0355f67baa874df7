/**
 * Reads a trace back as OTLP/JSON (`?format=otlp`, the spans as received) and finds spans in
 * either output by name, for tests comparing what assembly added with what was sent.
 */
import { SELF } from 'cloudflare:test';
import type { OtlpJsonRequest, OtlpJsonSpan } from '../../worker/query/otlp-encode';
import { BASE, type JaegerSpan } from './api';

export async function getOtlp(traceId: string): Promise<OtlpJsonRequest> {
  const res = await SELF.fetch(`${BASE}/api/traces/${traceId}?format=otlp`);
  if (res.status !== 200) throw new Error(`GET ?format=otlp for ${traceId}: ${res.status} ${await res.text()}`);
  return (await res.json()) as OtlpJsonRequest;
}

export const otlpSpans = (req: OtlpJsonRequest): OtlpJsonSpan[] => req.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));

/** The span of that name; fails loudly instead of handing `undefined` to the assertions. */
export function named<T extends { operationName: string } | { name: string }>(spans: readonly T[], name: string): T {
  const found = spans.find((s) => ('operationName' in s ? s.operationName : s.name) === name);
  if (!found) throw new Error(`no span named ${JSON.stringify(name)}`);
  return found;
}

/** µs between the starts of two Jaeger spans (times as shown: skew-adjusted). */
export const startOffsetUs = (span: JaegerSpan, from: JaegerSpan): number => span.startTime - from.startTime;
