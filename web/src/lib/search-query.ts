/**
 * The search page's state. It lives in the page URL (so a search is a link), and becomes the
 * `/api/search` request. Both directions are here, with the validation of each field.
 */
import { fail, ok, type Result } from './result';

export interface SearchQuery {
  service: string;
  operation: string;
  /** one `key=value` per entry */
  tags: string[];
  minDuration: string;
  maxDuration: string;
  /** `1h`, `2d`, ... or `custom` (then start/end are used) */
  lookback: string;
  /** µs, only with lookback=custom */
  start: number | null;
  end: number | null;
  errorsOnly: boolean;
  limit: number;
}

export const LOOKBACKS = ['5m', '15m', '1h', '6h', '12h', '1d', '2d', '7d', 'custom'] as const;
export const DEFAULT_LIMIT = 20;

export const emptyQuery = (): SearchQuery => ({
  service: '',
  operation: '',
  tags: [],
  minDuration: '',
  maxDuration: '',
  lookback: '1h',
  start: null,
  end: null,
  errorsOnly: false,
  limit: DEFAULT_LIMIT,
});

const GO_DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;

/** Parse the page URL's search params; anything malformed falls back to the default. */
export function queryFromParams(p: Pick<URLSearchParams, 'get' | 'getAll' | 'has'>): SearchQuery {
  const q = emptyQuery();
  q.service = p.get('service') ?? '';
  q.operation = p.get('operation') ?? '';
  q.tags = p.getAll('tag').filter((t) => t.includes('='));
  q.minDuration = p.get('minDuration') ?? '';
  q.maxDuration = p.get('maxDuration') ?? '';
  const lb = p.get('lookback');
  if (lb && (LOOKBACKS as readonly string[]).includes(lb)) q.lookback = lb;
  const start = Number(p.get('start'));
  const end = Number(p.get('end'));
  if (p.has('start') && Number.isFinite(start)) q.start = start;
  if (p.has('end') && Number.isFinite(end)) q.end = end;
  q.errorsOnly = p.get('error') === 'true';
  const limit = Number(p.get('limit'));
  if (Number.isInteger(limit) && limit > 0 && limit <= 1500) q.limit = limit;
  return q;
}

/** The page URL's search params for a query (defaults left out, so links stay short). */
export function queryToParams(q: SearchQuery): URLSearchParams {
  const p = new URLSearchParams();
  if (q.service) p.set('service', q.service);
  if (q.operation) p.set('operation', q.operation);
  for (const t of q.tags) p.append('tag', t);
  if (q.minDuration) p.set('minDuration', q.minDuration);
  if (q.maxDuration) p.set('maxDuration', q.maxDuration);
  if (q.lookback !== '1h') p.set('lookback', q.lookback);
  if (q.lookback === 'custom') {
    if (q.start !== null) p.set('start', String(q.start));
    if (q.end !== null) p.set('end', String(q.end));
  }
  if (q.errorsOnly) p.set('error', 'true');
  if (q.limit !== DEFAULT_LIMIT) p.set('limit', String(q.limit));
  return p;
}

/** Parse one `key=value` attribute; the first `=` splits, so values may contain `=`. */
export function parseTag(t: string, path: string): Result<[string, string]> {
  const i = t.indexOf('=');
  if (i <= 0) return fail(path, `"${t}" must be key=value`);
  return ok([t.slice(0, i).trim(), t.slice(i + 1).trim()]);
}

/** The `/api/search` URL for a query, or the first field that is wrong. */
export function searchApiUrl(q: SearchQuery, cursor?: string): Result<string> {
  const p = new URLSearchParams();
  if (q.service) p.set('service', q.service);
  if (q.operation) p.set('operation', q.operation);
  if (q.tags.length) {
    const tags: Record<string, string> = {};
    for (const [i, t] of q.tags.entries()) {
      const r = parseTag(t, `tags[${i}]`);
      if (!r.ok) return r;
      tags[r.value[0]] = r.value[1];
    }
    p.set('tags', JSON.stringify(tags));
  }
  for (const f of ['minDuration', 'maxDuration'] as const) {
    const v = q[f].trim();
    if (!v) continue;
    if (!GO_DURATION.test(v)) return fail(f, `"${v}" is not a duration like 250ms, 1.5s or 2m`);
    p.set(f, v);
  }
  if (q.lookback === 'custom') {
    if (q.start === null || q.end === null) return fail('start', 'a custom range needs a start and an end');
    if (q.end < q.start) return fail('end', 'must not be before start');
    p.set('start', String(q.start));
    p.set('end', String(q.end));
  } else {
    p.set('lookback', q.lookback);
  }
  if (q.errorsOnly) p.set('error', 'true');
  p.set('limit', String(q.limit));
  if (cursor) p.set('cursor', cursor);
  return ok(`/api/search?${p}`);
}
