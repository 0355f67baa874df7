/**
 * Jaeger trace → the view model every trace page part reads (like Jaeger UI's transformTraceData).
 * Spans come out in depth-first order, children by start time, so a subtree is one contiguous
 * slice [i, subtreeEnd[i]) — collapse, layout and statistics then become linear scans.
 * A parent that never arrived becomes a placeholder span, so its orphans keep their place in the
 * tree instead of floating loose (the design: "missing parents shown as gaps, not dropped").
 */
import type { EdgeAnnotations, JaegerLog, JaegerProcess, JaegerReference, JaegerTag, JaegerTrace } from './jaeger';

export interface ViewSpan {
  /** position in `TraceView.spans` (depth-first order) */
  index: number;
  spanId: string;
  parentId: string | null;
  /** index of the parent in `TraceView.spans`, or -1 for a root */
  parent: number;
  operation: string;
  service: string;
  /** µs from the trace start */
  start: number;
  /** µs */
  duration: number;
  depth: number;
  /** child indices, by start time */
  children: number[];
  /** one past the last descendant: the subtree is [index, subtreeEnd) */
  subtreeEnd: number;
  error: boolean;
  kind: string;
  tags: JaegerTag[];
  logs: JaegerLog[];
  references: JaegerReference[];
  process: JaegerProcess;
  warnings: string[];
  ann: EdgeAnnotations;
  /** a parent that never arrived, made up so that its children have a place */
  placeholder: boolean;
}

export interface TraceView {
  traceId: string;
  spans: ViewSpan[];
  roots: number[];
  /** µs since the epoch */
  startUs: number;
  durationUs: number;
  /** services in order of first appearance */
  services: string[];
  maxDepth: number;
  spanCount: number;
  errorCount: number;
  orphanCount: number;
  placeholderCount: number;
  warnings: string[];
  partial: boolean;
}

export const PLACEHOLDER_SERVICE = '(missing)';

const isErrorTag = (t: JaegerTag) =>
  (t.key === 'error' && (t.value === true || t.value === 'true')) ||
  (t.key === 'otel.status_code' && t.value === 'ERROR');

/** The one reference that names the parent: CHILD_OF first, else the first one in this trace. */
function parentRef(refs: JaegerReference[], traceId: string): JaegerReference | undefined {
  return (
    refs.find((r) => r.refType === 'CHILD_OF' && r.traceID === traceId) ??
    refs.find((r) => r.traceID === traceId && r.refType === 'FOLLOWS_FROM')
  );
}

