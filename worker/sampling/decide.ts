/**
 * The head-sampling decision: at the edge, per span (stateless, every edge agrees), and at flush
 * time in the trace's Durable Object, per trace. Consistent probability sampling (see
 * consistent.ts): a rate p keeps a trace iff its randomness R >= T(p) = (1 - p) * 2^56.
 *
 * Why a trace is kept or dropped whole, although rules match single spans and a trace's spans
 * arrive split over many requests, edges and services:
 *
 * 1. Edge (decideSpan / decideBatch): a span is forwarded to its trace's DO iff
 *    R >= T_fwd, where T_fwd is the lowest threshold of the default rate, every rule's rate and
 *    (in tail mode) TAIL_PRESAMPLE_RATE. T_fwd is one constant for the whole configuration (it does
 *    not depend on the span, nor on rule order), and R belongs to the trace, so every span of a
 *    trace gets the same answer on every edge: all of its spans reach the DO, or none does.
 *    (Exception: a span with a non-zero `sampling.priority` is always forwarded; see below.)
 * 2. DO, at flush (decideTrace): the trace's rate is the HIGHEST rate of the rules its spans match
 *    ("keep the trace if any span's rule keeps it"), capped by the upstream tracestate `th`, and
 *    the trace is kept iff R >= T(that rate). The DO decides once for all the spans it holds and
 *    remembers the decision for late spans, so no trace is split after the edge either.
 *
 * The trace's rate is a function of its spans only, never of R, so the trace is kept with exactly
 * that probability and 1/rate is an unbiased adjusted count. Keeping on the root span's rule alone
 * was rejected: the root may arrive last or never, and the DO must decide anyway.
 *
 * Cost: traces with T_fwd <= R < T(trace rate) are stored in a DO and then deleted. With no rules
 * (or rules no more permissive than the default) T_fwd equals the default threshold and the edge's
 * answer is already final.
 *
 * `sampling.priority`: non-zero on any span forces its trace to be kept (rate 1); zero forces it to
 * be dropped, unless another span forces a keep (losing a trace someone asked for is worse). A
 * priority-0 span is still forwarded when R >= T_fwd so that the DO drops the trace whole. A
 * non-zero priority is seen only by the edge that has that span: the trace's other spans reach the
 * DO only if R >= T_fwd, so a forced keep is whole only for spans the same requests carried, or
 * when R >= T_fwd — the same limit OpenTelemetry's span processors have.
 */
import type { Span, TraceId } from '../span/model';
import { minThreshold, NEVER, randomnessAtLeast, TRACE_ID_RANDOMNESS_OFFSET, thresholdToProbability, type Threshold } from './consistent';
import { samplingPriority } from './priority';
import { compileRate, firstMatch, type CompiledRate, type SamplingRule } from './rules';
import { addSpanFacts, emptyFacts, type TraceFacts } from './trace-facts';
import { parseOtTraceState } from './tracestate';

export { parseSamplingRules, SamplingConfigError, type SamplingRule } from './rules';

/** What the lead's Config carries for sampling (from SAMPLE_RATE, SAMPLING_RULES, TAIL_PRESAMPLE_RATE). */
export interface SamplingConfig {
  /** SAMPLE_RATE: the rate of spans no rule matches */
  defaultRate: number;
  /** SAMPLING_RULES, parsed by parseSamplingRules; first match wins */
  rules: SamplingRule[];
  /** TAIL_PRESAMPLE_RATE: when set, tail mode: the edge forwards at least this share for the DO's policies */
  tailPresampleRate?: number;
}

export interface EdgeDecision {
  /** send the span to its trace's DO */
  readonly forward: boolean;
  /**
   * The probability the trace is kept with as far as this edge can tell (the span's rule, capped by
   * an upstream `th`; 1 for a forced keep). The DO's flush decision gives the final rate; for a
   * span that is not forwarded it is the forwarding probability the trace fell outside of.
   */
  readonly rate: number;
  /** `rule:<name>` | `default` | `sampling.priority` | `defer:...` | `drop:...` */
  readonly reason: string;
}

/** The DO's keep/drop for a whole trace at flush time (head mode). */
export interface TraceDecision {
  keep: boolean;
  /** probability the trace was kept with: the index's sampleRate; adjustedCount = 1 / rate */
  rate: number;
  reason: string;
}

