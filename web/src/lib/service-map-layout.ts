/**
 * The service map's picture: services as boxes in layers from callers (left) to callees (right),
 * edges as curves labelled with their request rate and error ratio. Layers come from the longest
 * call chain reaching a service once cycles are broken (services do call each other back); the
 * order within a layer follows the average place of each box's neighbours (barycenter sweeps),
 * which keeps edges from crossing on the usual maps of a few dozen services.
 */
import type { MapEdge } from './services-validate';

export const MAP_NODE_W = 168;
export const MAP_NODE_H = 44;
const GAP_X = 110;
const GAP_Y = 26;

export interface MapNode {
  id: string;
  layer: number;
  x: number;
  y: number;
  /** calls into it per second (from the edges) */
  inRate: number;
  /** share of those calls that failed (null: not known) */
  inErrorRatio: number | null;
}

export interface MapLink {
  parent: string;
  child: string;
  /** calls per second */
  rate: number;
  /** errors / calls (null: the endpoint does not count errors) */
  errorRatio: number | null;
  p95: number | null;
  /** an SVG path from the caller's right side to the callee's left side (or around, going back) */
  d: string;
  labelX: number;
  labelY: number;
  /** goes right to left: a call back up the layers, or a service calling itself */
  back: boolean;
}

export interface ServiceMapLayout {
  nodes: MapNode[];
  links: MapLink[];
  width: number;
  height: number;
}

/**
 * `services` lists every service to show (the registry's, so that a service nobody calls is on
 * the map too); services only named by edges are added. Rates are per second over `lookbackMs`.
 */