export function buildTraceView(trace: JaegerTrace): TraceView {
  // Pass 1: one ViewSpan per distinct span id; tree fields are filled in once the order is known.
  const all: ViewSpan[] = [];
  const byId = new Map<string, number>();
  const emptyProcess: JaegerProcess = { serviceName: PLACEHOLDER_SERVICE, tags: [] };
  const startAbs: number[] = [];
  for (const s of trace.spans) {
    // A retried span can appear twice in a hand-made file: keep the first copy.
    if (byId.has(s.spanID)) continue;
    const process = trace.processes[s.processID] ?? emptyProcess;
    const ref = parentRef(s.references, s.traceID);
    let error = false;
    let kind = '';
    for (const t of s.tags) {
      if (isErrorTag(t)) error = true;
      else if (t.key === 'span.kind') kind = String(t.value);
    }
    byId.set(s.spanID, all.length);
    startAbs.push(s.startTime);
    all.push({
      index: -1,
      spanId: s.spanID,
      parentId: ref && ref.spanID !== s.spanID ? ref.spanID : null,
      parent: -1,
      operation: s.operationName,
      service: process.serviceName,
      start: 0,
      duration: Math.max(0, s.duration),
      depth: 0,
      children: [],
      subtreeEnd: 0,
      error,
      kind,
      tags: s.tags,
      logs: s.logs,
      references: s.references,
      process,
      warnings: s.warnings ?? [],
      ann: s.edgetrace ?? {},
      placeholder: false,
    });
  }

  // Pass 2: placeholders for parents that never arrived, spanning all their children.
  const realCount = all.length;
  let orphanCount = 0;
  for (let i = 0; i < realCount; i++) {
    const p = all[i]!;
    if (p.parentId === null) continue;
    let ph = byId.get(p.parentId);
    if (ph !== undefined && !all[ph]!.placeholder) continue;
    orphanCount++;
    const end = startAbs[i]! + p.duration;
    if (ph === undefined) {
      ph = all.length;
      byId.set(p.parentId, ph);
      startAbs.push(startAbs[i]!);
      all.push({
        ...p,
        spanId: p.parentId,
        parentId: null,
        operation: 'missing span',
        service: PLACEHOLDER_SERVICE,
        children: [],
        error: false,
        kind: '',
        tags: [],
        logs: [],
        references: [],
        process: emptyProcess,
        warnings: ['this span never arrived; its children are shown under this placeholder'],
        ann: {},
        placeholder: true,
      });
    }
    const phs = all[ph]!;
    const phEnd = Math.max(startAbs[ph]! + phs.duration, end);
    startAbs[ph] = Math.min(startAbs[ph]!, startAbs[i]!);
    phs.duration = phEnd - startAbs[ph]!;
  }
  const n = all.length;

  // Pass 3: children as one flat list per parent (CSR), sorted by start; loops make roots.
  const parentOf = new Int32Array(n).fill(-1);
  const childCount = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const pid = all[i]!.parentId;
    const p = pid === null ? undefined : byId.get(pid);
    if (p !== undefined && p !== i) {
      parentOf[i] = p;
      childCount[p]!++;
    }
  }
  const childStart = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) childStart[i + 1] = childStart[i]! + childCount[i]!;
  const fill = childStart.slice(0, n);
  const childList = new Int32Array(childStart[n]!);
  const rootsP: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = parentOf[i]!;
    if (p < 0) rootsP.push(i);
    else childList[fill[p]!++] = i;
  }
  const byStart = (a: number, b: number) => startAbs[a]! - startAbs[b]! || a - b;
  for (let p = 0; p < n; p++) {
    const a = childStart[p]!;
    const b = childStart[p + 1]!;
    if (b - a > 1) childList.set(Array.from(childList.subarray(a, b)).sort(byStart), a);
  }
  rootsP.sort(byStart);

  let startUs = Infinity;
  let endUs = -Infinity;
  for (let i = 0; i < n; i++) {
    const s = startAbs[i]!;
    if (s < startUs) startUs = s;
    if (s + all[i]!.duration > endUs) endUs = s + all[i]!.duration;
  }
  if (!Number.isFinite(startUs)) {
    startUs = 0;
    endUs = 0;
  }

  // Pass 4: iterative depth-first walk (a 100k-span chain must not overflow the call stack).
  const spans: ViewSpan[] = [];
  const pos = new Int32Array(n).fill(-1);
  const stack = new Int32Array(n);
  const services: string[] = [];
  const seenService = new Set<string>();
  let maxDepth = 0;
  const roots: number[] = [];
  const walk = (root: number) => {
    roots.push(spans.length);
    let top = 0;
    stack[top++] = root;
    while (top > 0) {
      const i = stack[--top]!;
      if (pos[i]! >= 0) continue;
      const s = all[i]!;
      const index = spans.length;
      pos[i] = index;
      const p = parentOf[i]!;
      // A parent in a loop may not be placed yet: then this span starts a new root.
      const parent = p >= 0 && pos[p]! >= 0 && spans[pos[p]!]!.index === pos[p] ? pos[p]! : -1;
      s.index = index;
      s.parent = parent;
      s.depth = parent >= 0 ? spans[parent]!.depth + 1 : 0;
      s.start = startAbs[i]! - startUs;
      s.subtreeEnd = index + 1;
      if (parent >= 0) spans[parent]!.children.push(index);
      if (s.depth > maxDepth) maxDepth = s.depth;
      if (!s.placeholder && !seenService.has(s.service)) {
        seenService.add(s.service);
        services.push(s.service);
      }
      spans.push(s);
      for (let k = childStart[i + 1]! - 1; k >= childStart[i]!; k--) {
        const c = childList[k]!;
        if (pos[c]! < 0) stack[top++] = c;
      }
    }
  };
  for (const r of rootsP) walk(r);
  // Spans caught in a parent cycle were never reached from a root: show them as roots.
  for (let i = 0; i < n; i++) if (pos[i]! < 0) walk(i);
  for (let k = spans.length - 1; k >= 0; k--) {
    const p = spans[k]!.parent;
    if (p >= 0 && spans[k]!.subtreeEnd > spans[p]!.subtreeEnd) spans[p]!.subtreeEnd = spans[k]!.subtreeEnd;
  }

  const warnings = [...(trace.warnings ?? [])];
  if (orphanCount > 0) {
    warnings.push(`${orphanCount} span${orphanCount === 1 ? '' : 's'} reference a parent that never arrived`);
  }
  let errorCount = 0;
  for (const s of spans) if (s.error) errorCount++;
  return {
    traceId: trace.traceID,
    spans,
    roots,
    startUs,
    durationUs: endUs - startUs,
    services,
    maxDepth,
    spanCount: realCount,
    errorCount,
    orphanCount,
    placeholderCount: n - realCount,
    warnings,
    partial: trace.partial === true,
  };
}
