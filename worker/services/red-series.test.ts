import { describe, expect, it } from 'vitest';
import { addToHistogram } from './histogram';
import { MINUTE_MS, type MetricGroup } from './red-aggregate';
import { metricFamily, pointCount, type SeriesQuery } from './red-series';

const M0 = 29_453_760; // a minute number
const T0 = M0 * MINUTE_MS;

function group(over: Partial<MetricGroup> & { durationsMs?: number[] }): MetricGroup {
  const hist = new Map();
  const d = over.durationsMs ?? [];
  for (const ms of d) addToHistogram(hist, ms * 1e6);
  return {
    service: 'checkout',
    operation: 'GET /cart',
    spanKind: 'server',
    minute: M0,
    calls: d.length,
    errors: 0,
    minNs: d.length ? Math.min(...d) * 1e6 : null,
    maxNs: d.length ? Math.max(...d) * 1e6 : null,
    hist,
    ...over,
  };
}

const q = (over: Partial<SeriesQuery>): SeriesQuery => ({
  kind: 'calls',
  groupByOperation: false,
  endTs: T0 + 10 * MINUTE_MS,
  lookback: 10 * MINUTE_MS,
  step: MINUTE_MS,
  ratePer: 10 * MINUTE_MS,
  now: T0 + 10 * MINUTE_MS,
  ...over,
});

describe('Jaeger monitor API series', () => {
  it('gives calls per second over ratePer, named and labelled as Jaeger does', () => {
    const fam = metricFamily([group({ calls: 600, minute: M0 + 2 }), group({ calls: 600, minute: M0 + 5, operation: 'POST /pay' })], q({}));
    expect(fam).toMatchObject({ name: 'service_call_rate', type: 'GAUGE', help: 'calls/sec, grouped by service' });
    expect(fam.metrics).toHaveLength(1);
    expect(fam.metrics[0]!.labels).toEqual([{ name: 'service_name', value: 'checkout' }]);
    const points = fam.metrics[0]!.metricPoints;
    expect(points).toHaveLength(11);
    expect(points.at(-1)).toEqual({ gaugeValue: { doubleValue: 2 }, timestamp: new Date(T0 + 10 * MINUTE_MS).toISOString() });
    // at T0 + 3 min the window holds only minute M0+2 (600 calls over the 10 minutes looked back)
    expect(points[3]!.gaugeValue.doubleValue).toBe(1);
  });

  it('splits by operation with groupByOperation', () => {
    const fam = metricFamily([group({ calls: 60 }), group({ calls: 60, operation: 'POST /pay' })], q({ groupByOperation: true }));
    expect(fam.name).toBe('service_operation_call_rate');
    expect(fam.metrics.map((m) => m.labels)).toEqual([
      [
        { name: 'operation', value: 'GET /cart' },
        { name: 'service_name', value: 'checkout' },
      ],
      [
        { name: 'operation', value: 'POST /pay' },
        { name: 'service_name', value: 'checkout' },
      ],
    ]);
  });

  it('gives the error share, and no point where there were no calls', () => {
    const fam = metricFamily([group({ calls: 40, errors: 10, minute: M0 + 8 })], q({ kind: 'errors' }));
    expect(fam.name).toBe('service_error_rate');
    const points = fam.metrics[0]!.metricPoints;
    expect(points.map((p) => p.gaugeValue.doubleValue)).toEqual([0.25, 0.25]);
    expect(points[0]!.timestamp).toBe(new Date(T0 + 9 * MINUTE_MS).toISOString());
  });

  it('gives the latency quantile in ms', () => {
    const fam = metricFamily([group({ durationsMs: Array.from({ length: 100 }, () => 250) })], q({ kind: 'latencies', quantile: 0.95 }));
    expect(fam).toMatchObject({ name: 'service_latencies', help: '0.95th quantile latency, grouped by service' });
    expect(fam.metrics[0]!.metricPoints.at(-1)!.gaugeValue.doubleValue).toBe(250);
  });

  it('counts the current minute as far as it has gone', () => {
    const now = T0 + 30_000;
    const fam = metricFamily([group({ calls: 30 })], q({ endTs: now, now, lookback: 0, ratePer: MINUTE_MS }));
    expect(fam.metrics[0]!.metricPoints.map((p) => p.gaugeValue.doubleValue)).toEqual([1]);
  });

  it('gives the absolute rate of a steady service when endTs falls partway through a minute', () => {
    // 1 call/s from M0 − 10 on; at now (5 s into minute M0 + 10) that minute holds 5 calls so far
    const now = T0 + 10 * MINUTE_MS + 5000;
    const steady = Array.from({ length: 21 }, (_, i) => group({ minute: M0 - 10 + i, calls: i === 20 ? 5 : 60 }));
    const rates = (over: Partial<SeriesQuery>) => metricFamily(steady, q({ endTs: now, now, ...over })).metrics[0]!.metricPoints.map((p) => p.gaugeValue.doubleValue);
    // the Services page: endTs = now, step = ratePer = 1 minute
    expect(rates({ step: MINUTE_MS, ratePer: MINUTE_MS })).toEqual(Array.from({ length: 11 }, () => 1));
    // Jaeger's monitor tab: 10-minute rate every minute
    for (const r of rates({ step: MINUTE_MS, ratePer: 10 * MINUTE_MS })) expect(r).toBeCloseTo(1, 12);
    // an endTs in the past, partway through a minute that is over
    expect(rates({ endTs: T0 + 5 * MINUTE_MS + 5000, now: T0 + 60 * MINUTE_MS, lookback: 2 * MINUTE_MS, step: MINUTE_MS, ratePer: MINUTE_MS })).toEqual([1, 1, 1]);
  });

  it('counts points like a range query', () => {
    expect(pointCount({ lookback: 3_600_000, step: 5000 })).toBe(721);
  });
});
