/**
 * How search terms are spelled: the one vocabulary that the index writer (a flushed trace's terms)
 * and the search (a query's terms) share, so the two can never disagree.
 *
 *   s␟service              a trace with a span of this service
 *   o␟service␟operation    ... with a span of this service and operation
 *   t␟key␟value            ... with a span (or its resource) whose attribute has this value
 *   d␟threshold            ... whose duration reaches this many µs (a few fixed thresholds)
 *   v␟duration␟since       not a posting: marks when duration terms began to be written (below)
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

/**
 * Duration thresholds, µs. A trace has a `d` term for each one its duration reaches, so that a
 * selective `minDuration` walks the postings of the largest threshold below it instead of every
 * trace in the window. Durations are log-normal in practice: most traces reach none or only the
 * first, so these add a fraction of a row per trace.
 */
export const DURATION_THRESHOLDS_US = [100_000, 1_000_000, 10_000_000, 60_000_000] as const;

export const durationTerm = (thresholdUs: number) => `d${SEP}${thresholdUs}`;

/** The duration terms of a trace that lasted `durationUs`. */
export function durationTerms(durationUs: number): string[] {
  return DURATION_THRESHOLDS_US.filter((t) => durationUs >= t).map(durationTerm);
}

/** The term of the largest threshold at or below `minDurationUs`, or null when it is below them all. */
export function minDurationTerm(minDurationUs: number | undefined): string | null {
  if (minDurationUs === undefined) return null;
  const below = DURATION_THRESHOLDS_US.filter((t) => t <= minDurationUs);
  return below.length > 0 ? durationTerm(below[below.length - 1]!) : null;
}

/**
 * Traces indexed before duration terms existed have none, so a search may only drive by them in a
 * window that starts after every trace in it was written with them. The vocabulary keeps that
 * moment as one marker term `v␟duration␟<µs, 16 digits>`, written by the first index write that
 * writes duration terms: 0 when the index held no trace yet, else the time of that write.
 */
export const DURATION_MARKER_PREFIX = `v${SEP}duration${SEP}`;
/** The half-open range [from, to) of marker terms (there is one once duration terms are written). */
export const durationMarkerRange = { from: DURATION_MARKER_PREFIX, to: `v${SEP}duration\u0020` };
export const durationMarkerTerm = (sinceUs: number) => `${DURATION_MARKER_PREFIX}${String(Math.max(0, Math.floor(sinceUs))).padStart(16, '0')}`;

/**
 * How long after the marker a window must start before duration terms are used: the time for every
 * writer of the previous version to stop (a deploy reaching every Durable Object, a flush in flight).
 */
export const DURATION_MARKER_MARGIN_US = 86_400_000_000;

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
