/**
 * Tail sampling: the decision a trace's Durable Object makes at flush time when the edge runs in
 * tail mode (TAIL_PRESAMPLE_RATE set): the edge forwards a larger share of traces, and here, with
 * the whole trace in hand, policies modelled on the OpenTelemetry collector's tail_sampling
 * processor keep the interesting ones (errors, slow traces, an attribute value, big traces);
 * every other trace is kept with the probability that brings ordinary traffic back to the head
 * rate. The decision records which policy kept the trace.
 *
 * The fallback is itself consistent probability sampling on the trace's randomness R: the edge
 * forwarded the trace because R >= T(presample), and we keep it iff R >= T(headRate). Since
 * T(headRate) >= T(presample), P(kept) = P(R >= T(headRate)) = headRate exactly, and the same
 * trace gets the same answer on every flush and every DO (no Math.random).
 *
 * Rates for the adjusted count: a trace kept by a policy was kept whenever it was forwarded, so
 * with probability `presampleRate`; one kept by the fallback with `headRate`; both capped by an
 * upstream tracestate `th`. A non-zero `sampling.priority` keeps (rate 1), zero drops.
 *
 * Pure: the DO shell calls decideTail, then deletes its storage for a dropped trace and remembers
 * the decision for late spans.
 */
import { StatusCode, type Span, type TraceId } from '../worker/span/model';
import { compileValues, spanAttributeMatches, type ValueMatcher } from '../worker/sampling/attribute-match';
import {
  checkKnownFields,
  isObject,
  parseJson,
  SamplingConfigError,
} from '../worker/sampling/config-error';
import { maxThreshold, probabilityToThreshold, randomnessAtLeast, thresholdToProbability } from '../worker/sampling/consistent';
import { addSpanFacts, emptyFacts } from '../worker/sampling/trace-facts';

export { SamplingConfigError } from '../worker/sampling/config-error';

interface PolicyBase {
  /** shown as the decision's `policy`; defaults to the type */
  name: string;
}

/** Keep a trace that has a span with status ERROR. */
export interface ErrorPolicy extends PolicyBase {
  type: 'error';
}
/** Keep a trace longer than `thresholdMs` (earliest span start to latest span end). */
export interface LatencyPolicy extends PolicyBase {
  type: 'latency';
  thresholdMs: number;
}
/** Keep a trace with a span (or span resource) whose attribute `key` is one of `values`. */
export interface AttributePolicy extends PolicyBase {
  type: 'attribute';
  key: string;
  values: ValueMatcher;
}
/** Keep a trace with at least `min` distinct spans. */
export interface SpanCountPolicy extends PolicyBase {
  type: 'spanCount';
  min: number;
}

export type TailPolicy = ErrorPolicy | LatencyPolicy | AttributePolicy | SpanCountPolicy;

export interface TailDecision {
  keep: boolean;
  /** the policy that kept it (its name), `sampling.priority`, `probabilistic`, or why it was dropped */
  policy: string;
  /** probability the trace was kept with (adjusted count = 1 / rate); 0 when dropped */
  rate: number;
}

function nonNegative(v: unknown, path: string, integer: boolean): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v)))
    throw new SamplingConfigError(path, `must be a non-negative ${integer ? 'whole number' : 'number'}, got ${JSON.stringify(v)}`);
  return v;
}

function readPolicy(raw: unknown, path: string): TailPolicy {
  if (!isObject(raw)) throw new SamplingConfigError(path, 'must be an object with a "type"');
  const type = raw.type;
  let name = typeof type === 'string' ? type : '';
  if (raw.name !== undefined) {
    if (typeof raw.name !== 'string' || raw.name === '') throw new SamplingConfigError(`${path}.name`, 'must be a non-empty string');
    name = raw.name;
  }
  switch (type) {
    case 'error':
      checkKnownFields(raw, path, ['type', 'name']);
      return { type, name };
    case 'latency':
      checkKnownFields(raw, path, ['type', 'name', 'thresholdMs']);
      return { type, name, thresholdMs: nonNegative(raw.thresholdMs, `${path}.thresholdMs`, false) };
    case 'attribute': {
      checkKnownFields(raw, path, ['type', 'name', 'key', 'values']);
      if (typeof raw.key !== 'string' || raw.key === '') throw new SamplingConfigError(`${path}.key`, 'must be a non-empty string');
      if (raw.values === undefined) throw new SamplingConfigError(`${path}.values`, 'is required');
      return { type, name, key: raw.key, values: compileValues(raw.values, `${path}.values`) };
    }
    case 'spanCount':
      checkKnownFields(raw, path, ['type', 'name', 'min']);
      return { type, name, min: nonNegative(raw.min, `${path}.min`, true) };
    default:
      throw new SamplingConfigError(`${path}.type`, `must be one of error, latency, attribute, spanCount, got ${JSON.stringify(type)}`);
  }
}

