import { describe, expect, it } from 'vitest';
import { ApiError } from '../http-error';
import { decodeCursor, encodeCursor } from './cursor';
import { parseGoDuration, parseLimit, parseLookback, parseMicros, parseSpanKind, parseTags } from './jaeger-params';
import { DEFAULT_INDEXED_TAG_KEYS, parseIndexedTagKeys } from './search-config';
import { parseSearchQuery, type SearchQueryOptions } from './search-query';

/** The parameter a thrown 400 names. */
function paramOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof ApiError && e.status === 400) return e.field;
    throw e;
  }
  return undefined;
}

describe('Go durations', () => {
  it('reads every unit and combination time.ParseDuration reads, in ns', () => {
    expect(parseGoDuration('0')).toBe(0);
    expect(parseGoDuration('500ns')).toBe(500);
    expect(parseGoDuration('500us')).toBe(500_000);
    expect(parseGoDuration('500µs')).toBe(500_000);
    expect(parseGoDuration('500μs')).toBe(500_000);
    expect(parseGoDuration('1.2ms')).toBe(1_200_000);
    expect(parseGoDuration('1.1ms')).toBe(1_100_000);
    expect(parseGoDuration('2s')).toBe(2e9);
    expect(parseGoDuration('.5s')).toBe(5e8);
    expect(parseGoDuration('1.s')).toBe(1e9);
    expect(parseGoDuration('1h30m')).toBe(5400e9);
    expect(parseGoDuration('1m0.5s')).toBe(60.5e9);
    expect(parseGoDuration('-1s')).toBe(-1e9);
    expect(parseGoDuration('+3ms')).toBe(3e6);
    expect(parseGoDuration('1.000000001s')).toBe(1_000_000_001);
  });

  it('refuses what Go refuses, saying why', () => {
    for (const bad of ['', '1', '10', 's', '.s', '1.2', '1d', '1x', '1 s', 'ms1', '1s2', '--1s'])
      expect(() => parseGoDuration(bad), bad).toThrow();
    expect(() => parseGoDuration('1d')).toThrow(/unit d/);
  });

  it('lookback also takes days and weeks, in µs', () => {
    expect(parseLookback('1h')).toBe(3_600_000_000);
    expect(parseLookback('2d')).toBe(2 * 86_400_000_000);
    expect(parseLookback('1w')).toBe(7 * 86_400_000_000);
    expect(paramOf(() => parseLookback('0'))).toBe('lookback');
    expect(paramOf(() => parseLookback('-1h'))).toBe('lookback');
    expect(paramOf(() => parseLookback('soon'))).toBe('lookback');
  });
});

