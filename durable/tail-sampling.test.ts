import { describe, expect, it } from 'vitest';
import { decideSpan, forwardRate, type SamplingConfig } from '../worker/sampling/decide';
import { int, makeSpan, randomTraceIds, str, traceIdWithRandomness } from '../worker/sampling/test-spans';
import { StatusCode, type Span, type TraceId, type UnixNanos } from '../worker/span/model';
import { decideTail, parseTailPolicies, SamplingConfigError, type TailPolicy } from './tail-sampling';

const POLICIES = parseTailPolicies(
  JSON.stringify([
    { type: 'error' },
    { type: 'latency', thresholdMs: 500 },
    { type: 'attribute', name: 'vip', key: 'customer.tier', values: ['gold', 'platinum'] },
    { type: 'spanCount', min: 3 },
  ]),
);

function errorOf(json: string): string {
  try {
    parseTailPolicies(json);
  } catch (err) {
    expect(err).toBeInstanceOf(SamplingConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a SamplingConfigError');
}

const at = (ms: number) => (BigInt(1_700_000_000_000) * 1_000_000n + BigInt(ms) * 1_000_000n).toString() as UnixNanos;

/** A trace whose randomness R is below the head rate's threshold but was forwarded (presample 10%, head 1%). */
const ordinaryDrop = traceIdWithRandomness('f0000000000000');

describe('parseTailPolicies', () => {
  it('reads the four policy types, as an array or under "policies"', () => {
    expect(POLICIES.map((p) => [p.type, p.name])).toEqual([
      ['error', 'error'],
      ['latency', 'latency'],
      ['attribute', 'vip'],
      ['spanCount', 'spanCount'],
    ]);
    expect(parseTailPolicies('{"policies":[]}')).toEqual([]);
  });

  it('names the place of every error', () => {
    expect(errorOf('[{"type":"error"},{"type":"latency","thresholdMs":-1}]')).toBe('policies[1].thresholdMs: must be a non-negative number, got -1');
    expect(errorOf('[{"type":"slow"}]')).toMatch(/^policies\[0\]\.type: must be one of error, latency, attribute, spanCount/);
    expect(errorOf('[{"type":"spanCount","min":2.5}]')).toMatch(/^policies\[0\]\.min: must be a non-negative whole number/);
    expect(errorOf('[{"type":"attribute","key":"k"}]')).toBe('policies[0].values: is required');
    expect(errorOf('[{"type":"attribute","key":"k","values":[]}]')).toBe('policies[0].values: must list at least one value');
    expect(errorOf('[{"type":"error","threshold":1}]')).toMatch(/^policies\[0\]\.threshold: unknown field/);
    expect(errorOf('[{"type":"error"},{"type":"error"}]')).toMatch(/^policies\[1\]\.name: duplicates policies\[0\]/);
    expect(errorOf('{')).toMatch(/^policies: not valid JSON/);
  });
});

describe('decideTail', () => {
  const decide = (spans: Span[], policies: readonly TailPolicy[] = POLICIES) => decideTail(spans, policies, 0.01, 0.1, ordinaryDrop);

  it('keeps an error trace and records the error policy, counted at the presample rate', () => {
    const d = decide([makeSpan({ traceId: ordinaryDrop }), makeSpan({ traceId: ordinaryDrop, status: { code: StatusCode.ERROR } })]);
    expect(d.keep).toBe(true);
    expect(d.policy).toBe('error');
    expect(d.rate).toBeCloseTo(0.1, 12);
  });

  it('keeps a trace longer than the latency bound, from earliest start to latest end', () => {
    const spans = (endMs: number) => [
      makeSpan({ traceId: ordinaryDrop, startTimeUnixNano: at(0), endTimeUnixNano: at(100) }),
      makeSpan({ traceId: ordinaryDrop, startTimeUnixNano: at(50), endTimeUnixNano: at(endMs) }),
    ];
    expect(decide(spans(501))).toMatchObject({ keep: true, policy: 'latency' });
    expect(decide(spans(500))).toMatchObject({ keep: false });
  });

  it('keeps on an attribute value and on span count (distinct spans, so retries do not count)', () => {
    expect(decide([makeSpan({ traceId: ordinaryDrop, attributes: [str('customer.tier', 'gold')] })])).toMatchObject({ keep: true, policy: 'vip' });
    expect(decide([makeSpan({ traceId: ordinaryDrop, attributes: [str('customer.tier', 'bronze')] })]).keep).toBe(false);
    const a = makeSpan({ traceId: ordinaryDrop });
    const b = makeSpan({ traceId: ordinaryDrop });
    expect(decide([a, b, { ...a }]).keep).toBe(false);
    expect(decide([a, b, makeSpan({ traceId: ordinaryDrop })])).toMatchObject({ keep: true, policy: 'spanCount' });
  });

  it('records the first policy that matches, in configured order', () => {
    const spans = [makeSpan({ traceId: ordinaryDrop, status: { code: StatusCode.ERROR }, attributes: [str('customer.tier', 'gold')] })];
    expect(decide(spans).policy).toBe('error');
    expect(decide(spans, [...POLICIES].reverse()).policy).toBe('vip');
  });

  it('honours sampling.priority before the policies', () => {
    expect(decide([makeSpan({ traceId: ordinaryDrop, attributes: [int('sampling.priority', 1)] })])).toEqual({ keep: true, policy: 'sampling.priority', rate: 1 });
    const zero = makeSpan({ traceId: ordinaryDrop, status: { code: StatusCode.ERROR }, attributes: [int('sampling.priority', 0)] });
    expect(decide([zero]).keep).toBe(false);
  });

  it('ignores spans of other traces', () => {
    const other = makeSpan({ traceId: traceIdWithRandomness('00000000000001'), status: { code: StatusCode.ERROR } });
    expect(decide([makeSpan({ traceId: ordinaryDrop }), other]).keep).toBe(false);
    expect(decide([other])).toMatchObject({ keep: false });
  });

  it('keeps ordinary traces exactly when head-only sampling would, so their share is the head rate', () => {
    const head: SamplingConfig = { defaultRate: 0.01, rules: [] };
    const tail: SamplingConfig = { defaultRate: 0.01, rules: [], tailPresampleRate: 0.1 };
    const presample = forwardRate(tail);
    const ids = randomTraceIds(200_000);
    let forwarded = 0;
    let kept = 0;
    for (const traceId of ids) {
      const span = makeSpan({ traceId });
      const headKeeps = decideSpan(span, head).forward;
      if (!decideSpan(span, tail).forward) {
        expect(headKeeps).toBe(false);
        continue;
      }
      forwarded++;
      const d = decideTail([span], POLICIES, 0.01, presample, traceId as TraceId);
      expect(d.keep).toBe(headKeeps);
      if (d.keep) {
        kept++;
        expect(d.policy).toBe('probabilistic');
        expect(d.rate).toBeCloseTo(0.01, 12);
      }
    }
    const sd = (p: number) => 4 * Math.sqrt(ids.length * p * (1 - p));
    expect(Math.abs(forwarded - ids.length * 0.1)).toBeLessThanOrEqual(sd(0.1));
    expect(Math.abs(kept - ids.length * 0.01)).toBeLessThanOrEqual(sd(0.01));
  });

  it('is the same decision whatever the span order', () => {
    const spans = [
      makeSpan({ traceId: ordinaryDrop, startTimeUnixNano: at(0), endTimeUnixNano: at(10) }),
      makeSpan({ traceId: ordinaryDrop, startTimeUnixNano: at(5), endTimeUnixNano: at(900) }),
      makeSpan({ traceId: ordinaryDrop, attributes: [str('customer.tier', 'gold')] }),
    ];
    expect(decide([...spans].reverse())).toEqual(decide(spans));
  });

  it('caps the rate by an upstream tracestate th', () => {
    // R = 0xfc... reaches th:f8 (1 - 0xf8/0x100 = 3.125%, lower than the 10% presample) but not T(1%)
    const traceId = traceIdWithRandomness('fc000000000000');
    const span = makeSpan({ traceId, traceState: 'ot=th:f8', status: { code: StatusCode.ERROR } });
    expect(decideTail([span], POLICIES, 0.01, 0.1, traceId).rate).toBeCloseTo(0.03125, 12);
    expect(decideTail([{ ...span, status: { code: StatusCode.UNSET } }], POLICIES, 0.01, 0.1, traceId).keep).toBe(false);
  });
});
