/**
 * Assembly step 1: one span per spanId. Retried exports and late re-flushes deliver the same span
 * more than once; the first copy wins so that a re-assembly of the same input is identical.
 */
import type { Span } from '../worker/span/model';

/** By spanId, first occurrence wins; the survivors keep their input order (deterministic). */
export function dedupeSpans(spans: Iterable<Span>): Span[] {
  const seen = new Set<string>();
  const out: Span[] = [];
  for (const s of spans) {
    if (seen.has(s.spanId)) continue;
    seen.add(s.spanId);
    out.push(s);
  }
  return out;
}
