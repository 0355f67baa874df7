/**
 * The critical path: the chain of work that decided the trace's duration. Walking back from a
 * span's end, the child that finished last (before the cursor) was what the span waited for; the
 * time between children is the span's own. Same idea as Jaeger UI's critical path, written as an
 * explicit stack so that a very deep trace cannot overflow the call stack.
 */
import type { TraceView } from './trace-model';

export interface CriticalSegment {
  span: number;
  /** µs from the trace start */
  start: number;
  end: number;
}

export interface CriticalPath {
  segments: CriticalSegment[];
  /** spans with at least one segment */
  spans: Set<number>;
}

/** The critical path from the root that ends last (the one that set the trace's end). */
export function criticalPath(trace: TraceView): CriticalPath {
  const spans = trace.spans;
  const segments: CriticalSegment[] = [];
  let root = -1;
  for (const r of trace.roots) {
    const s = spans[r]!;
    if (root < 0 || s.start + s.duration > spans[root]!.start + spans[root]!.duration) root = r;
  }
  if (root < 0) return { segments, spans: new Set() };

  const push = (span: number, start: number, end: number) => {
    if (end > start) segments.push({ span, start, end });
  };
  // Each frame: a span, the time its critical part ends, its children by end time descending
  // (clipped to the cursor), and how far through them we are.
  interface Frame {
    span: number;
    cursor: number;
    order: number[];
    next: number;
  }
  const frame = (span: number, cursor: number): Frame => {
    const s = spans[span]!;
    const order = [...s.children].sort((a, b) => spanEnd(b) - spanEnd(a));
    return { span, cursor: Math.min(cursor, s.start + s.duration), order, next: 0 };
  };
  const spanEnd = (i: number) => spans[i]!.start + spans[i]!.duration;
  const stack: Frame[] = [frame(root, spanEnd(root))];
  while (stack.length) {
    const f = stack[stack.length - 1]!;
    const s = spans[f.span]!;
    let child = -1;
    while (f.next < f.order.length) {
      const c = f.order[f.next++]!;
      const cs = spans[c]!;
      // A child that started after the cursor ran in parallel with work already on the path.
      if (cs.start < f.cursor && cs.start >= s.start) {
        child = c;
        break;
      }
    }
    if (child < 0) {
      push(f.span, s.start, f.cursor);
      stack.pop();
      continue;
    }
    const childEnd = Math.min(spanEnd(child), f.cursor);
    push(f.span, childEnd, f.cursor);
    f.cursor = spans[child]!.start;
    stack.push(frame(child, childEnd));
  }
  segments.sort((a, b) => a.start - b.start);
  return { segments, spans: new Set(segments.map((g) => g.span)) };
}
