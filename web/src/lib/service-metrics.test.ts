import { describe, expect, it } from 'vitest';
import { byService, formatRate, formatRatio, metricsUrl, serviceRed, stepFor } from './service-metrics';
import { searchLink, readServicesState, writeServicesState } from './services-state';

describe('metricsUrl', () => {
  it('asks for every service at once, one point per step, each covering its step', () => {
    const u = new URL(metricsUrl('latencies', ['a', 'b c'], 3_600_000, 1_700_000_000_000, 0.99), 'http://x');
    expect(u.pathname).toBe('/api/metrics/latencies');
    expect(u.searchParams.getAll('service')).toEqual(['a', 'b c']);
    expect(Object.fromEntries([...u.searchParams].filter(([k]) => k !== 'service' && k !== 'spanKind'))).toEqual({
      endTs: '1700000000000', lookback: '3600000', step: '60000', ratePer: '60000', quantile: '0.99',
    });
    expect(new URL(metricsUrl('calls', ['a'], 900_000, 0), 'http://x').searchParams.has('quantile')).toBe(false);
  });
  it('asks for server and consumer spans, so a queue worker has a rate too', () => {
    for (const kind of ['calls', 'errors', 'latencies'] as const)
      expect(new URL(metricsUrl(kind, ['a'], 900_000, 0, 0.5), 'http://x').searchParams.getAll('spanKind')).toEqual(['server', 'consumer']);
  });
  it('steps by whole minutes, about 60 points per lookback', () => {
    expect([stepFor(900_000), stepFor(3_600_000), stepFor(21_600_000), stepFor(86_400_000)]).toEqual([60_000, 60_000, 360_000, 1_440_000]);
  });
});

describe('serviceRed', () => {
  const latency = { 0.5: [{ t: 1, v: 4 }], 0.95: [{ t: 1, v: 9 }, { t: 2, v: 12 }], 0.99: [] };
  it('averages the rate, weighs the error ratio by calls, and takes the latest latency', () => {
    const r = serviceRed(
      [{ t: 1, v: 10 }, { t: 2, v: 30 }],
      [{ t: 1, v: 0.5 }, { t: 2, v: 0.1 }],
      latency,
    );
    expect(r.rate).toBe(20);
    expect(r.errorRatio).toBeCloseTo((0.5 * 10 + 0.1 * 30) / 40);
    expect(r.latest).toEqual({ 0.5: 4, 0.95: 12, 0.99: null });
  });
  it('has no figures without points', () => {
    expect(serviceRed([], [], { 0.5: [], 0.95: [], 0.99: [] })).toMatchObject({ rate: null, errorRatio: null });
  });
  it('groups series by their service_name label', () => {
    const m = byService([{ labels: { service_name: 'a' }, points: [{ t: 1, v: 2 }] }, { labels: { operation: 'x' }, points: [] }]);
    expect([...m.keys()]).toEqual(['a']);
  });
});

describe('formatting', () => {
  it('writes rates and ratios short', () => {
    expect([null, 0, 0.0166, 0.5, 3.456, 42.42, 420.4, 4520].map(formatRate)).toEqual(['–', '0/s', '0.017/s', '0.5/s', '3.46/s', '42.4/s', '420/s', '4.5k/s']);
    expect([null, 0, 0.0005, 0.025, 1].map(formatRatio)).toEqual(['–', '0%', '0.05%', '2.5%', '100%']);
  });
});

describe('services page state', () => {
  it('reads and writes lookback and the open service, leaving defaults out', () => {
    expect(readServicesState(new URLSearchParams('lookback=6h&service=checkout'))).toEqual({ lookback: '6h', service: 'checkout' });
    expect(readServicesState(new URLSearchParams('lookback=5y'))).toEqual({ lookback: '1h', service: null });
    expect(writeServicesState({ lookback: '1h', service: null })).toBe('');
    expect(writeServicesState({ lookback: '24h', service: 'a b' })).toBe('?lookback=24h&service=a+b');
  });
  it('links to the search, filled in', () => {
    expect(searchLink('checkout', '1h')).toBe('/?service=checkout');
    expect(searchLink('checkout', '24h', { operation: 'PlaceOrder', errorsOnly: true })).toBe('/?service=checkout&operation=PlaceOrder&lookback=1d&error=true');
  });
});
