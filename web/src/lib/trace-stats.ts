/**
 * Trace statistics: per service and operation, how many spans, their total and self time, and
 * errors — the table that answers "where did the time go" without reading the waterfall.
 */
import { selfTime } from './self-time';
import type { TraceView } from './trace-model';

export interface StatsRow {
  service: string;
  operation: string;
  count: number;
  errors: number;
  totalUs: number;
  selfUs: number;
  avgUs: number;
  minUs: number;
  maxUs: number;
}

export type StatsSort = 'self' | 'total' | 'count' | 'name';

export function traceStats(trace: TraceView, sort: StatsSort = 'self'): StatsRow[] {
  const rows = new Map<string, StatsRow>();
  for (const s of trace.spans) {
    if (s.placeholder) continue;
    const key = `${s.service}\u0000${s.operation}`;
    let r = rows.get(key);
    if (!r) {
      r = { service: s.service, operation: s.operation, count: 0, errors: 0, totalUs: 0, selfUs: 0, avgUs: 0, minUs: Infinity, maxUs: 0 };
      rows.set(key, r);
    }
    r.count++;
    if (s.error) r.errors++;
    r.totalUs += s.duration;
    r.selfUs += selfTime(trace, s.index);
    r.minUs = Math.min(r.minUs, s.duration);
    r.maxUs = Math.max(r.maxUs, s.duration);
  }
  const out = [...rows.values()].map((r) => ({ ...r, avgUs: r.totalUs / r.count }));
  const byName = (a: StatsRow, b: StatsRow) => a.service.localeCompare(b.service) || a.operation.localeCompare(b.operation);
  const cmp: Record<StatsSort, (a: StatsRow, b: StatsRow) => number> = {
    self: (a, b) => b.selfUs - a.selfUs || byName(a, b),
    total: (a, b) => b.totalUs - a.totalUs || byName(a, b),
    count: (a, b) => b.count - a.count || byName(a, b),
    name: byName,
  };
  return out.sort(cmp[sort]);
}

/** Per service only: the share of the trace's self time each service spent. */
export function serviceSelfTime(trace: TraceView): Array<{ service: string; selfUs: number; count: number }> {
  const m = new Map<string, { service: string; selfUs: number; count: number }>();
  for (const r of traceStats(trace)) {
    const e = m.get(r.service) ?? { service: r.service, selfUs: 0, count: 0 };
    e.selfUs += r.selfUs;
    e.count += r.count;
    m.set(r.service, e);
  }
  return [...m.values()].sort((a, b) => b.selfUs - a.selfUs);
}
