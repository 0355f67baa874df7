/**
 * Assembly step 5: the trace's summary, which is the D1 index row and what search returns. Times
 * are the adjusted ones, as the query API shows them.
 */
import type { Span, TraceId, TraceSummary } from '../worker/span/model';
import { StatusCode } from '../worker/span/model';
import { toNanos, toUnixNanos } from '../worker/span/nanos';
import type { SpanTree } from './tree';

export interface SummaryInput {
  traceId: TraceId;
  tree: SpanTree;
  /** clock-skew shift per span index, in ns */
  shift: Float64Array;
  version: number;
  sampleRate: number;
}

/** A usable sampling probability, else 1 (unknown): 0, negative, above 1 or not a number. */
export const validSampleRate = (rate: number): number => (Number.isFinite(rate) && rate > 0 && rate <= 1 ? rate : 1);

/**
 * The root is the earliest span without a parent; when every span names a parent, the earliest
 * orphan (the top of what arrived); failing that (a parent cycle), the earliest span.
 */
function pickRoot(tree: SpanTree): Span | undefined {
  let orphanRoot: Span | undefined;
  for (const r of tree.roots) {
    // roots are ordered by start, so the first of each kind is the earliest
    const s = tree.spans[r]!;
    if (s.parentSpanId === undefined) return s;
    if (orphanRoot === undefined && tree.orphan[r] === 1) orphanRoot = s;
  }
  return orphanRoot ?? tree.spans[tree.roots[0] ?? -1];
}

export function summarize(input: SummaryInput): TraceSummary {
  const { tree, shift } = input;
  const n = tree.spans.length;
  let first = Infinity;
  let last = -Infinity;
  let errorCount = 0;
  let orphanCount = 0;
  // A Map, then fromEntries: a service named `__proto__` must count like any other.
  const services = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const s = tree.spans[i]!;
    const a = tree.start[i]! + shift[i]!;
    const e = tree.end[i]! + shift[i]!;
    if (a < first) first = a;
    if (e > last) last = e;
    if (s.status.code === StatusCode.ERROR) errorCount++;
    if (tree.orphan[i] === 1) orphanCount++;
    services.set(s.service, (services.get(s.service) ?? 0) + 1);
  }
  const root = pickRoot(tree);
  const sampleRate = validSampleRate(input.sampleRate);
  return {
    traceId: input.traceId,
    startTimeUnixNano: toUnixNanos(n === 0 ? 0n : tree.baseNanos + BigInt(first)),
    durationNanos: toNanos(n === 0 || last < first ? 0n : BigInt(last - first)),
    rootService: root?.service ?? '',
    rootOperation: root?.name ?? '',
    spanCount: n,
    errorCount,
    orphanCount,
    services: Object.fromEntries(services),
    sampleRate,
    adjustedCount: 1 / sampleRate,
    version: input.version,
  };
}
