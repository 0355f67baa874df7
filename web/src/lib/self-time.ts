/**
 * A span's self time: its duration less the time covered by at least one child (children that
 * overlap count once, the part of a child outside its parent counts not at all).
 */
import type { TraceView } from './trace-model';

export function selfTime(trace: TraceView, index: number): number {
  const s = trace.spans[index]!;
  const end = s.start + s.duration;
  const iv = s.children
    .map((c) => {
      const k = trace.spans[c]!;
      return [Math.max(s.start, k.start), Math.min(end, k.start + k.duration)] as const;
    })
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let covered = 0;
  let curA = -Infinity;
  let curB = -Infinity;
  for (const [a, b] of iv) {
    if (a > curB) {
      if (curB > curA) covered += curB - curA;
      curA = a;
      curB = b;
    } else if (b > curB) curB = b;
  }
  if (curB > curA) covered += curB - curA;
  return Math.max(0, s.duration - covered);
}
