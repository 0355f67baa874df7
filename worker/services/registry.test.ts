import { describe, expect, it } from 'vitest';
import { buildRegistry } from './registry';
import { dependencyLinks, serviceMapEdges } from './service-map';
import { encodeHistogram, addToHistogram } from './histogram';

describe('registry', () => {
  const now = 10_000_000;
  it('groups instances under their service, live first, gone after the TTL', () => {
    const reg = buildRegistry(
      [{ name: 'cart', firstSeenMs: 100, lastSeenMs: now - 1000 }],
      [
        { service: 'cart', id: 'b', host: 'h2', sdk: 'sdk', firstSeenMs: 100, lastSeenMs: now - 400_000 },
        { service: 'cart', id: 'a', host: 'h1', sdk: 'sdk', firstSeenMs: 200, lastSeenMs: now - 1000 },
        { service: 'api', id: 'x', host: '', sdk: '', firstSeenMs: now - 5, lastSeenMs: now - 5 },
      ],
      now,
      300,
    );
    expect(reg.map((s) => s.service)).toEqual(['api', 'cart']);
    expect(reg[1]!.instances.map((i) => [i.id, i.status])).toEqual([
      ['a', 'live'],
      ['b', 'gone'],
    ]);
    // a service not yet in D1 (only pending) still shows, with its instance's times
    expect(reg[0]).toMatchObject({ service: 'api', firstSeen: now - 5, lastSeen: now - 5 });
  });
});

describe('service map', () => {
  const hist = (ms: number[], w = 1) => {
    const h = new Map();
    for (const x of ms) addToHistogram(h, x * 1e6, w);
    return encodeHistogram(h);
  };
  it('adds buckets up per edge, rounds the weighted counts, drops edges that cancelled out', () => {
    const rows = [
      { parent: 'api', child: 'cart', calls: 1000, errors: 0, hist: hist([20], 1000) },
      { parent: 'api', child: 'cart', calls: 1000, errors: 1000, hist: hist([20], 1000) },
      { parent: 'api', child: 'auth', calls: 0, errors: 0, hist: '{}' },
    ];
    expect(dependencyLinks(rows)).toEqual([{ parent: 'api', child: 'cart', callCount: 2000 }]);
    const [edge] = serviceMapEdges(rows);
    expect(edge).toMatchObject({ parent: 'api', child: 'cart', callCount: 2000, errorCount: 1000 });
    // edges keep no exact min/max: a percentile is good to the width of its bucket (19%)
    for (const p of [edge!.p50!, edge!.p95!]) expect(Math.abs(p / 20 - 1)).toBeLessThan(0.19);
  });
});
