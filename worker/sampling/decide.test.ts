import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SpanKind, type Span, type TraceId } from '../span/model';
import { probabilityToThreshold, randomnessAtLeast } from './consistent';
import { decideBatch, decideSpan, decideTrace, forwardRate, traceHeadRate, type SamplingConfig } from './decide';
import { firstMatch, parseSamplingRules } from './rules';
import { int, makeSpan, randomTraceIds, str, traceIdWithRandomness } from './test-spans';

/** |kept - n p| within 4 standard deviations of a binomial(n, p). */
function expectWithin4Sd(kept: number, n: number, p: number): void {
  const sd = Math.sqrt(n * p * (1 - p));
  expect(Math.abs(kept - n * p)).toBeLessThanOrEqual(4 * sd);
}

describe('head sampling share', () => {
  const ids = randomTraceIds(1_000_000);
  for (const rate of [0.001, 0.01, 0.1]) {
    it(`keeps ${rate * 100}% of 1,000,000 random traceIds, within 4 standard deviations`, () => {
      const cfg: SamplingConfig = { defaultRate: rate, rules: [] };
      const span = makeSpan({ traceId: ids[0] as TraceId });
      let kept = 0;
      for (const id of ids) {
        span.traceId = id;
        if (decideSpan(span, cfg).forward) kept++;
      }
      expectWithin4Sd(kept, ids.length, rate);
    });
  }

  it('a rule’s rate applies to the traces whose spans it matches, and 1/rate counts the traffic without bias', () => {
    const cfg: SamplingConfig = { defaultRate: 0.01, rules: parseSamplingRules('[{"name":"pay","service":"payments","rate":0.5}]') };
    const n = 200_000;
    let payTraces = 0;
    let payKept = 0;
    let otherKept = 0;
    let estimate = 0;
    randomTraceIds(n).forEach((traceId, i) => {
      const withPay = i % 10 < 3;
      const spans = [makeSpan({ traceId, service: 'frontend' }), ...(withPay ? [makeSpan({ traceId, service: 'payments' })] : [])];
      const d = decideTrace(spans, cfg);
      if (withPay) payTraces++;
      if (!d.keep) return;
      if (withPay) payKept++;
      else otherKept++;
      estimate += 1 / d.rate;
    });
    expectWithin4Sd(payKept, payTraces, 0.5);
    expectWithin4Sd(otherKept, n - payTraces, 0.01);
    // Horvitz-Thompson: the variance of sum(1/p) over kept traces is sum((1 - p) / p) over all.
    const sd = Math.sqrt(payTraces * 1 + (n - payTraces) * 99);
    expect(Math.abs(estimate - n)).toBeLessThanOrEqual(4 * sd);
  });
});

// ---- the consistency guarantees, as properties over random traces, rules and request splits ----

const SERVICES = ['frontend', 'cart', 'payments', 'search', 'auth'];
const RATES = [0, 0.001, 0.05, 0.3, 0.5, 0.9, 1];
const KINDS = [SpanKind.SERVER, SpanKind.CLIENT, SpanKind.INTERNAL];

const traceIdArb = fc.stringMatching(/^[0-9a-f]{32}$/).filter((s) => !/^0+$/.test(s)) as fc.Arbitrary<TraceId>;
const ruleArb = fc.record({
  service: fc.option(fc.constantFrom(...SERVICES), { nil: undefined }),
  kind: fc.option(fc.constantFrom('server', 'client', 'internal'), { nil: undefined }),
  attributes: fc.option(fc.constant({ tier: 'gold' }), { nil: undefined }),
  rate: fc.constantFrom(...RATES),
});
const rulesArb = fc.array(ruleArb, { maxLength: 6 }).map((rs) => parseSamplingRules(JSON.stringify(rs)));
const cfgArb = fc.record({ defaultRate: fc.constantFrom(...RATES), rules: rulesArb });
const spanShapeArb = fc.record({
  service: fc.constantFrom(...SERVICES),
  kind: fc.constantFrom(...KINDS),
  gold: fc.boolean(),
  request: fc.nat(3),
});
const traceArb: fc.Arbitrary<TraceShape> = fc.record({ traceId: traceIdArb, spans: fc.array(spanShapeArb, { minLength: 1, maxLength: 8 }) });

interface TraceShape {
  traceId: TraceId;
  spans: { service: string; kind: SpanKind; gold: boolean; request: number }[];
}

function build(t: TraceShape): { request: number; span: Span }[] {
  return t.spans.map((s) => ({
    request: s.request,
    span: makeSpan({ traceId: t.traceId, service: s.service, kind: s.kind, attributes: s.gold ? [str('tier', 'gold')] : [] }),
  }));
}

/** Fisher-Yates with a small LCG, so fast-check can shrink the seed. */
function shuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let x = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Edge: each request decided on its own; DO: what was forwarded, then the flush decision. */
function pipeline(parts: { request: number; span: Span }[], cfg: SamplingConfig) {
  const stored: Span[] = [];
  for (let r = 0; r <= 3; r++) {
    const batch = parts.filter((p) => p.request === r).map((p) => p.span);
    const decisions = decideBatch(batch, cfg);
    for (const s of batch) if (decisions.get(s.traceId)?.forward) stored.push(s);
  }
  return { stored, decision: stored.length > 0 ? decideTrace(stored, cfg) : null };
}