interface Compiled {
  /** [default, ...rules], in rule order; index = firstMatch + 1 */
  rates: CompiledRate[];
  forward: Threshold;
  forwardRate: number;
  keep: EdgeDecision[];
  defer: EdgeDecision[];
  drop: EdgeDecision;
  forceKeep: EdgeDecision;
  forceDrop: EdgeDecision;
}

// The Config object is built once per distinct var source (worker/config.ts caches it), so keying
// the compiled form on its identity compiles once, not per request. The config must not be mutated.
const compiledCache = new WeakMap<SamplingConfig, Compiled>();

function compile(cfg: SamplingConfig): Compiled {
  const hit = compiledCache.get(cfg);
  if (hit !== undefined) return hit;
  const rates = [compileRate(cfg.defaultRate, 'default'), ...cfg.rules.map((r) => compileRate(r.rate, `rule:${r.name}`))];
  let forward: Threshold = NEVER;
  for (const r of rates) forward = minThreshold(forward, r.threshold);
  if (cfg.tailPresampleRate !== undefined) forward = minThreshold(forward, compileRate(cfg.tailPresampleRate, 'tail').threshold);
  const forwardRate = thresholdToProbability(forward);
  const freeze = (d: EdgeDecision): EdgeDecision => Object.freeze(d);
  const deferWhy = cfg.tailPresampleRate !== undefined ? 'a tail policy' : "another span's rule";
  const c: Compiled = {
    rates,
    forward,
    forwardRate,
    keep: rates.map((r) => freeze({ forward: true, rate: r.rate, reason: r.label })),
    defer: rates.map((r) => freeze({ forward: true, rate: r.rate, reason: `defer:${r.label} (${deferWhy} may keep the trace)` })),
    drop: freeze({ forward: false, rate: forwardRate, reason: 'drop:below every rule threshold' }),
    forceKeep: freeze({ forward: true, rate: 1, reason: 'sampling.priority' }),
    forceDrop: freeze({ forward: true, rate: 0, reason: 'defer:sampling.priority=0 (the DO drops the trace whole)' }),
  };
  compiledCache.set(cfg, c);
  return c;
}

/** The probability with which the edge forwards a trace to its DO (what decideTail's presampleRate is). */
export function forwardRate(cfg: SamplingConfig): number {
  return compile(cfg).forwardRate;
}

/**
 * The edge's decision for one span. Fast: no allocation unless the span carries an upstream `th`
 * lower than its rule's rate (the decision objects are precompiled and shared — do not mutate).
 */
export function decideSpan(span: Span, cfg: SamplingConfig): EdgeDecision {
  const c = compile(cfg);
  const prio = samplingPriority(span);
  if (prio !== 0 && !Number.isNaN(prio)) return c.forceKeep;
  const ts = parseOtTraceState(span.traceState);
  const src = ts.rv ?? span.traceId;
  const off = ts.rv === null ? TRACE_ID_RANDOMNESS_OFFSET : 0;
  if (!randomnessAtLeast(src, off, c.forward)) return c.drop;
  if (prio === 0) return c.forceDrop;
  const i = firstMatch(cfg.rules, span) + 1;
  const r = c.rates[i] as CompiledRate;
  const d = (randomnessAtLeast(src, off, r.threshold) ? c.keep[i] : c.defer[i]) as EdgeDecision;
  const up = ts.th !== null && randomnessAtLeast(src, off, ts.th) ? ts.thRate : 1;
  return up < d.rate ? { forward: d.forward, rate: up, reason: `${d.reason} (upstream th)` } : d;
}

/** Facts of a trace plus the most permissive rule its spans matched. */
interface TraceAcc {
  facts: TraceFacts;
  best: CompiledRate | null;
}

function better(a: CompiledRate | null, b: CompiledRate): CompiledRate {
  // Highest rate wins; equal rates are broken by label so the reason does not depend on span order.
  if (a === null || b.rate > a.rate || (b.rate === a.rate && b.label < a.label)) return b;
  return a;
}

function accumulate(acc: TraceAcc, span: Span, c: Compiled, cfg: SamplingConfig): void {
  addSpanFacts(acc.facts, span);
  acc.best = better(acc.best, c.rates[firstMatch(cfg.rules, span) + 1] as CompiledRate);
}

