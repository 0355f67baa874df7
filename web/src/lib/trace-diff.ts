/**
 * Compare two traces: spans are matched by their call path (service:operation from the root
 * down), so "the same span" means "the same place in the call tree"; each path gets its count and
 * total time in A and in B, and a status saying how it changed.
 */
import type { TraceView } from './trace-model';

export type DiffStatus = 'same' | 'changed' | 'only-a' | 'only-b';

export interface DiffRow {
  /** service:operation segments from the root */
  path: string[];
  depth: number;
  service: string;
  operation: string;
  countA: number;
  countB: number;
  totalA: number;
  totalB: number;
  errorsA: number;
  errorsB: number;
  status: DiffStatus;
}

interface Acc {
  path: string[];
  service: string;
  operation: string;
  count: number;
  total: number;
  errors: number;
  order: number;
}

function byPath(trace: TraceView): Map<string, Acc> {
  const out = new Map<string, Acc>();
  const keys: string[] = [];
  for (const s of trace.spans) {
    // Depth-first order: the parent's key is always computed first.
    const seg = `${s.service}:${s.operation}`;
    const key = s.parent >= 0 ? `${keys[s.parent]}\u0000${seg}` : seg;
    keys.push(key);
    let a = out.get(key);
    if (!a) {
      a = { path: key.split('\u0000'), service: s.service, operation: s.operation, count: 0, total: 0, errors: 0, order: out.size };
      out.set(key, a);
    }
    a.count++;
    a.total += s.duration;
    if (s.error) a.errors++;
  }
  return out;
}

/**
 * A path is 'changed' when its count differs or its total time differs by more than
 * `timeTolerance` (relative, default 10%) — small jitter is not a difference worth showing.
 */
export function diffTraces(a: TraceView, b: TraceView, timeTolerance = 0.1): DiffRow[] {
  const pa = byPath(a);
  const pb = byPath(b);
  const keys = [...new Set([...pa.keys(), ...pb.keys()])];
  // Keep tree order: sort by path so a parent precedes its children, siblings by first sight.
  const order = (k: string) => pa.get(k)?.order ?? 1e9 + (pb.get(k)?.order ?? 0);
  const rows = keys.map((k): DiffRow => {
    const x = pa.get(k);
    const y = pb.get(k);
    const ref = (x ?? y)!;
    const countA = x?.count ?? 0;
    const countB = y?.count ?? 0;
    const totalA = x?.total ?? 0;
    const totalB = y?.total ?? 0;
    let status: DiffStatus;
    if (!x) status = 'only-b';
    else if (!y) status = 'only-a';
    else {
      const base = Math.max(totalA, totalB, 1);
      status = countA !== countB || Math.abs(totalA - totalB) / base > timeTolerance ? 'changed' : 'same';
    }
    return {
      path: ref.path,
      depth: ref.path.length - 1,
      service: ref.service,
      operation: ref.operation,
      countA,
      countB,
      totalA,
      totalB,
      errorsA: x?.errors ?? 0,
      errorsB: y?.errors ?? 0,
      status,
    };
  });
  const rank = new Map(keys.map((k) => [k, order(k)]));
  const keyOf = (r: DiffRow) => r.path.join('\u0000');
  // Order as a tree: compare path prefixes segment by segment using first-sight order.
  const prefixRank = (r: DiffRow, i: number) => rank.get(r.path.slice(0, i + 1).join('\u0000')) ?? 0;
  rows.sort((r1, r2) => {
    const n = Math.min(r1.path.length, r2.path.length);
    for (let i = 0; i < n; i++) {
      const d = prefixRank(r1, i) - prefixRank(r2, i);
      if (d !== 0) return d;
    }
    return r1.path.length - r2.path.length || keyOf(r1).localeCompare(keyOf(r2));
  });
  return rows;
}
