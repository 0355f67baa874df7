/**
 * `sampling.priority` (the OpenTracing tag that OpenTelemetry's probabilistic sampler and the
 * collector's processors honour): a non-zero value on a span forces its trace to be kept, zero
 * forces it to be dropped. Read from the span's own attributes only, as those processors do.
 */
import type { AnyValue, KeyValue, Span } from '../span/model';

export const PRIORITY_KEY = 'sampling.priority';

function numeric(v: AnyValue): number {
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return v.doubleValue;
  if ('stringValue' in v) return v.stringValue.trim() === '' ? Number.NaN : Number(v.stringValue);
  if ('boolValue' in v) return v.boolValue ? 1 : 0;
  return Number.NaN;
}

/** The span's sampling priority, or NaN when it has none (or a non-numeric one). Allocates nothing. */
export function samplingPriority(span: Span): number {
  const attrs = span.attributes;
  for (let i = 0; i < attrs.length; i++) {
    const kv = attrs[i] as KeyValue;
    if (kv.key === PRIORITY_KEY) return numeric(kv.value);
  }
  return Number.NaN;
}