/** The trace-level result from its accumulated spans (shared by the edge and the DO). */
function traceResult(acc: TraceAcc, c: Compiled): TraceDecision & { forward: boolean } {
  const f = acc.facts;
  const best = acc.best as CompiledRate;
  if (f.forceKeep) return { forward: true, keep: true, rate: 1, reason: 'sampling.priority' };
  const forward = randomnessAtLeast(f.rSource, f.rOffset, c.forward);
  if (!forward) return { forward, keep: false, rate: c.forwardRate, reason: 'drop:below every rule threshold' };
  if (f.forceDrop) return { forward, keep: false, rate: 0, reason: 'drop:sampling.priority=0' };
  const keep = randomnessAtLeast(f.rSource, f.rOffset, best.threshold);
  const rate = Math.min(best.rate, f.upstreamRate);
  return { forward, keep, rate, reason: keep ? best.label : `drop:${best.label}` };
}

/**
 * The edge's decision for a batch, one per trace: every span of a trace in the batch gets the same
 * answer (a priority on one span forwards its siblings in the batch too).
 */
export function decideBatch(spans: readonly Span[], cfg: SamplingConfig): Map<TraceId, EdgeDecision> {
  const c = compile(cfg);
  const accs = new Map<TraceId, TraceAcc>();
  for (const s of spans) {
    let acc = accs.get(s.traceId);
    if (acc === undefined) {
      acc = { facts: emptyFacts(s.traceId), best: null };
      accs.set(s.traceId, acc);
    }
    accumulate(acc, s, c, cfg);
  }
  const out = new Map<TraceId, EdgeDecision>();
  for (const [traceId, acc] of accs) {
    const r = traceResult(acc, c);
    const reason = r.forward && !r.keep && r.reason.startsWith('drop:') ? `defer:${r.reason.slice(5)}` : r.reason;
    out.set(traceId, { forward: r.forward, rate: r.rate, reason });
  }
  return out;
}

/**
 * A trace's head-mode decision folded span by span, for callers that stream a trace too large to
 * hold (the DO's flush). Spans of other traces are ignored; order does not matter.
 */
export class TraceDecider {
  private readonly c: Compiled;
  private readonly acc: TraceAcc;

  constructor(
    private readonly cfg: SamplingConfig,
    private readonly traceId: TraceId,
  ) {
    this.c = compile(cfg);
    this.acc = { facts: emptyFacts(traceId), best: null };
  }

  add(span: Span): void {
    if (span.traceId === this.traceId) accumulate(this.acc, span, this.c, this.cfg);
  }

  decision(): TraceDecision {
    if (this.acc.best === null) return { keep: false, rate: 0, reason: 'drop:no spans' };
    const { keep, rate, reason } = traceResult(this.acc, this.c);
    return { keep, rate, reason };
  }

  /** The highest rate among the rules the spans matched (the default when none): the tail's head rate. */
  headRate(): number {
    return (this.acc.best ?? (this.c.rates[0] as CompiledRate)).rate;
  }
}

function decider(spans: readonly Span[], cfg: SamplingConfig, traceId: TraceId): TraceDecider {
  const d = new TraceDecider(cfg, traceId);
  for (const s of spans) d.add(s);
  return d;
}

/**
 * The DO's final head-mode decision for its trace at flush time, over every span it holds. The
 * same spans in any order, split over any requests, give the same answer. Spans of other traces
 * are ignored; the traceId defaults to the first span's.
 */
export function decideTrace(spans: readonly Span[], cfg: SamplingConfig, traceId?: TraceId): TraceDecision {
  const id = traceId ?? spans[0]?.traceId;
  if (id === undefined) return { keep: false, rate: 0, reason: 'drop:no spans' };
  return decider(spans, cfg, id).decision();
}

/**
 * The head rate of a trace: the highest rate among the rules its spans match (the default when
 * none), as applied after rounding to a threshold. In tail mode this is decideTail's `headRate`.
 */
export function traceHeadRate(spans: readonly Span[], cfg: SamplingConfig, traceId?: TraceId): number {
  const id = traceId ?? spans[0]?.traceId;
  if (id === undefined) return (compile(cfg).rates[0] as CompiledRate).rate;
  return decider(spans, cfg, id).headRate();
}
