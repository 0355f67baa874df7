/**
 * The trace's call graph: one node per service/operation, one edge per caller→callee pair, with
 * call counts, time and errors; and a layered layout (a node's layer is the shallowest depth it
 * was seen at) that the TraceGraph component draws as SVG.
 */
import type { TraceView } from './trace-model';
import { selfTime } from './self-time';

export interface DagNode {
  id: string;
  service: string;
  operation: string;
  count: number;
  errors: number;
  totalUs: number;
  selfUs: number;
  layer: number;
}

export interface DagEdge {
  from: string;
  to: string;
  count: number;
  errors: number;
}

export interface Dag {
  nodes: DagNode[];
  edges: DagEdge[];
}

const nodeId = (service: string, operation: string) => `${service}::${operation}`;

export function buildDag(trace: TraceView): Dag {
  const nodes = new Map<string, DagNode>();
  const edges = new Map<string, DagEdge>();
  for (const s of trace.spans) {
    const id = nodeId(s.service, s.operation);
    let n = nodes.get(id);
    if (!n) {
      n = { id, service: s.service, operation: s.operation, count: 0, errors: 0, totalUs: 0, selfUs: 0, layer: s.depth };
      nodes.set(id, n);
    }
    n.count++;
    if (s.error) n.errors++;
    n.totalUs += s.duration;
    n.selfUs += selfTime(trace, s.index);
    n.layer = Math.min(n.layer, s.depth);
    if (s.parent >= 0) {
      const p = trace.spans[s.parent]!;
      const from = nodeId(p.service, p.operation);
      const key = `${from}\u0000${id}`;
      const e = edges.get(key) ?? { from, to: id, count: 0, errors: 0 };
      e.count++;
      if (s.error) e.errors++;
      edges.set(key, e);
    }
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()] };
}

export interface PlacedNode extends DagNode {
  x: number;
  y: number;
}

export interface DagLayout {
  nodes: PlacedNode[];
  edges: Array<DagEdge & { x1: number; y1: number; x2: number; y2: number }>;
  width: number;
  height: number;
}

export const NODE_W = 200;
export const NODE_H = 52;

/** Layers left to right; within a layer, nodes in first-seen order (close to call order). */
export function layoutDag(dag: Dag, gapX = 80, gapY = 18): DagLayout {
  const layers = new Map<number, DagNode[]>();
  for (const n of dag.nodes) {
    const l = layers.get(n.layer) ?? [];
    l.push(n);
    layers.set(n.layer, l);
  }
  const layerKeys = [...layers.keys()].sort((a, b) => a - b);
  const placed = new Map<string, PlacedNode>();
  let height = 0;
  layerKeys.forEach((k, col) => {
    const list = layers.get(k)!;
    list.forEach((n, row) => {
      placed.set(n.id, { ...n, x: col * (NODE_W + gapX), y: row * (NODE_H + gapY) });
    });
    height = Math.max(height, list.length * (NODE_H + gapY) - gapY);
  });
  const width = Math.max(0, layerKeys.length * (NODE_W + gapX) - gapX);
  const edges = dag.edges.map((e) => {
    const a = placed.get(e.from)!;
    const b = placed.get(e.to)!;
    return { ...e, x1: a.x + NODE_W, y1: a.y + NODE_H / 2, x2: b.x, y2: b.y + NODE_H / 2 };
  });
  return { nodes: [...placed.values()], edges, width, height };
}
