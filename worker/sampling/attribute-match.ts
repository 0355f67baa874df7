/**
 * Matching a span's attribute against configured values, shared by the edge rules and the tail
 * policies. Config values may be written as strings, numbers or booleans; a span's value may be
 * any OTLP scalar type (an HTTP status can arrive as intValue "500", doubleValue 500 or
 * stringValue "500" depending on the SDK), so the comparison is by meaning, not by JSON type.
 * Compiled once at load; matching allocates nothing.
 */
import type { AnyValue, KeyValue, Span } from '../span/model';
import { SamplingConfigError } from './config-error';

export interface ValueMatcher {
  /** the values as strings (numbers in JS's canonical form, booleans as "true"/"false") */
  readonly strings: ReadonlySet<string>;
  /** the values that are numbers (or numeric strings), for intValue/doubleValue */
  readonly numbers: ReadonlySet<number>;
}

/** Validates and compiles configured values (a scalar or a non-empty list of scalars). */
export function compileValues(v: unknown, path: string): ValueMatcher {
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0) throw new SamplingConfigError(path, 'must list at least one value');
  const strings = new Set<string>();
  const numbers = new Set<number>();
  list.forEach((item, i) => {
    const at = Array.isArray(v) ? `${path}[${i}]` : path;
    if (typeof item === 'string') {
      strings.add(item);
      const n = item.trim() === '' ? Number.NaN : Number(item);
      if (Number.isFinite(n)) numbers.add(n);
    } else if (typeof item === 'number' && Number.isFinite(item)) {
      strings.add(String(item));
      numbers.add(item);
    } else if (typeof item === 'boolean') {
      strings.add(item ? 'true' : 'false');
    } else {
      throw new SamplingConfigError(at, `must be a string, number or boolean, got ${JSON.stringify(item)}`);
    }
  });
  return { strings, numbers };
}

/** Whether one OTLP value equals one of the matcher's values. Arrays and maps never match. */
export function valueMatches(value: AnyValue, m: ValueMatcher): boolean {
  if ('stringValue' in value) return m.strings.has(value.stringValue);
  if ('intValue' in value) return m.strings.has(String(value.intValue)) || m.numbers.has(Number(value.intValue));
  if ('doubleValue' in value) return m.numbers.has(value.doubleValue);
  if ('boolValue' in value) return m.strings.has(value.boolValue ? 'true' : 'false');
  return false;
}

function findIn(attrs: readonly KeyValue[], key: string): AnyValue | undefined {
  for (let i = 0; i < attrs.length; i++) {
    const kv = attrs[i] as KeyValue;
    if (kv.key === key) return kv.value;
  }
  return undefined;
}

/** A span attribute, falling back to its resource's (where `deployment.environment` and the like live). */
export function spanAttribute(span: Span, key: string): AnyValue | undefined {
  return findIn(span.attributes, key) ?? findIn(span.resource.attributes, key);
}

/** Whether the span (or its resource) has `key` set to one of the values. */
export function spanAttributeMatches(span: Span, key: string, m: ValueMatcher): boolean {
  const v = spanAttribute(span, key);
  return v !== undefined && valueMatches(v, m);
}
