import { describe, expect, it } from 'vitest';
import { emptyQuery, queryFromParams, queryToParams, searchApiUrl } from './search-query';

describe('search query', () => {
  it('round-trips through the page URL', () => {
    const q = { ...emptyQuery(), service: 'api', operation: 'GET /x', tags: ['http.status_code=500', 'a=b=c'], minDuration: '10ms', lookback: '6h', errorsOnly: true, limit: 50 };
    expect(queryFromParams(queryToParams(q))).toEqual(q);
  });
  it('leaves defaults out of the URL', () => {
    expect(queryToParams(emptyQuery()).toString()).toBe('');
  });
  it('builds the API URL with tags as a JSON object', () => {
    const r = searchApiUrl({ ...emptyQuery(), service: 'api', tags: ['k=v', 'a=b=c'], errorsOnly: true });
    expect(r.ok).toBe(true);
    const u = new URL(r.ok ? r.value : '', 'http://x');
    expect(u.pathname).toBe('/api/search');
    expect(JSON.parse(u.searchParams.get('tags')!)).toEqual({ k: 'v', a: 'b=c' });
    expect(u.searchParams.get('lookback')).toBe('1h');
    expect(u.searchParams.get('error')).toBe('true');
    expect(u.searchParams.get('limit')).toBe('20');
  });
  it('names the bad field', () => {
    expect(searchApiUrl({ ...emptyQuery(), minDuration: '10 parsecs' })).toMatchObject({ ok: false, error: { path: 'minDuration' } });
    expect(searchApiUrl({ ...emptyQuery(), tags: ['novalue'] })).toMatchObject({ ok: false, error: { path: 'tags[0]' } });
    expect(searchApiUrl({ ...emptyQuery(), lookback: 'custom', start: 5, end: 1 })).toMatchObject({ ok: false, error: { path: 'end' } });
  });
  it('ignores a malformed limit in the URL', () => {
    expect(queryFromParams(new URLSearchParams('limit=abc')).limit).toBe(20);
  });
});
