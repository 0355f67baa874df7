/**
 * A search request, parsed and validated: what `/api/traces` (the Jaeger API) and `/api/search`
 * (the site's native summaries) both ask of the index. Pure: query string in, SearchQuery out, or
 * a 400 naming the parameter.
 *
 * Filters apply to the trace: it has a span of `service` (and `operation`), its spans or their
 * resources carry every tag, it started inside the window and its duration is within bounds.
 */
import { ApiError } from '../http-error';
import { decodeCursor, type Cursor } from './cursor';
import { parseDurationParam, parseLimit, parseLookback, parseMicros, parseTags, type TagFilter } from './jaeger-params';

export interface SearchQuery {
  service?: string;
  operation?: string;
  tags: TagFilter[];
  /** inclusive window on the trace start, µs */
  startUs: number;
  endUs: number;
  /** inclusive bounds on the trace duration, µs */
  minDurationUs?: number;
  maxDurationUs?: number;
  limit: number;
  cursor?: Cursor;
}

export interface SearchQueryOptions {
  /** now, in µs */
  nowUs: number;
  defaultLimit: number;
  indexedTagKeys: readonly string[];
  /** the native API: `error=true` and `cursor` */
  native: boolean;
}

/** Jaeger's default window when neither `start` nor `lookback` is given. */
export const DEFAULT_LOOKBACK_US = 2 * 86_400_000_000;

/** One value per parameter; empty counts as absent, as in Jaeger. */
function one(p: URLSearchParams, name: string): string | undefined {
  const v = p.get(name);
  return v === null || v === '' ? undefined : v;
}

export function parseSearchQuery(p: URLSearchParams, opts: SearchQueryOptions): SearchQuery {
  const service = one(p, 'service');
  const operation = one(p, 'operation');
  if (operation !== undefined && service === undefined) throw new ApiError(400, 'parameter operation: needs a service', 'operation');

  const tags = parseTags(p.getAll('tag').filter((t) => t !== ''), p.getAll('tags').filter((t) => t !== ''));
  if (opts.native) {
    const error = one(p, 'error');
    if (error !== undefined && error !== 'true' && error !== 'false') throw new ApiError(400, `parameter error: must be true or false, got ${JSON.stringify(error)}`, 'error');
    if (error === 'true' && !tags.some((t) => t.key === 'error')) tags.push({ key: 'error', value: 'true', param: 'error' });
  }
  const indexed = new Set(opts.indexedTagKeys);
  for (const t of tags) {
    if (!indexed.has(t.key))
      throw new ApiError(400, `parameter ${t.param}: ${JSON.stringify(t.key)} is not an indexed key; searchable keys are ${opts.indexedTagKeys.join(', ')} (add more with INDEXED_TAG_KEYS)`, t.param);
  }

  const endRaw = one(p, 'end');
  const endUs = endRaw === undefined ? opts.nowUs : parseMicros('end', endRaw);
  const startRaw = one(p, 'start');
  const lookbackRaw = one(p, 'lookback');
  let startUs: number;
  if (startRaw !== undefined) startUs = parseMicros('start', startRaw);
  // `custom` is what the Jaeger UI and Grafana send beside an explicit start and end.
  else if (lookbackRaw !== undefined && lookbackRaw !== 'custom') startUs = Math.max(0, endUs - parseLookback(lookbackRaw));
  else startUs = Math.max(0, endUs - DEFAULT_LOOKBACK_US);
  if (startUs > endUs) throw new ApiError(400, `parameter end: ${endUs} is before start ${startUs}`, 'end');

  const q: SearchQuery = { tags, startUs, endUs, limit: opts.defaultLimit };
  if (service !== undefined) q.service = service;
  if (operation !== undefined) q.operation = operation;

  const minRaw = one(p, 'minDuration');
  const maxRaw = one(p, 'maxDuration');
  // Durations are kept in whole µs: a trace of 1.5 µs is stored as 1 µs.
  if (minRaw !== undefined) q.minDurationUs = Math.ceil(parseDurationParam('minDuration', minRaw).ns / 1000);
  if (maxRaw !== undefined) q.maxDurationUs = Math.floor(parseDurationParam('maxDuration', maxRaw).ns / 1000);
  if (q.minDurationUs !== undefined && q.maxDurationUs !== undefined && q.maxDurationUs < q.minDurationUs)
    throw new ApiError(400, `parameter maxDuration: ${maxRaw} is shorter than minDuration ${minRaw}`, 'maxDuration');

  const limitRaw = one(p, 'limit');
  if (limitRaw !== undefined) q.limit = parseLimit(limitRaw);
  if (opts.native) {
    const cursorRaw = one(p, 'cursor');
    if (cursorRaw !== undefined) q.cursor = decodeCursor(cursorRaw);
  }
  return q;
}