describe('other parameters', () => {
  it('times are whole µs, limits 1 to 1500, span kinds by name', () => {
    expect(parseMicros('start', '1780000000000000')).toBe(1_780_000_000_000_000);
    expect(paramOf(() => parseMicros('start', '1.5'))).toBe('start');
    expect(paramOf(() => parseMicros('end', '-1'))).toBe('end');
    expect(paramOf(() => parseMicros('end', '99999999999999999'))).toBe('end');
    expect(parseLimit('1500')).toBe(1500);
    for (const bad of ['0', '1501', '-1', '2.5', 'x']) expect(paramOf(() => parseLimit(bad)), bad).toBe('limit');
    expect(parseSpanKind('SERVER')).toBe('server');
    expect(paramOf(() => parseSpanKind('sideways'))).toBe('spanKind');
  });

  it('tags come from tag=key:value (value may hold colons) and from a JSON object; later wins', () => {
    expect(parseTags(['http.route:/a:b', 'x:1'], ['{"x":"2","n":500,"b":true}'])).toEqual([
      { key: 'http.route', value: '/a:b', param: 'tag' },
      { key: 'x', value: '2', param: 'tags' },
      { key: 'n', value: '500', param: 'tags' },
      { key: 'b', value: 'true', param: 'tags' },
    ]);
    expect(paramOf(() => parseTags(['novalue'], []))).toBe('tag');
    expect(paramOf(() => parseTags([':v'], []))).toBe('tag');
    for (const bad of ['{', '[]', '"s"', 'null', '{"a":null}', '{"a":[1]}', '{"":"x"}']) expect(paramOf(() => parseTags([], [bad])), bad).toBe('tags');
  });

  it('the cursor round-trips and anything else is a 400 naming it', () => {
    for (const c of [
      { startUs: 1_780_000_000_000_000, after: 42 },
      { startUs: 0, after: 'ab'.repeat(16) },
    ])
      expect(decodeCursor(encodeCursor(c))).toEqual(c);
    for (const bad of ['', '!!', 'e30', btoa('[1]'), btoa('[-1,2]'), btoa('[1,"zz"]'), btoa('[1,1.5]')]) expect(paramOf(() => decodeCursor(bad)), bad).toBe('cursor');
  });

  it('INDEXED_TAG_KEYS adds keys to the defaults', () => {
    expect(parseIndexedTagKeys(undefined)).toEqual([...DEFAULT_INDEXED_TAG_KEYS].sort());
    expect(parseIndexedTagKeys(' tenant.id, ,deployment.environment.name ,error')).toEqual([...DEFAULT_INDEXED_TAG_KEYS, 'tenant.id', 'deployment.environment.name'].sort());
    expect(() => parseIndexedTagKeys('a\u001fb')).toThrow(/INDEXED_TAG_KEYS/);
    expect(() => parseIndexedTagKeys(5)).toThrow(/INDEXED_TAG_KEYS/);
  });
});

describe('parseSearchQuery', () => {
  const NOW = 1_780_000_000_000_000;
  const opts: SearchQueryOptions = { nowUs: NOW, defaultLimit: 20, indexedTagKeys: DEFAULT_INDEXED_TAG_KEYS, native: true };
  const parse = (q: string, o: Partial<typeof opts> = {}) => parseSearchQuery(new URLSearchParams(q), { ...opts, ...o });

  it('defaults to the last two days, the default limit and no filter', () => {
    expect(parse('')).toEqual({ tags: [], startUs: NOW - 2 * 86_400_000_000, endUs: NOW, limit: 20 });
  });

  it('start wins over lookback; lookback=custom is ignored; end moves the lookback', () => {
    expect(parse('start=5&lookback=1h')).toMatchObject({ startUs: 5, endUs: NOW });
    expect(parse('lookback=custom&start=7&end=9')).toMatchObject({ startUs: 7, endUs: 9 });
    expect(parse(`lookback=1h&end=${NOW - 1000}`)).toMatchObject({ startUs: NOW - 1000 - 3_600_000_000, endUs: NOW - 1000 });
  });

  it('durations become whole µs, rounded inward', () => {
    expect(parse('minDuration=1500ns&maxDuration=2500ns')).toMatchObject({ minDurationUs: 2, maxDurationUs: 2 });
    expect(parse('minDuration=1.2ms&maxDuration=2s')).toMatchObject({ minDurationUs: 1200, maxDurationUs: 2_000_000 });
  });

  it('error=true is the error tag, only on the native API; cursors only there too', () => {
    expect(parse('error=true').tags).toEqual([{ key: 'error', value: 'true', param: 'error' }]);
    expect(parse('error=false').tags).toEqual([]);
    expect(parse('error=true', { native: false }).tags).toEqual([]);
    expect(parse('cursor=garbage', { native: false }).cursor).toBeUndefined();
  });

  it('a tag on a key that is not indexed is a 400 that names the parameter and lists the keys', () => {
    expect(paramOf(() => parse('tag=customer.id:7'))).toBe('tag');
    expect(() => parse('tags={"customer.id":"7"}')).toThrow(/http\.route/);
    expect(parse('tags={"customer.id":"7"}', { indexedTagKeys: [...DEFAULT_INDEXED_TAG_KEYS, 'customer.id'] }).tags).toHaveLength(1);
  });
});
