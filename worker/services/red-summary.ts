/**
 * `/api/metrics/summary`: per operation and span kind of one service over the lookback, the exact
 * number of calls and errors the edge received (sampled or not) and latency percentiles in ms.
 */
import { mergeHistogram, quantile, type Histogram } from './histogram';
import type { OperationSummary } from '../api-contract';
import type { MetricGroup } from './red-aggregate';

export type { OperationSummary };

export function operationSummary(groups: Iterable<MetricGroup>): OperationSummary[] {
  const byOp = new Map<string, { operation: string; spanKind: string; calls: number; errors: number; hist: Histogram; min: number | null; max: number | null }>();
  for (const g of groups) {
    const key = `${g.operation}\u0000${g.spanKind}`;
    let o = byOp.get(key);
    if (!o) byOp.set(key, (o = { operation: g.operation, spanKind: g.spanKind, calls: 0, errors: 0, hist: new Map(), min: null, max: null }));
    o.calls += g.calls;
    o.errors += g.errors;
    mergeHistogram(o.hist, g.hist);
    if (g.minNs !== null) o.min = o.min === null ? g.minNs : Math.min(o.min, g.minNs);
    if (g.maxNs !== null) o.max = o.max === null ? g.maxNs : Math.max(o.max, g.maxNs);
  }
  const ms = (ns: number | null): number | null => (ns === null ? null : ns / 1e6);
  return [...byOp.values()]
    .map((o) => ({
      operation: o.operation,
      spanKind: o.spanKind,
      calls: o.calls,
      errors: o.errors,
      p50: ms(quantile(o.hist, 0.5, o.min, o.max)),
      p95: ms(quantile(o.hist, 0.95, o.min, o.max)),
      p99: ms(quantile(o.hist, 0.99, o.min, o.max)),
    }))
    .sort((a, b) => b.calls - a.calls || (a.operation < b.operation ? -1 : a.operation > b.operation ? 1 : a.spanKind < b.spanKind ? -1 : 1));
}
