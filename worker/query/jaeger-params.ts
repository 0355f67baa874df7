/**
 * Parsers for the Jaeger query API's parameters, as the Jaeger UI and Grafana send them: Go
 * durations (`1.2ms`, `500us`, `1h30m`), lookbacks (`1h`, `2d`), unix-µs times, limits, and tags
 * (a JSON object in `tags`, or repeated `tag=key:value`). Each failure is a 400 that names the
 * parameter, so a client sees which field to fix.
 */
import { ApiError } from '../http-error';

const bad = (param: string, message: string): ApiError => new ApiError(400, `parameter ${param}: ${message}`, param);

const UNIT_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3, // U+00B5 micro sign
  'μs': 1e3, // U+03BC Greek mu, which Go also accepts
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};
const DAY_UNITS: Record<string, number> = { d: 86_400e9, w: 7 * 86_400e9 };

const PART = /(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h|d|w)/y;

/**
 * A duration in the syntax of Go's time.ParseDuration, in ns: one or more decimal numbers each
 * with a unit, optional sign, or a bare `0`. `withDays` also allows `d` and `w`, which Jaeger's
 * lookback menu uses. Throws a plain Error with the reason.
 */
export function parseGoDuration(raw: string, opts: { withDays?: boolean } = {}): number {
  let s = raw;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw new Error('is empty');
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < s.length) {
    const at = PART.lastIndex;
    const m = PART.exec(s);
    const whole = m?.[1] ?? '';
    const frac = m?.[2] ?? '';
    if (!m || m.index !== at || (whole === '' && frac === '')) throw new Error(`"${raw}" is not a duration like 1.2ms, 500us, 2s or 1h30m`);
    const unit = m[3]!;
    const scale = UNIT_NS[unit] ?? (opts.withDays ? DAY_UNITS[unit] : undefined);
    if (scale === undefined) throw new Error(`"${raw}": unit ${unit} is not one of ns, us, ms, s, m, h`);
    // As Go does: the whole part exactly, the fraction truncated to whole ns (1.1ms is 1100000ns).
    total += Number(whole || '0') * scale;
    if (frac !== '') total += Math.floor(Number(frac) * (scale / 10 ** frac.length));
  }
  return sign * total;
}

/** `minDuration` / `maxDuration` in µs: a non-negative Go duration. */
export function parseDurationParam(param: string, raw: string): { ns: number } {
  let ns: number;
  try {
    ns = parseGoDuration(raw);
  } catch (e) {
    throw bad(param, (e as Error).message);
  }
  if (ns < 0) throw bad(param, `"${raw}" must not be negative`);
  return { ns };
}

/** `lookback` in µs: a Go duration or `2d` / `1w`, as the Jaeger UI and the site send it. */
export function parseLookback(raw: string): number {
  let ns: number;
  try {
    ns = parseGoDuration(raw, { withDays: true });
  } catch (e) {
    throw bad('lookback', (e as Error).message.replace('ns, us, ms, s, m, h', 'ns, us, ms, s, m, h, d, w'));
  }
  if (ns <= 0) throw bad('lookback', `"${raw}" must be longer than zero`);
  return Math.floor(ns / 1000);
}

/** A unix time in µs (`start`, `end`), a whole non-negative number. */
export function parseMicros(param: string, raw: string): number {
  if (!/^\d{1,17}$/.test(raw)) throw bad(param, `"${raw}" must be a unix time in microseconds (a whole number)`);
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw bad(param, `"${raw}" is out of range`);
  return n;
}

export const MAX_LIMIT = 1500;

/** `limit`: a whole number from 1 to MAX_LIMIT. */
export function parseLimit(raw: string): number {
  if (!/^\d{1,6}$/.test(raw)) throw bad('limit', `must be a whole number from 1 to ${MAX_LIMIT}, got ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (n < 1 || n > MAX_LIMIT) throw bad('limit', `must be a whole number from 1 to ${MAX_LIMIT}, got ${JSON.stringify(raw)}`);
  return n;
}

/** A tag filter and the parameter it came from (for the error that names it). */
export interface TagFilter {
  key: string;
  value: string;
  param: 'tag' | 'tags' | 'error';
}

/**
 * Tags from repeated `tag=key:value` (the value may hold more colons) and from `tags={JSON object}`
 * (values strings, or numbers and booleans as Grafana may send them). A later one for the same key
 * wins, as in Jaeger.
 */
export function parseTags(tagParams: readonly string[], tagsParams: readonly string[]): TagFilter[] {
  const out = new Map<string, TagFilter>();
  for (const t of tagParams) {
    const i = t.indexOf(':');
    if (i <= 0) throw bad('tag', `${JSON.stringify(t)} must be key:value`);
    out.set(t.slice(0, i), { key: t.slice(0, i), value: t.slice(i + 1), param: 'tag' });
  }
  for (const raw of tagsParams) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (e) {
      throw bad('tags', `must be a JSON object of key: value, cannot parse ${JSON.stringify(raw)} (${(e as Error).message})`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw bad('tags', `must be a JSON object of key: value, got ${JSON.stringify(raw)}`);
    for (const [key, v] of Object.entries(parsed)) {
      if (key === '') throw bad('tags', 'a key is empty');
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw bad('tags', `the value of ${JSON.stringify(key)} must be a string, number or boolean`);
      out.set(key, { key, value: String(v), param: 'tags' });
    }
  }
  return [...out.values()];
}

export const SPAN_KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;
export type SpanKindName = (typeof SPAN_KINDS)[number];

/** `spanKind` of `/api/operations`: one of Jaeger's kind names. */
export function parseSpanKind(raw: string): SpanKindName {
  const k = raw.toLowerCase();
  if (!(SPAN_KINDS as readonly string[]).includes(k)) throw bad('spanKind', `must be one of ${SPAN_KINDS.join(', ')}, got ${JSON.stringify(raw)}`);
  return k as SpanKindName;
}