export function layoutServiceMap(edges: readonly MapEdge[], services: readonly string[], lookbackMs: number): ServiceMapLayout {
  const ids = [...new Set([...services, ...edges.flatMap((e) => [e.parent, e.child])])].sort();
  const out = new Map<string, string[]>(ids.map((id) => [id, []]));
  const inc = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const e of edges) {
    if (e.parent === e.child) continue;
    out.get(e.parent)!.push(e.child);
    inc.get(e.child)!.push(e.parent);
  }

  // Break cycles: a depth-first search from the services nobody calls (then any left) marks the
  // edges that close a loop; they are drawn as calls going back and do not count for layers.
  const back = new Set<string>();
  const state = new Map<string, 1 | 2>();
  const starts = [...ids.filter((id) => inc.get(id)!.length === 0), ...ids];
  for (const start of starts) {
    if (state.has(start)) continue;
    const stack: Array<[string, number]> = [[start, 0]];
    state.set(start, 1);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const kids = out.get(top[0])!;
      if (top[1] >= kids.length) {
        state.set(top[0], 2);
        stack.pop();
        continue;
      }
      const c = kids[top[1]++]!;
      const s = state.get(c);
      if (s === 1) back.add(`${top[0]}\u0000${c}`);
      else if (s === undefined) {
        state.set(c, 1);
        stack.push([c, 0]);
      }
    }
  }
  const forward = (p: string, c: string) => p !== c && !back.has(`${p}\u0000${c}`);

  // Layer: the longest chain of forward calls that reaches the service (Kahn's order).
  const layer = new Map<string, number>(ids.map((id) => [id, 0]));
  const pending = new Map<string, number>(ids.map((id) => [id, inc.get(id)!.filter((p) => forward(p, id)).length]));
  const queue = ids.filter((id) => pending.get(id) === 0);
  for (let q = 0; q < queue.length; q++) {
    const p = queue[q]!;
    for (const c of out.get(p)!) {
      if (!forward(p, c)) continue;
      layer.set(c, Math.max(layer.get(c)!, layer.get(p)! + 1));
      pending.set(c, pending.get(c)! - 1);
      if (pending.get(c) === 0) queue.push(c);
    }
  }

  const layers: string[][] = [];
  for (const id of ids) (layers[layer.get(id)!] ??= []).push(id);
  // Barycenter sweeps: down the layers by callers' places, then up by callees' places.
  const place = new Map<string, number>();
  const setPlaces = (l: string[]) => l.forEach((id, i) => place.set(id, i));
  layers.forEach(setPlaces);
  const sweep = (l: string[], neighbours: (id: string) => string[]) => {
    const key = new Map(
      l.map((id) => {
        const ns = neighbours(id).filter((n) => place.has(n) && layer.get(n) !== layer.get(id));
        return [id, ns.length ? ns.reduce((a, n) => a + place.get(n)!, 0) / ns.length : place.get(id)!];
      }),
    );
    l.sort((a, b) => key.get(a)! - key.get(b)! || (a < b ? -1 : 1));
    setPlaces(l);
  };
  for (let round = 0; round < 2; round++) {
    for (let k = 1; k < layers.length; k++) sweep(layers[k]!, (id) => inc.get(id)!);
    for (let k = layers.length - 2; k >= 0; k--) sweep(layers[k]!, (id) => out.get(id)!);
  }

  const tallest = Math.max(0, ...layers.map((l) => l.length));
  const height = tallest * MAP_NODE_H + Math.max(0, tallest - 1) * GAP_Y;
  const seconds = Math.max(1, lookbackMs / 1000);
  const inCalls = new Map<string, { calls: number; errors: number | null }>();
  for (const e of edges) {
    const a = inCalls.get(e.child) ?? { calls: 0, errors: 0 };
    a.calls += e.callCount;
    a.errors = a.errors === null || e.errorCount === null ? null : a.errors + e.errorCount;
    inCalls.set(e.child, a);
  }
  const nodes: MapNode[] = [];
  const at = new Map<string, MapNode>();
  layers.forEach((l, k) => {
    // Each layer is centred vertically, so short layers sit beside the middle of tall ones.
    const top = (height - (l.length * MAP_NODE_H + Math.max(0, l.length - 1) * GAP_Y)) / 2;
    l.forEach((id, i) => {
      const c = inCalls.get(id);
      const n: MapNode = {
        id,
        layer: k,
        x: k * (MAP_NODE_W + GAP_X),
        y: top + i * (MAP_NODE_H + GAP_Y),
        inRate: c ? c.calls / seconds : 0,
        inErrorRatio: c && c.errors !== null && c.calls > 0 ? c.errors / c.calls : null,
      };
      nodes.push(n);
      at.set(id, n);
    });
  });

  const links = edges.map((e): MapLink => {
    const p = at.get(e.parent)!;
    const c = at.get(e.child)!;
    const rate = e.callCount / seconds;
    const errorRatio = e.errorCount === null || e.callCount === 0 ? null : e.errorCount / e.callCount;
    const base = { parent: e.parent, child: e.child, rate, errorRatio, p95: e.p95 };
    if (p === c) {
      // A service calling itself: a loop above its box.
      const x = p.x + MAP_NODE_W / 2;
      const d = `M${x - 20},${p.y} C${x - 30},${p.y - 34} ${x + 30},${p.y - 34} ${x + 20},${p.y}`;
      return { ...base, d, labelX: x, labelY: p.y - 30, back: true };
    }
    const y1 = p.y + MAP_NODE_H / 2;
    const y2 = c.y + MAP_NODE_H / 2;
    if (c.layer > p.layer) {
      const x1 = p.x + MAP_NODE_W;
      const x2 = c.x;
      const mx = (x1 + x2) / 2;
      return { ...base, d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`, labelX: mx, labelY: (y1 + y2) / 2 - 5, back: false };
    }
    // A call back (or within a layer): from the caller's bottom, under the boxes, to the callee's bottom.
    const x1 = p.x + MAP_NODE_W / 2;
    const x2 = c.x + MAP_NODE_W / 2;
    const yb = Math.max(p.y, c.y) + MAP_NODE_H + GAP_Y * 0.8;
    return { ...base, d: `M${x1},${p.y + MAP_NODE_H} C${x1},${yb} ${x2},${yb} ${x2},${c.y + MAP_NODE_H}`, labelX: (x1 + x2) / 2, labelY: yb + 4, back: true };
  });

  return { nodes, links, width: layers.length ? layers.length * MAP_NODE_W + (layers.length - 1) * GAP_X : 0, height: height + (links.some((l) => l.back) ? GAP_Y * 2 : 0) };
}
