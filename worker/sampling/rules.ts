/**
 * Head-sampling rules: which rate applies to a span. Rules are tried in order and the first whose
 * conditions all hold gives the rate; a span no rule matches gets the default (`SAMPLE_RATE`).
 * Conditions: service (resource `service.name`), operation (span name), span kind, and attribute
 * values (span attributes, then resource attributes). Every condition given must hold; a listed
 * condition matches any of its values.
 *
 * Rules are configuration (`SAMPLING_RULES`, JSON), validated once on load with errors naming the
 * place (`rules[2].rate: must be between 0 and 1`), then compiled to sets and thresholds so that
 * matching a span allocates nothing.
 */
import { SpanKind, type Span } from '../span/model';
import { compileValues, spanAttributeMatches, type ValueMatcher } from './attribute-match';
import {
  SamplingConfigError,
  checkKnownFields,
  isObject,
  parseJson,
  readRate,
  readStringList,
} from './config-error';
import { probabilityToThreshold, thresholdToProbability, type Threshold } from './consistent';

export { SamplingConfigError } from './config-error';

/** Span kinds as they are written in the rules JSON. */
export const KIND_NAMES: Record<string, SpanKind> = {
  unspecified: SpanKind.UNSPECIFIED,
  internal: SpanKind.INTERNAL,
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
};

export interface AttributeCondition {
  key: string;
  values: ValueMatcher;
}

/** One validated rule. Absent conditions match every span. */
export interface SamplingRule {
  /** shown in decisions (`rule:<name>`); defaults to `rules[<index>]` */
  name: string;
  service?: ReadonlySet<string>;
  operation?: ReadonlySet<string>;
  kind?: ReadonlySet<SpanKind>;
  attributes?: readonly AttributeCondition[];
  /** probability in [0, 1] that a trace this rule applies to is kept */
  rate: number;
}

const RULE_FIELDS = ['name', 'service', 'operation', 'kind', 'attributes', 'rate'] as const;

function readRule(raw: unknown, path: string, index: number): SamplingRule {
  if (!isObject(raw)) throw new SamplingConfigError(path, 'must be an object with a "rate"');
  checkKnownFields(raw, path, RULE_FIELDS);
  if (!('rate' in raw)) throw new SamplingConfigError(`${path}.rate`, 'is required');
  const rule: SamplingRule = { name: `rules[${index}]`, rate: readRate(raw.rate, `${path}.rate`) };
  if (raw.name !== undefined) {
    if (typeof raw.name !== 'string' || raw.name === '') throw new SamplingConfigError(`${path}.name`, 'must be a non-empty string');
    rule.name = raw.name;
  }
  if (raw.service !== undefined) rule.service = new Set(readStringList(raw.service, `${path}.service`));
  if (raw.operation !== undefined) rule.operation = new Set(readStringList(raw.operation, `${path}.operation`));
  if (raw.kind !== undefined) {
    const names = readStringList(raw.kind, `${path}.kind`);
    rule.kind = new Set(
      names.map((k, i) => {
        const kind = KIND_NAMES[k.toLowerCase()];
        if (kind === undefined)
          throw new SamplingConfigError(
            typeof raw.kind === 'string' ? `${path}.kind` : `${path}.kind[${i}]`,
            `must be one of ${Object.keys(KIND_NAMES).join(', ')}, got ${JSON.stringify(k)}`,
          );
        return kind;
      }),
    );
  }
  if (raw.attributes !== undefined) {
    const attrs = raw.attributes;
    if (!isObject(attrs) || Object.keys(attrs).length === 0)
      throw new SamplingConfigError(`${path}.attributes`, 'must be an object of attribute key to value (or list of values)');
    rule.attributes = Object.entries(attrs).map(([key, v]) => ({
      key,
      values: compileValues(v, `${path}.attributes[${JSON.stringify(key)}]`),
    }));
  }
  return rule;
}

/**
 * Parses and validates `SAMPLING_RULES`: a JSON array of rules, or `{ "rules": [...] }`.
 * Throws SamplingConfigError naming the place (`rules[2].rate: must be between 0 and 1, got 2`).
 */
export function parseSamplingRules(json: string): SamplingRule[] {
  const doc = parseJson(json, 'rules');
  let list: unknown = doc;
  if (isObject(doc)) {
    checkKnownFields(doc, '(root)', ['rules']);
    list = doc.rules;
  }
  if (!Array.isArray(list)) throw new SamplingConfigError('rules', 'must be a JSON array of rules (or {"rules": [...]})');
  const rules = list.map((raw, i) => readRule(raw, `rules[${i}]`, i));
  const seen = new Map<string, number>();
  rules.forEach((r, i) => {
    const first = seen.get(r.name);
    if (first !== undefined) throw new SamplingConfigError(`rules[${i}].name`, `duplicates rules[${first}].name ${JSON.stringify(r.name)}`);
    seen.set(r.name, i);
  });
  return rules;
}

/** Whether every condition of the rule holds for the span. */
export function ruleMatches(rule: SamplingRule, span: Span): boolean {
  if (rule.service !== undefined && !rule.service.has(span.service)) return false;
  if (rule.operation !== undefined && !rule.operation.has(span.name)) return false;
  if (rule.kind !== undefined && !rule.kind.has(span.kind)) return false;
  if (rule.attributes !== undefined) {
    for (let i = 0; i < rule.attributes.length; i++) {
      const a = rule.attributes[i] as AttributeCondition;
      if (!spanAttributeMatches(span, a.key, a.values)) return false;
    }
  }
  return true;
}

/** A rate ready for the hot path: its threshold, the probability that threshold really has, a label. */
export interface CompiledRate {
  threshold: Threshold;
  /** (2^56 - T) / 2^56: the rate as applied, which the adjusted count must use */
  rate: number;
  /** `rule:<name>` or `default` */
  label: string;
}

export function compileRate(rate: number, label: string): CompiledRate {
  const threshold = probabilityToThreshold(rate);
  return { threshold, rate: thresholdToProbability(threshold), label };
}

/** Index of the first rule the span matches, or -1 (the default applies). */
export function firstMatch(rules: readonly SamplingRule[], span: Span): number {
  for (let i = 0; i < rules.length; i++) if (ruleMatches(rules[i] as SamplingRule, span)) return i;
  return -1;
}