describe('a trace is kept or dropped whole', () => {
  it('spans split over many requests and services are all forwarded or none, and the DO keeps all or none', () => {
    fc.assert(
      fc.property(traceArb, cfgArb, (t, cfg) => {
        const parts = build(t);
        const { stored, decision } = pipeline(parts, cfg);
        expect([0, parts.length]).toContain(stored.length);
        // the per-span edge decision agrees with the batch one for every span
        const forwards = new Set(parts.map((p) => decideSpan(p.span, cfg).forward));
        expect(forwards.size).toBe(1);
        expect(forwards.has(stored.length > 0)).toBe(true);
        // the outcome is the whole-trace rule, computed independently: keep iff the trace's R reaches
        // the threshold of the most permissive rule any of its spans matches
        const best = Math.max(...parts.map(({ span }) => cfg.rules[firstMatch(cfg.rules, span)]?.rate ?? cfg.defaultRate));
        const r = BigInt(`0x${t.traceId.slice(18)}`);
        const expected = best > 0 && r >= (1n << 56n) - BigInt(Math.round(best * 2 ** 56));
        expect(decision?.keep ?? false).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('the decision is the same for any span order and any split into requests', () => {
    fc.assert(
      fc.property(traceArb, cfgArb, fc.integer(), (t, cfg, seed) => {
        const spans = build(t).map((p) => p.span);
        const shuffled = shuffle(spans, seed);
        expect(decideTrace(shuffled, cfg)).toEqual(decideTrace(spans, cfg));
        expect(decideBatch(shuffled, cfg).get(t.traceId)).toEqual(decideBatch(spans, cfg).get(t.traceId));
      }),
      { numRuns: 300 },
    );
  });

  it('what the edge forwards does not depend on rule order at all', () => {
    fc.assert(
      fc.property(traceArb, cfgArb, (t, cfg) => {
        const reversed: SamplingConfig = { ...cfg, rules: [...cfg.rules].reverse() };
        for (const { span } of build(t)) expect(decideSpan(span, reversed).forward).toBe(decideSpan(span, cfg).forward);
        expect(forwardRate(reversed)).toBe(forwardRate(cfg));
      }),
      { numRuns: 300 },
    );
  });

  it('with rules that never overlap (one per service), the keep decision does not depend on rule order either', () => {
    fc.assert(
      fc.property(traceArb, fc.array(fc.constantFrom(...RATES), { minLength: SERVICES.length, maxLength: SERVICES.length }), (t, rates) => {
        const rules = parseSamplingRules(JSON.stringify(SERVICES.map((service, i) => ({ service, rate: rates[i] }))));
        const a: SamplingConfig = { defaultRate: 0.01, rules };
        const b: SamplingConfig = { defaultRate: 0.01, rules: [...rules].reverse() };
        const spans = build(t).map((p) => p.span);
        expect(decideTrace(spans, b)).toEqual(decideTrace(spans, a));
      }),
      { numRuns: 300 },
    );
  });

  it('the same traceId gets the same answer from every service and every request', () => {
    fc.assert(
      fc.property(traceIdArb, fc.constantFrom(0.001, 0.1, 0.5), (traceId, rate) => {
        const cfg: SamplingConfig = { defaultRate: rate, rules: [] };
        const answers = SERVICES.map((service) => decideSpan(makeSpan({ traceId, service }), cfg).forward);
        expect(new Set(answers).size).toBe(1);
        expect(answers[0]).toBe(randomnessAtLeast(traceId, 18, probabilityToThreshold(rate)));
      }),
    );
  });
});

describe('rules at the edge and at flush', () => {
  const cfg: SamplingConfig = {
    defaultRate: 0.1,
    rules: parseSamplingRules('[{"name":"health","operation":"GET /health","rate":0},{"name":"pay","service":"payments","rate":0.5}]'),
  };
  // R = 0x60... is kept at 0.5 (T = 0x80..)? no: 0x60 < 0x80. R = 0xf0.. is kept at 0.1 (T = 0xe66..).
  const high = traceIdWithRandomness('f0000000000000');
  const mid = traceIdWithRandomness('c0000000000000');
  const low = traceIdWithRandomness('10000000000000');

  it('forwards a span its own rule would drop when another rule could keep its trace, and says so', () => {
    const d = decideSpan(makeSpan({ traceId: mid, service: 'frontend' }), cfg);
    expect(d).toMatchObject({ forward: true, rate: 0.1 });
    expect(d.reason).toMatch(/^defer:default/);
    expect(decideSpan(makeSpan({ traceId: mid, service: 'payments' }), cfg)).toMatchObject({ forward: true, rate: 0.5, reason: 'rule:pay' });
    expect(decideSpan(makeSpan({ traceId: low, service: 'payments' }), cfg)).toMatchObject({ forward: false });
  });

  it('keeps the trace if any span’s rule keeps it, with that rule’s rate', () => {
    const spans = [makeSpan({ traceId: mid, service: 'frontend' }), makeSpan({ traceId: mid, service: 'payments' })];
    expect(decideTrace(spans, cfg)).toEqual({ keep: true, rate: 0.5, reason: 'rule:pay' });
    expect(decideTrace(spans.slice(0, 1), cfg)).toEqual({ keep: false, rate: 0.1, reason: 'drop:default' });
    expect(traceHeadRate(spans, cfg)).toBe(0.5);
    expect(decideTrace([makeSpan({ traceId: high, name: 'GET /health' })], cfg).keep).toBe(false);
  });

  it('shares precompiled decision objects on the hot path', () => {
    const a = decideSpan(makeSpan({ traceId: high }), cfg);
    const b = decideSpan(makeSpan({ traceId: traceIdWithRandomness('ff000000000000') }), cfg);
    expect(a).toBe(b);
    expect(Object.isFrozen(a)).toBe(true);
  });
});

describe('tracestate: upstream th and explicit rv', () => {
  const cfg: SamplingConfig = { defaultRate: 1, rules: [] };

  it('a trace an upstream sampler kept at 25% is counted at 25%, not at our 100%', () => {
    const traceId = traceIdWithRandomness('d0000000000000');
    const span = makeSpan({ traceId, traceState: 'ot=th:c' });
    expect(decideSpan(span, cfg)).toMatchObject({ forward: true, rate: 0.25 });
    expect(decideTrace([span], cfg)).toEqual({ keep: true, rate: 0.25, reason: 'default' });
    // our own lower rate still applies on top: min(0.25, 0.1)
    expect(decideTrace([span], { defaultRate: 0.1, rules: [] }).rate).toBe(0.1);
  });

  it('ignores a th that the trace’s randomness does not reach (inconsistent, per the spec)', () => {
    const span = makeSpan({ traceId: traceIdWithRandomness('10000000000000'), traceState: 'ot=th:c' });
    expect(decideTrace([span], cfg).rate).toBe(1);
  });

  it('uses rv instead of the traceId’s bits', () => {
    const traceId = traceIdWithRandomness('ffffffffffffff');
    const half: SamplingConfig = { defaultRate: 0.5, rules: [] };
    expect(decideSpan(makeSpan({ traceId }), half).forward).toBe(true);
    expect(decideSpan(makeSpan({ traceId, traceState: 'ot=rv:00000000000001' }), half).forward).toBe(false);
    expect(decideSpan(makeSpan({ traceId: traceIdWithRandomness('00000000000000'), traceState: 'ot=rv:90000000000000' }), half).forward).toBe(true);
  });
});

describe('sampling.priority', () => {
  const cfg: SamplingConfig = { defaultRate: 0.1, rules: [] };
  const low = traceIdWithRandomness('00000000000001');
  const high = traceIdWithRandomness('ffffffffffffff');

  it('non-zero forces keep at rate 1, and carries the rest of its batch along', () => {
    const forced = makeSpan({ traceId: low, attributes: [int('sampling.priority', 1)] });
    expect(decideSpan(forced, cfg)).toMatchObject({ forward: true, rate: 1, reason: 'sampling.priority' });
    expect(decideBatch([makeSpan({ traceId: low }), forced], cfg).get(low)).toMatchObject({ forward: true, rate: 1 });
    expect(decideTrace([makeSpan({ traceId: low }), forced], cfg)).toEqual({ keep: true, rate: 1, reason: 'sampling.priority' });
  });

  it('zero drops the whole trace at flush, but a forced keep elsewhere in the trace wins', () => {
    const zero = makeSpan({ traceId: high, attributes: [int('sampling.priority', 0)] });
    expect(decideSpan(zero, cfg).forward).toBe(true);
    expect(decideTrace([makeSpan({ traceId: high }), zero], cfg)).toMatchObject({ keep: false, reason: 'drop:sampling.priority=0' });
    const one = makeSpan({ traceId: high, attributes: [{ key: 'sampling.priority', value: { doubleValue: 2 } }] });
    expect(decideTrace([zero, one], cfg).keep).toBe(true);
  });
});

describe('tail mode at the edge', () => {
  it('forwards the presample share, and marks what the head rate alone would not keep as deferred', () => {
    const cfg: SamplingConfig = { defaultRate: 0.01, rules: [], tailPresampleRate: 0.1 };
    expect(forwardRate(cfg)).toBeCloseTo(0.1, 12);
    const d = decideSpan(makeSpan({ traceId: traceIdWithRandomness('f0000000000000') }), cfg);
    expect(d.forward).toBe(true);
    expect(d.reason).toMatch(/^defer:default \(a tail policy/);
    const ids = randomTraceIds(100_000);
    const span = makeSpan({ traceId: ids[0] as TraceId });
    let fwd = 0;
    for (const id of ids) {
      span.traceId = id;
      if (decideSpan(span, cfg).forward) fwd++;
    }
    expectWithin4Sd(fwd, ids.length, 0.1);
  });
});
