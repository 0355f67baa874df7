/**
 * Service scopes of ingest keys: a key created with `--services a,b` may only send spans of those
 * services. Spans of other services are refused one by one (the rest of the request is kept), so
 * the client sees them in `partial_success` like any other invalid span.
 */
import type { Span, SpanRejection } from '../span/model';

/** An authenticated ingest key as the request handlers see it (never the key itself). */
export interface IngestKey {
  name: string;
  /** the services the key may send spans for; null = every service */
  services: readonly string[] | null;
}

export interface ScopedSpans {
  spans: Span[];
  rejected: SpanRejection[];
}

/** Keeps the spans the key may send; without a key (auth off) every span is kept. */
export function scopeSpans(spans: Span[], key: IngestKey | undefined): ScopedSpans {
  if (!key || key.services === null) return { spans, rejected: [] };
  const allowed = new Set(key.services);
  const kept: Span[] = [];
  const rejected: SpanRejection[] = [];
  for (const span of spans) {
    if (allowed.has(span.service)) kept.push(span);
    else
      rejected.push({
        path: `span ${span.spanId} of trace ${span.traceId}: resource service.name`,
        message: `service ${JSON.stringify(span.service)} is not in the scope of ingest key ${JSON.stringify(key.name)} (allowed: ${key.services.join(', ')})`,
      });
  }
  return { spans: kept, rejected };
}
