/**
 * What every sampling decision needs to know about a trace, gathered from whichever of its spans
 * are at hand, in a way that does not depend on their order: the trace's randomness R, the
 * probability an upstream sampler already applied (tracestate `th`), and any forced priority.
 *
 * R is the span's `rv` when its tracestate carries one, else the traceId's low 56 bits. Spans of
 * one trace agree on it whenever the SDKs propagate tracestate as W3C Trace Context requires; if
 * they do not, the smallest R seen is used, so the answer is still independent of span order.
 *
 * An upstream `th` counts only when R >= th (the spec calls a `th` that R does not reach
 * inconsistent and tells samplers to ignore it). When spans disagree, the lowest upstream
 * probability wins: the adjusted count must never claim a trace stands for fewer traces than the
 * most selective sampler on its path made it stand for.
 */
import type { Span, TraceId } from '../span/model';
import { compareRandomness, randomnessAtLeast, TRACE_ID_RANDOMNESS_OFFSET } from './consistent';
import { samplingPriority } from './priority';
import { parseOtTraceState } from './tracestate';

export interface TraceFacts {
  traceId: TraceId;
  /** R is the 14 hex digits of rSource at rOffset */
  rSource: string;
  rOffset: number;
  /** the lowest consistent upstream probability seen (1 when none) */
  upstreamRate: number;
  /** some span has a non-zero sampling.priority */
  forceKeep: boolean;
  /** some span has sampling.priority 0 */
  forceDrop: boolean;
  spanCount: number;
}

export function emptyFacts(traceId: TraceId): TraceFacts {
  return {
    traceId,
    rSource: traceId,
    rOffset: TRACE_ID_RANDOMNESS_OFFSET,
    upstreamRate: 1,
    forceKeep: false,
    forceDrop: false,
    spanCount: 0,
  };
}

/** Folds one span of the trace into its facts (commutative: any order gives the same facts). */
export function addSpanFacts(f: TraceFacts, span: Span): void {
  const ts = parseOtTraceState(span.traceState);
  const src = ts.rv ?? span.traceId;
  const off = ts.rv === null ? TRACE_ID_RANDOMNESS_OFFSET : 0;
  if (f.spanCount === 0 || compareRandomness(src, off, f.rSource, f.rOffset) < 0) {
    f.rSource = src;
    f.rOffset = off;
  }
  if (ts.th !== null && ts.thRate < f.upstreamRate && randomnessAtLeast(src, off, ts.th)) f.upstreamRate = ts.thRate;
  const prio = samplingPriority(span);
  if (prio === 0) f.forceDrop = true;
  else if (!Number.isNaN(prio)) f.forceKeep = true;
  f.spanCount++;
}

/** The facts of a trace from the spans at hand (spans of other traces are ignored). */
export function traceFacts(spans: readonly Span[], traceId: TraceId): TraceFacts {
  const f = emptyFacts(traceId);
  for (const s of spans) if (s.traceId === traceId) addSpanFacts(f, s);
  return f;
}
