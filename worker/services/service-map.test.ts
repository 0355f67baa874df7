import { describe, expect, it } from 'vitest';
import { addToHistogram, encodeHistogram } from './histogram';
import { dependencyLinks, serviceMapEdges } from './service-map';

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
