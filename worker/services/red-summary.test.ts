import { describe, expect, it } from 'vitest';
import { addToHistogram } from './histogram';
import type { MetricGroup } from './red-aggregate';
import { operationSummary } from './red-summary';

const M0 = 29_453_760;

function group(over: Partial<MetricGroup> & { durationsMs: number[] }): MetricGroup {
  const hist = new Map();
  const d = over.durationsMs;
  for (const ms of d) addToHistogram(hist, ms * 1e6);
  return { service: 'checkout', operation: 'GET /cart', spanKind: 'server', minute: M0, calls: d.length, errors: 0, minNs: Math.min(...d) * 1e6, maxNs: Math.max(...d) * 1e6, hist, ...over };
}

describe('operation summary', () => {
  it('adds minutes up per operation and kind, busiest first, with percentiles in ms', () => {
    const rows = [
      group({ durationsMs: [10, 20, 30], errors: 1 }),
      group({ durationsMs: [40], minute: M0 + 1 }),
      group({ durationsMs: Array.from({ length: 10 }, () => 5), operation: 'GET /health' }),
      group({ durationsMs: [100], spanKind: 'client' }),
    ];
    const s = operationSummary(rows);
    expect(s.map((r) => [r.operation, r.spanKind, r.calls, r.errors])).toEqual([
      ['GET /health', 'server', 10, 0],
      ['GET /cart', 'server', 4, 1],
      ['GET /cart', 'client', 1, 0],
    ]);
    expect(s[0]).toMatchObject({ p50: 5, p95: 5, p99: 5 });
    expect(s[1]!.p99).toBeLessThanOrEqual(40);
    expect(s[1]!.p50).toBeGreaterThan(10);
  });
});
