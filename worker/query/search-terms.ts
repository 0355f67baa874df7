/**
 * How search terms are spelled: the one vocabulary that the index writer (a flushed trace's terms)
 * and the search (a query's terms) share, so the two can never disagree.
 *
 *   s␟service              a trace with a span of this service
 *   o␟service␟operation    ... with a span of this service and operation
 *   t␟key␟value            ... with a span (or its resource) whose attribute has this value
 *
 * ␟ is U+001F, the unit separator: it does not occur in service names, operations or attribute
 * keys in practice, and it sorts before every printable character, so "every value of a key" is
 * one index range. A span whose status is ERROR has the term `error=true`, as Jaeger shows it.
 */
import type { AnyValue } from '../span/model';

export const SEP = '\u001f';

export const serviceTerm = (service: string) => `s${SEP}${service}`;
export const operationTerm = (service: string, operation: string) => `o${SEP}${service}${SEP}${operation}`;
export const tagTerm = (key: string, value: string) => `t${SEP}${key}${SEP}${value}`;

/** The half-open range [from, to) of terms holding every value of `key`. */
export function tagValueRange(key: string): { from: string; to: string } {
  const from = `t${SEP}${key}${SEP}`;
  // U+0020 is the code point right after the separator: the first string past every value.
  return { from, to: `t${SEP}${key}\u0020` };
}

/** The value of a tag term, or null when the term is not one of `key`'s. */
export function tagValueOf(term: string, key: string): string | null {
  const { from } = tagValueRange(key);
  return term.startsWith(from) ? term.slice(from.length) : null;
}

/**
 * Longest attribute value that is indexed. Longer ones (payloads, SQL text, URLs with long query
 * strings) would bloat the vocabulary and nobody types them into a search box.
 */
export const MAX_INDEXED_VALUE_LENGTH = 256;

/**
 * An attribute value as search compares it (the string Jaeger shows: `true`, `500`, `0.25`), or
 * null for kinds that are not indexed (arrays, maps, bytes, empty) and for over-long strings.
 */
export function indexedValue(v: AnyValue): string | null {
  let s: string;
  if ('stringValue' in v) s = v.stringValue;
  else if ('boolValue' in v) s = v.boolValue ? 'true' : 'false';
  else if ('intValue' in v) s = String(v.intValue);
  else if ('doubleValue' in v) s = String(v.doubleValue);
  else return null;
  return s.length <= MAX_INDEXED_VALUE_LENGTH ? s : null;
}
