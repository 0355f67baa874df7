/**
 * Assembly step 2: the parent/child tree. A span whose parent never arrived is kept as a root of
 * its own and marked orphan (the trace shows a gap there, as Jaeger warns of an "invalid parent");
 * several roots are allowed. Children are ordered by start time.
 *
 * Traces of 100,000 spans can be a chain 100,000 deep, so nothing here recurses, and the tree is
 * kept in typed arrays (compressed child lists) rather than one object per node. Times become
 * ns offsets from the earliest start as JS numbers: exact while a trace spans under 2^53 ns
 * (about 104 days), and far cheaper than bigint in the per-span loops of the later steps.
 */
import type { Span } from '../worker/span/model';

export interface SpanTree {
  /** the spans, in the order given (indices below refer to it) */
  spans: readonly Span[];
  /** earliest original start, in ns; every offset below is relative to it */
  baseNanos: bigint;
  /** original start and end as ns offsets from `baseNanos` */
  start: Float64Array;
  end: Float64Array;
  /** index of the parent span, -1 for a root, an orphan, or a span whose parent link closed a cycle */
  parent: Int32Array;
  /** 1 when the span names a parent that is not in the trace */
  orphan: Uint8Array;
  /** children of span i are childList[childStart[i] .. childStart[i + 1]), ordered by start */
  childStart: Int32Array;
  childList: Int32Array;
  /** roots (real roots, orphans and cycle breaks), ordered by start */
  roots: number[];
  /** every span once, parents before their children (depth first, children by start) */
  order: Int32Array;
  /** missing parent spanId → how many spans wait for it */
  missingParents: Map<string, number>;
  /** spans whose parent link was ignored because it closed a cycle */
  cycleBreaks: number[];
}

/** Ascending start, then spanId, so that equal starts still give one order. */
function byStart(spans: readonly Span[], start: Float64Array) {
  return (a: number, b: number): number => {
    const d = start[a]! - start[b]!;
    if (d !== 0) return d;
    const ia = spans[a]!.spanId;
    const ib = spans[b]!.spanId;
    return ia < ib ? -1 : ia > ib ? 1 : 0;
  };
}

/** Builds the tree over spans whose spanIds are unique (run `dedupeSpans` first). */
export function buildTree(spans: readonly Span[]): SpanTree {
  const n = spans.length;
  let base = 0n;
  const starts: bigint[] = new Array<bigint>(n);
  for (let i = 0; i < n; i++) {
    const s = BigInt(spans[i]!.startTimeUnixNano);
    starts[i] = s;
    if (i === 0 || s < base) base = s;
  }
  const start = new Float64Array(n);
  const end = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    start[i] = Number(starts[i]! - base);
    end[i] = Number(BigInt(spans[i]!.endTimeUnixNano) - base);
  }

  const index = new Map<string, number>();
  for (let i = 0; i < n; i++) index.set(spans[i]!.spanId, i);

  const parent = new Int32Array(n).fill(-1);
  const orphan = new Uint8Array(n);
  const missingParents = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const pid = spans[i]!.parentSpanId;
    if (pid === undefined) continue;
    const p = index.get(pid);
    if (p === undefined) {
      orphan[i] = 1;
      missingParents.set(pid, (missingParents.get(pid) ?? 0) + 1);
    } else if (p !== i) {
      parent[i] = p;
    }
  }

  // A parent chain that loops back on itself (a span that is its own ancestor) has no root; break
  // every cycle at one span so the traversal below reaches each span exactly once. Colouring walk:
  // 0 unseen, 1 on the current path, 2 done.
  const cycleBreaks: number[] = [];
  for (let i = 0; i < n; i++) if (spans[i]!.parentSpanId === spans[i]!.spanId) cycleBreaks.push(i);
  const colour = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (colour[i] !== 0) continue;
    let j = i;
    while (j !== -1 && colour[j] === 0) {
      colour[j] = 1;
      j = parent[j]!;
    }
    if (j !== -1 && colour[j] === 1) {
      parent[j] = -1;
      cycleBreaks.push(j);
    }
    for (let k = i; k !== -1 && colour[k] === 1; k = parent[k]!) colour[k] = 2;
  }

  // Compressed child lists: count, prefix-sum, fill, then sort each (short) segment by start.
  const childStart = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) if (parent[i]! >= 0) childStart[parent[i]! + 1]!++;
  for (let i = 0; i < n; i++) childStart[i + 1]! += childStart[i]!;
  const fill = childStart.slice(0, n);
  const childList = new Int32Array(childStart[n]!);
  for (let i = 0; i < n; i++) {
    const p = parent[i]!;
    if (p >= 0) childList[fill[p]!++] = i;
  }
  const cmp = byStart(spans, start);
  for (let i = 0; i < n; i++) {
    const a = childStart[i]!;
    const b = childStart[i + 1]!;
    if (b - a > 1) childList.subarray(a, b).sort(cmp);
  }

  const roots: number[] = [];
  for (let i = 0; i < n; i++) if (parent[i] === -1) roots.push(i);
  roots.sort(cmp);

  // Depth-first preorder with an explicit stack (children pushed in reverse to pop in order).
  const order = new Int32Array(n);
  const stack = new Int32Array(n);
  let top = 0;
  let k = 0;
  for (let r = roots.length - 1; r >= 0; r--) stack[top++] = roots[r]!;
  while (top > 0) {
    const i = stack[--top]!;
    order[k++] = i;
    for (let c = childStart[i + 1]! - 1; c >= childStart[i]!; c--) stack[top++] = childList[c]!;
  }

  return { spans, baseNanos: base, start, end, parent, orphan, childStart, childList, roots, order, missingParents, cycleBreaks };
}
