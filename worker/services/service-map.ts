/**
 * The service map read from dependency_edges: the Jaeger shape (`/api/dependencies`:
 * `{parent, child, callCount}`) and the native one (`/api/service-map`: with errors and the
 * caller-side latency p50/p95 in ms). Counts are estimates of the real traffic (sampled traces
 * weighted by their adjusted counts), rounded to whole calls.
 */
import { decodeHistogram, mergeHistogram, quantile, type Histogram } from './histogram';
import { edgeKey } from './dependencies';

export interface EdgeRow {
  parent: string;
  child: string;
  calls: number;
  errors: number;
  hist: string;
}

export interface DependencyLink {
  parent: string;
  child: string;
  callCount: number;
}

export interface ServiceMapEdge extends DependencyLink {
  errorCount: number;
  /** caller-side latency percentiles in ms */
  p50: number | null;
  p95: number | null;
}

function sumEdges(rows: Iterable<EdgeRow>): { parent: string; child: string; calls: number; errors: number; hist: Histogram }[] {
  const out = new Map<string, { parent: string; child: string; calls: number; errors: number; hist: Histogram }>();
  for (const r of rows) {
    const key = edgeKey(r.parent, r.child);
    let e = out.get(key);
    if (!e) out.set(key, (e = { parent: r.parent, child: r.child, calls: 0, errors: 0, hist: new Map() }));
    e.calls += r.calls;
    e.errors += r.errors;
    mergeHistogram(e.hist, decodeHistogram(r.hist));
  }
  return [...out.values()].filter((e) => Math.round(e.calls) > 0).sort((a, b) => (a.parent < b.parent ? -1 : a.parent > b.parent ? 1 : a.child < b.child ? -1 : 1));
}

export function dependencyLinks(rows: Iterable<EdgeRow>): DependencyLink[] {
  return sumEdges(rows).map((e) => ({ parent: e.parent, child: e.child, callCount: Math.round(e.calls) }));
}

export function serviceMapEdges(rows: Iterable<EdgeRow>): ServiceMapEdge[] {
  const ms = (ns: number | null): number | null => (ns === null ? null : ns / 1e6);
  return sumEdges(rows).map((e) => ({
    parent: e.parent,
    child: e.child,
    callCount: Math.round(e.calls),
    errorCount: Math.max(0, Math.round(e.errors)),
    p50: ms(quantile(e.hist, 0.5)),
    p95: ms(quantile(e.hist, 0.95)),
  }));
}
