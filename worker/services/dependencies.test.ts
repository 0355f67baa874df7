import { describe, expect, it } from 'vitest';
import { SpanKind } from '../span/model';
import { bucketOf, histogramTotal } from './histogram';
import { contributionDiff, contributions, DependencyAccumulator, EDGE_BUCKET_MS, edgeKey } from './dependencies';
import { testSpan } from './test-spans';

const peer = (v: string) => [{ key: 'peer.service', value: { stringValue: v } }];

/** gateway SERVER → gateway CLIENT → auth SERVER → auth CLIENT (db, peer.service=postgres) */
function profileTrace(opts: { authFails?: boolean } = {}) {
  return [
    testSpan({ service: 'gateway', spanId: 'a'.repeat(16), kind: SpanKind.SERVER, durationMs: 100 }),
    testSpan({ service: 'gateway', spanId: 'b'.repeat(16), parentSpanId: 'a'.repeat(16), kind: SpanKind.CLIENT, durationMs: 80 }),
    testSpan({ service: 'auth', spanId: 'c'.repeat(16), parentSpanId: 'b'.repeat(16), kind: SpanKind.SERVER, durationMs: 60, error: opts.authFails }),
    testSpan({ service: 'auth', spanId: 'd'.repeat(16), parentSpanId: 'c'.repeat(16), kind: SpanKind.CLIENT, durationMs: 20, attributes: peer('postgres') }),
  ];
}

function edgesOf(spans: ReturnType<typeof profileTrace>) {
  const acc = new DependencyAccumulator();
  for (const s of spans) acc.add(s);
  return acc.edges();
}

describe('dependency edges of a trace', () => {
  it('links caller to callee across services, and to an uninstrumented peer.service', () => {
    const edges = edgesOf(profileTrace());
    expect([...edges.keys()].sort()).toEqual([edgeKey('auth', 'postgres'), edgeKey('gateway', 'auth')]);
    const call = edges.get(edgeKey('gateway', 'auth'))!;
    expect(call).toMatchObject({ calls: 1, errors: 0 });
    // the latency is what the caller's CLIENT span waited, not the callee's own time
    expect([...call.hist.keys()]).toEqual([bucketOf(80e6)]);
  });

  it('does not depend on the order the spans arrive in', () => {
    const spans = profileTrace();
    const forward = edgesOf(spans);
    const backward = edgesOf([...spans].reverse());
    expect(backward).toEqual(forward);
  });

  it('counts a failed callee as a failed call', () => {
    expect(edgesOf(profileTrace({ authFails: true })).get(edgeKey('gateway', 'auth'))).toMatchObject({ calls: 1, errors: 1 });
  });

  it('ignores calls inside a service and peer.service once the callee answered', () => {
    const spans = [
      testSpan({ service: 'a', spanId: '1'.repeat(16), kind: SpanKind.CLIENT, attributes: peer('b') }),
      testSpan({ service: 'b', spanId: '2'.repeat(16), parentSpanId: '1'.repeat(16), kind: SpanKind.SERVER }),
      testSpan({ service: 'b', spanId: '3'.repeat(16), parentSpanId: '2'.repeat(16), kind: SpanKind.INTERNAL }),
    ];
    const edges = edgesOf(spans);
    expect([...edges.keys()]).toEqual([edgeKey('a', 'b')]);
    expect(edges.get(edgeKey('a', 'b'))!.calls).toBe(1);
  });

  it('counts a failed CLIENT span without an answer as a failed call to its peer', () => {
    const edges = edgesOf([testSpan({ service: 'cart', kind: SpanKind.CLIENT, error: true, attributes: peer('redis') })]);
    expect(edges.get(edgeKey('cart', 'redis'))).toMatchObject({ calls: 1, errors: 1 });
  });

  it('counts every call of a fan-out and skips spans seen twice', () => {
    const root = testSpan({ service: 'api', spanId: 'f'.repeat(16), kind: SpanKind.SERVER });
    const children = Array.from({ length: 5 }, (_, i) => testSpan({ service: 'worker', spanId: `e${i}`.padEnd(16, '0'), parentSpanId: root.spanId, kind: SpanKind.CONSUMER }));
    const acc = new DependencyAccumulator();
    for (const s of [root, ...children, ...children]) acc.add(s);
    const e = acc.edges().get(edgeKey('api', 'worker'))!;
    expect(e.calls).toBe(5);
    expect(histogramTotal(e.hist)).toBe(5);
  });
});

describe('edge contributions of a re-flushed trace', () => {
  const B = 1_767_225_600_000;
  it('weights a trace by its adjusted count', () => {
    const [c] = contributions(edgesOf(profileTrace()), B, 1000).filter((x) => x.child === 'auth');
    expect(c).toMatchObject({ bucketMs: B, calls: 1000, errors: 0 });
    expect(histogramTotal(c!.hist)).toBe(1000);
  });

  it('adds only what late spans changed, and nothing for an identical re-flush', () => {
    const before = contributions(edgesOf(profileTrace().slice(0, 3)), B, 10);
    const after = contributions(edgesOf(profileTrace()), B, 10);
    expect(contributionDiff(after, after)).toEqual([]);
    const diff = contributionDiff(after, before);
    expect(diff.map((d) => [d.parent, d.child, d.calls])).toEqual([['auth', 'postgres', 10]]);
  });

  it('moves the edges when the trace moves to another bucket', () => {
    const edges = edgesOf(profileTrace());
    const diff = contributionDiff(contributions(edges, B + EDGE_BUCKET_MS, 1), contributions(edges, B, 1));
    expect(diff.map((d) => [d.bucketMs - B, d.calls]).sort()).toEqual([
      [0, -1],
      [0, -1],
      [EDGE_BUCKET_MS, 1],
      [EDGE_BUCKET_MS, 1],
    ]);
  });
});
