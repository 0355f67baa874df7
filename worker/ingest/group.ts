/**
 * Groups decoded spans by trace, keeping only the traces the sampler forwards. One group becomes
 * one Durable Object call, so a batch touching N traces costs N calls whatever its span count.
 */
import type { Span, TraceId } from '../span/model';

export interface TraceGroup {
  traceId: TraceId;
  spans: Span[];
  sampleRate: number;
}

export function groupByTrace(
  spans: readonly Span[],
  decide: (traceId: TraceId) => { forward: boolean; rate: number },
): { groups: TraceGroup[]; droppedSpans: number } {
  const byTrace = new Map<TraceId, TraceGroup>();
  const decisions = new Map<TraceId, { forward: boolean; rate: number }>();
  let droppedSpans = 0;
  for (const span of spans) {
    let d = decisions.get(span.traceId);
    if (!d) {
      d = decide(span.traceId);
      decisions.set(span.traceId, d);
    }
    if (!d.forward) {
      droppedSpans++;
      continue;
    }
    let g = byTrace.get(span.traceId);
    if (!g) {
      g = { traceId: span.traceId, spans: [], sampleRate: d.rate };
      byTrace.set(span.traceId, g);
    }
    g.spans.push(span);
  }
  return { groups: [...byTrace.values()], droppedSpans };
}
