import { describe, expect, it } from 'vitest';
import { SpanKind } from '../span/model';
import { firstMatch, parseSamplingRules, ruleMatches, SamplingConfigError } from './rules';
import { int, makeSpan, str, traceIdWithRandomness } from './test-spans';

const tid = traceIdWithRandomness('00000000000000');

function errorOf(json: string): string {
  try {
    parseSamplingRules(json);
  } catch (err) {
    expect(err).toBeInstanceOf(SamplingConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a SamplingConfigError');
}

describe('parseSamplingRules', () => {
  it('reads every condition, single values or lists, as an array or under "rules"', () => {
    const rules = parseSamplingRules(
      JSON.stringify([
        { name: 'checkout', service: 'checkout', rate: 0.5 },
        { operation: ['GET /health', 'GET /ready'], kind: 'SERVER', rate: 0 },
        { kind: ['client', 'producer'], attributes: { 'http.response.status_code': [500, 503], tier: 'gold' }, rate: 1 },
      ]),
    );
    expect(rules.map((r) => [r.name, r.rate])).toEqual([
      ['checkout', 0.5],
      ['rules[1]', 0],
      ['rules[2]', 1],
    ]);
    expect([...(rules[1]?.kind ?? [])]).toEqual([SpanKind.SERVER]);
    expect(parseSamplingRules('{"rules":[{"rate":0.2}]}')).toHaveLength(1);
    expect(parseSamplingRules('[]')).toEqual([]);
  });

  it('names the field and the rule in every error', () => {
    expect(errorOf('[{"rate":0.1},{"rate":0.2},{"rate":2}]')).toBe('rules[2].rate: must be between 0 and 1, got 2');
    expect(errorOf('[{"service":"a"}]')).toBe('rules[0].rate: is required');
    expect(errorOf('[{"rate":"0.1"}]')).toBe('rules[0].rate: must be a number between 0 and 1, got "0.1"');
    expect(errorOf('[{"rate":0.1,"servce":"a"}]')).toMatch(/^rules\[0\]\.servce: unknown field/);
    expect(errorOf('[{"rate":0.1,"kind":["server","serveur"]}]')).toMatch(/^rules\[0\]\.kind\[1\]: must be one of/);
    expect(errorOf('[{"rate":0.1,"service":[]}]')).toMatch(/^rules\[0\]\.service: must be a string or a non-empty list/);
    expect(errorOf('[{"rate":0.1,"attributes":{"a":{"x":1}}}]')).toMatch(/^rules\[0\]\.attributes\["a"\]: must be a string, number or boolean/);
    expect(errorOf('[{"rate":0.1,"attributes":{}}]')).toMatch(/^rules\[0\]\.attributes: must be an object/);
    expect(errorOf('[{"name":"x","rate":0.1},{"name":"x","rate":0.2}]')).toMatch(/^rules\[1\]\.name: duplicates rules\[0\]/);
    expect(errorOf('{"rule":[]}')).toMatch(/^\(root\)\.rule: unknown field/);
    expect(errorOf('[1]')).toMatch(/^rules\[0\]: must be an object/);
    expect(errorOf('[{"rate":0.1},')).toMatch(/^rules: not valid JSON/);
  });
});

describe('matching', () => {
  it('needs every condition, any of a condition’s values', () => {
    const [rule] = parseSamplingRules('[{"service":["a","b"],"operation":"op","kind":"client","rate":1}]');
    if (!rule) throw new Error('no rule');
    const base = { traceId: tid, service: 'b', name: 'op', kind: SpanKind.CLIENT } as const;
    expect(ruleMatches(rule, makeSpan(base))).toBe(true);
    expect(ruleMatches(rule, makeSpan({ ...base, service: 'c' }))).toBe(false);
    expect(ruleMatches(rule, makeSpan({ ...base, name: 'other' }))).toBe(false);
    expect(ruleMatches(rule, makeSpan({ ...base, kind: SpanKind.SERVER }))).toBe(false);
  });

  it('compares attribute values by meaning across OTLP types, and falls back to resource attributes', () => {
    const [rule] = parseSamplingRules('[{"attributes":{"code":500,"env":"prod","flag":true},"rate":1}]');
    if (!rule) throw new Error('no rule');
    const res = { attributes: [str('env', 'prod')] };
    expect(ruleMatches(rule, makeSpan({ traceId: tid, resource: res, attributes: [int('code', 500), { key: 'flag', value: { boolValue: true } }] }))).toBe(true);
    expect(ruleMatches(rule, makeSpan({ traceId: tid, resource: res, attributes: [str('code', '500'), str('flag', 'true')] }))).toBe(true);
    expect(ruleMatches(rule, makeSpan({ traceId: tid, resource: res, attributes: [{ key: 'code', value: { doubleValue: 500 } }, str('flag', 'true')] }))).toBe(true);
    expect(ruleMatches(rule, makeSpan({ traceId: tid, resource: res, attributes: [int('code', 501), str('flag', 'true')] }))).toBe(false);
    expect(ruleMatches(rule, makeSpan({ traceId: tid, attributes: [int('code', 500), str('flag', 'true')] }))).toBe(false);
  });

  it('the first matching rule wins; -1 when none does', () => {
    const rules = parseSamplingRules('[{"service":"a","rate":0.1},{"kind":"server","rate":0.2},{"rate":0.3}]');
    expect(firstMatch(rules, makeSpan({ traceId: tid, service: 'a' }))).toBe(0);
    expect(firstMatch(rules, makeSpan({ traceId: tid, service: 'b' }))).toBe(1);
    expect(firstMatch(rules, makeSpan({ traceId: tid, service: 'b', kind: SpanKind.CLIENT }))).toBe(2);
    expect(firstMatch(rules.slice(0, 2), makeSpan({ traceId: tid, service: 'b', kind: SpanKind.CLIENT }))).toBe(-1);
  });
});
