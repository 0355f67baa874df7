import { describe, expect, it } from 'vitest';
import { SpanKind } from '../span/model';
import { histogramTotal } from './histogram';
import { MINUTE_MS, RedAggregate } from './red-aggregate';
import { testSpan } from './test-spans';

const T0 = 1_767_225_600_000; // a minute boundary

describe('RED aggregate', () => {
  it('counts every span per minute, service, operation and kind, with errors and min/max', () => {
    const agg = new RedAggregate();
    agg.addSpan(testSpan({ durationMs: 10 }), T0 + 1000);
    agg.addSpan(testSpan({ durationMs: 30, error: true }), T0 + 2000);
    agg.addSpan(testSpan({ durationMs: 5, kind: SpanKind.CLIENT }), T0 + 3000);
    agg.addSpan(testSpan({ durationMs: 7 }), T0 + MINUTE_MS);
    const groups = [...agg.groups.values()];
    expect(groups).toHaveLength(3);
    const server = groups.find((g) => g.spanKind === 'server' && g.minute === T0 / MINUTE_MS)!;
    expect(server).toMatchObject({ service: 'checkout', operation: 'GET /cart', calls: 2, errors: 1, minNs: 10e6, maxNs: 30e6 });
    expect(histogramTotal(server.hist)).toBe(2);
    expect(groups.find((g) => g.spanKind === 'client')).toMatchObject({ calls: 1, errors: 0 });
  });

  it('registers each instance once with first and last seen, host and SDK', () => {
    const agg = new RedAggregate();
    agg.addSpan(testSpan({ instance: 'i-1', host: 'h1' }), T0 + 5);
    agg.addSpan(testSpan({ instance: 'i-1', host: 'h1' }), T0 + 90_000);
    agg.addSpan(testSpan({ instance: 'i-2', host: 'h2' }), T0 + 10);
    expect([...agg.instances.values()]).toEqual([
      { service: 'checkout', id: 'i-1', host: 'h1', sdk: 'opentelemetry nodejs 2.12.1', firstSeenMs: T0 + 5, lastSeenMs: T0 + 90_000 },
      { service: 'checkout', id: 'i-2', host: 'h2', sdk: 'opentelemetry nodejs 2.12.1', firstSeenMs: T0 + 10, lastSeenMs: T0 + 10 },
    ]);
  });

  it('survives the trip through deltas unchanged, split by minute', () => {
    const agg = new RedAggregate();
    for (let i = 0; i < 50; i++) agg.addSpan(testSpan({ durationMs: i + 1, error: i % 7 === 0, name: `op${i % 3}` }), T0 + i * 3000);
    const deltas = agg.toDeltas();
    expect(deltas.map((d) => d.minute)).toEqual([T0 / MINUTE_MS, T0 / MINUTE_MS + 1, T0 / MINUTE_MS + 2]);
    const back = new RedAggregate();
    for (const d of JSON.parse(JSON.stringify(deltas))) back.addDelta(d);
    expect([...back.groups.values()]).toEqual([...agg.groups.values()]);
    expect([...back.instances.values()]).toEqual([...agg.instances.values()]);
  });

  it('adds deltas up: merging halves equals aggregating the whole', () => {
    const spans = Array.from({ length: 40 }, (_, i) => testSpan({ durationMs: (i * 37) % 200, error: i % 5 === 0, service: i % 2 ? 'cart' : 'checkout' }));
    const whole = new RedAggregate();
    const a = new RedAggregate();
    const b = new RedAggregate();
    spans.forEach((s, i) => {
      whole.addSpan(s, T0 + i);
      (i < 20 ? a : b).addSpan(s, T0 + i);
    });
    const merged = new RedAggregate();
    for (const d of [...a.toDeltas(), ...b.toDeltas()]) merged.addDelta(d);
    expect(new Map([...merged.groups].sort())).toEqual(new Map([...whole.groups].sort()));
  });

  it('takes host and SDK from the latest report of an instance', () => {
    const agg = new RedAggregate();
    agg.addInstance({ service: 's', id: 'i', host: 'old', sdk: 'v1', firstSeenMs: 10, lastSeenMs: 20 });
    agg.addInstance({ service: 's', id: 'i', host: 'new', sdk: 'v2', firstSeenMs: 30, lastSeenMs: 40 });
    agg.addInstance({ service: 's', id: 'i', host: 'stale', sdk: 'v0', firstSeenMs: 5, lastSeenMs: 6 });
    expect([...agg.instances.values()]).toEqual([{ service: 's', id: 'i', host: 'new', sdk: 'v2', firstSeenMs: 5, lastSeenMs: 40 }]);
  });
});
