import { describe, expect, it } from 'vitest';
import { layoutServiceMap, MAP_NODE_H, MAP_NODE_W } from './service-map-layout';
import type { MapEdge } from './services-validate';

const edge = (parent: string, child: string, callCount = 60, errorCount: number | null = 0): MapEdge => ({ parent, child, callCount, errorCount, p50: null, p95: null });
const layerOf = (l: ReturnType<typeof layoutServiceMap>) => Object.fromEntries(l.nodes.map((n) => [n.id, n.layer]));

describe('layoutServiceMap', () => {
  it('puts callers left of callees, by the longest chain that reaches each', () => {
    const l = layoutServiceMap([edge('frontend', 'checkout'), edge('checkout', 'payments'), edge('frontend', 'payments'), edge('payments', 'postgres')], [], 60_000);
    expect(layerOf(l)).toEqual({ frontend: 0, checkout: 1, payments: 2, postgres: 3 });
    for (const k of l.links) expect(k.back).toBe(false);
    expect(l.width).toBe(4 * MAP_NODE_W + 3 * 110);
  });

  it('shows registry services that no edge names, alone in the first layer', () => {
    const l = layoutServiceMap([edge('a', 'b')], ['batch-job', 'a', 'b'], 60_000);
    expect(layerOf(l)).toEqual({ a: 0, 'batch-job': 0, b: 1 });
  });

  it('labels edges with calls per second and the error ratio, and sums what comes into a service', () => {
    const l = layoutServiceMap([edge('a', 'c', 120, 6), edge('b', 'c', 60, 0), edge('c', 'd', 30, null)], [], 60_000);
    const ac = l.links.find((k) => k.parent === 'a')!;
    expect([ac.rate, ac.errorRatio]).toEqual([2, 0.05]);
    expect(l.links.find((k) => k.parent === 'c')!.errorRatio).toBeNull();
    const c = l.nodes.find((n) => n.id === 'c')!;
    expect([c.inRate, c.inErrorRatio]).toEqual([3, 6 / 180]);
    expect(l.nodes.find((n) => n.id === 'd')!.inErrorRatio).toBeNull();
  });

  it('breaks a cycle and draws the closing call as going back', () => {
    const l = layoutServiceMap([edge('a', 'b'), edge('b', 'c'), edge('c', 'a')], [], 60_000);
    expect(layerOf(l)).toEqual({ a: 0, b: 1, c: 2 });
    expect(l.links.filter((k) => k.back).map((k) => `${k.parent}>${k.child}`)).toEqual(['c>a']);
  });

  it('draws a service calling itself as a loop over its box', () => {
    const l = layoutServiceMap([edge('a', 'a')], [], 60_000);
    expect(l.nodes).toHaveLength(1);
    expect(l.links[0]).toMatchObject({ back: true });
    expect(l.links[0]!.labelY).toBeLessThan(0);
  });

  it('orders a layer by where the callers are, so the edges do not cross', () => {
    // x1 → z2 and x2 → z1: alphabetical order would cross; barycenters put z2 above z1.
    const l = layoutServiceMap([edge('x1', 'z2'), edge('x2', 'z1')], [], 60_000);
    const y = Object.fromEntries(l.nodes.map((n) => [n.id, n.y]));
    expect(y.x1! < y.x2!).toBe(true);
    expect(y.z2! < y.z1!).toBe(true);
  });

  it('centres short layers and is empty without services', () => {
    const l = layoutServiceMap([edge('a', 'b'), edge('a', 'c'), edge('a', 'd')], [], 60_000);
    const a = l.nodes.find((n) => n.id === 'a')!;
    expect(a.y + MAP_NODE_H / 2).toBe(l.height / 2);
    expect(layoutServiceMap([], [], 60_000)).toEqual({ nodes: [], links: [], width: 0, height: 0 });
  });
});