/**
 * Parses and validates `TAIL_POLICIES`: a JSON array of policies, or `{ "policies": [...] }`.
 * Throws SamplingConfigError naming the place (`policies[1].thresholdMs: must be ...`).
 */
export function parseTailPolicies(json: string): TailPolicy[] {
  const doc = parseJson(json, 'policies');
  let list: unknown = doc;
  if (isObject(doc)) {
    checkKnownFields(doc, '(root)', ['policies']);
    list = doc.policies;
  }
  if (!Array.isArray(list)) throw new SamplingConfigError('policies', 'must be a JSON array of policies (or {"policies": [...]})');
  const policies = list.map((raw, i) => readPolicy(raw, `policies[${i}]`));
  const seen = new Map<string, number>();
  policies.forEach((p, i) => {
    const first = seen.get(p.name);
    if (first !== undefined)
      throw new SamplingConfigError(`policies[${i}].name`, `duplicates policies[${first}] (${JSON.stringify(p.name)}); give one a "name"`);
    seen.set(p.name, i);
  });
  return policies;
}

/**
 * The DO's tail-mode decision for its trace at flush time. `headRate` is the trace's head rate
 * (decide.ts `traceHeadRate(spans, cfg)`), `presampleRate` the share the edge forwarded
 * (decide.ts `forwardRate(cfg)`). Policies are tried in order; the first that matches is recorded.
 * Spans of other traces are ignored.
 */
export function decideTail(
  spans: readonly Span[],
  policies: readonly TailPolicy[],
  headRate: number,
  presampleRate: number,
  traceId: TraceId,
): TailDecision {
  const acc = new TailAccumulator(policies, traceId);
  for (const s of spans) acc.add(s);
  return acc.decide(headRate, presampleRate);
}

/**
 * What the policies need of a trace, folded span by span (the DO streams traces too large to hold):
 * per policy whether it matched so far, plus the trace's time bounds and distinct span ids.
 */
export class TailAccumulator {
  private readonly facts;
  private readonly matched: boolean[];
  private start: bigint | null = null;
  private end: bigint | null = null;
  private readonly ids = new Set<string>();

  constructor(
    private readonly policies: readonly TailPolicy[],
    private readonly traceId: TraceId,
  ) {
    this.facts = emptyFacts(traceId);
    this.matched = policies.map(() => false);
  }

  add(s: Span): void {
    if (s.traceId !== this.traceId) return;
    addSpanFacts(this.facts, s);
    this.ids.add(s.spanId);
    const a = BigInt(s.startTimeUnixNano);
    const b = BigInt(s.endTimeUnixNano);
    if (this.start === null || a < this.start) this.start = a;
    if (this.end === null || b > this.end) this.end = b;
    this.policies.forEach((p, i) => {
      if (this.matched[i]) return;
      if (p.type === 'error') this.matched[i] = s.status.code === StatusCode.ERROR;
      else if (p.type === 'attribute') this.matched[i] = spanAttributeMatches(s, p.key, p.values);
    });
  }

  private durationNanos(): bigint {
    return this.start === null || this.end === null || this.end < this.start ? 0n : this.end - this.start;
  }

  private matches(p: TailPolicy, i: number): boolean {
    switch (p.type) {
      case 'error':
      case 'attribute':
        return this.matched[i] as boolean;
      case 'latency':
        // thresholdMs → ns exactly for whole and fractional ms (bounded to µs precision).
        return this.durationNanos() > BigInt(Math.round(p.thresholdMs * 1000)) * 1000n;
      case 'spanCount':
        return this.ids.size >= p.min;
    }
  }

  /** `headRate` as decide.ts `TraceDecider.headRate()`, `presampleRate` as decide.ts `forwardRate(cfg)`. */
  decide(headRate: number, presampleRate: number): TailDecision {
    const f = this.facts;
    if (f.spanCount === 0) return { keep: false, policy: 'drop:no spans', rate: 0 };
    if (f.forceKeep) return { keep: true, policy: 'sampling.priority', rate: 1 };
    if (f.forceDrop) return { keep: false, policy: 'drop:sampling.priority=0', rate: 0 };
    // The edge never forwards below the head rate, so the forwarding probability is at least it.
    const forwarded = probabilityToThreshold(Math.max(presampleRate, headRate));
    for (const [i, p] of this.policies.entries()) {
      if (this.matches(p, i)) return { keep: true, policy: p.name, rate: Math.min(thresholdToProbability(forwarded), f.upstreamRate) };
    }
    const head = maxThreshold(probabilityToThreshold(headRate), forwarded);
    if (randomnessAtLeast(f.rSource, f.rOffset, head))
      return { keep: true, policy: 'probabilistic', rate: Math.min(thresholdToProbability(head), f.upstreamRate) };
    return { keep: false, policy: 'drop:no policy matched', rate: 0 };
  }
}
