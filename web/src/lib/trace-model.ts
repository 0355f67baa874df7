/**
 * Jaeger trace → the view model every trace page part reads (like Jaeger UI's transformTraceData).
 * Spans come out in depth-first order, children by start time, so a subtree is one contiguous
 * slice [i, subtreeEnd[i]) — collapse, layout and statistics then become linear scans.
 * A parent that never arrived becomes a placeholder span, so its orphans keep their place in the
 * tree instead of floating loose (the design: "missing parents shown as gaps, not dropped").
 */
import { IdIndex } from './id-index';
import type { EdgeAnnotations, JaegerLog, JaegerProcess, JaegerReference, JaegerSampling, JaegerTag, JaegerTrace } from './jaeger';

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
  /** child indices, by start time (read-only: leaves share one empty array) */
  children: readonly number[];
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
  /** span id → index in `spans` (placeholders included), or -1 */
  indexOf: Pick<IdIndex, 'get'>;
  /** µs since the epoch */
  startUs: number;
  durationUs: number;
  /** services in order of first appearance */
  services: string[];
  /** spans per service, most first (placeholders not counted) */
  serviceSpans: ReadonlyArray<readonly [string, number]>;
  maxDepth: number;
  spanCount: number;
  errorCount: number;
  orphanCount: number;
  placeholderCount: number;
  warnings: string[];
  partial: boolean;
  /** how the trace was kept (null for a trace from a file or another Jaeger server) */
  sampling: JaegerSampling | null;
}

export const PLACEHOLDER_SERVICE = '(missing)';

const isErrorTag = (t: JaegerTag) =>
  (t.key === 'error' && (t.value === true || t.value === 'true')) ||
  (t.key === 'otel.status_code' && t.value === 'ERROR');

/** The one reference that names the parent: CHILD_OF first, else the first FOLLOWS_FROM in this trace. */
function parentRef(refs: JaegerReference[], traceId: string): JaegerReference | undefined {
  let follows: JaegerReference | undefined;
  for (const r of refs) {
    if (r.traceID !== traceId) continue;
    if (r.refType === 'CHILD_OF') return r;
    if (r.refType === 'FOLLOWS_FROM' && !follows) follows = r;
  }
  return follows;
}

/** Fills the span list before each slot gets its span (keeps the list a fast, packed array). */
const NO_SPAN = Object.freeze({}) as ViewSpan;
const NO_CHILDREN: readonly number[] = Object.freeze([]);
const NO_WARNINGS: readonly string[] = Object.freeze([]);
const NO_ANNOTATIONS: EdgeAnnotations = Object.freeze({});
const PLACEHOLDER_PROCESS: JaegerProcess = Object.freeze({ serviceName: PLACEHOLDER_SERVICE, tags: [] });
const PLACEHOLDER_WARNINGS: readonly string[] = Object.freeze(['this span never arrived; its children are shown under this placeholder']);

/**
 * Built in passes over flat arrays, and the ViewSpan objects only at the end, once each span's
 * place is known: at 100k spans every extra object or array per span shows up in the time to
 * the first painted row (leaves share one frozen empty `children`, spans reference the parsed
 * tags and logs rather than copying them).
 */
export function buildTraceView(trace: JaegerTrace): TraceView {
  const input = trace.spans;
  // Pass 1, in input order (the order the parsed objects sit in memory, so it is the one pass
  // that reads them cheaply): distinct span ids, parent ids, times, error, kind and service.
  // A retried span can appear twice in a hand-made file: keep the first copy. Room for twice the
  // spans: each may add one placeholder. Lists grow by push (a large `new Array(n)` is a slow
  // dictionary), typed arrays are sized.
  const byId = new IdIndex(2 * input.length);
  const src = new Int32Array(input.length);
  const parentIds: Array<string | null> = [];
  const startAbs = new Float64Array(2 * input.length);
  const durations = new Float64Array(2 * input.length);
  const errors = new Uint8Array(input.length);
  const kinds: string[] = [];
  const processes: JaegerProcess[] = [];
  let count = 0;
  for (let j = 0; j < input.length; j++) {
    const s = input[j]!;
    if (!byId.add(s.spanID, count)) continue;
    const i = count++;
    src[i] = j;
    const ref = parentRef(s.references, s.traceID);
    parentIds.push(ref && ref.spanID !== s.spanID ? ref.spanID : null);
    startAbs[i] = s.startTime;
    durations[i] = Math.max(0, s.duration);
    let error = 0;
    let kind = '';
    for (const t of s.tags) {
      if (isErrorTag(t)) error = 1;
      else if (t.key === 'span.kind') kind = String(t.value);
    }
    errors[i] = error;
    kinds.push(kind);
    processes.push(trace.processes[s.processID] ?? PLACEHOLDER_PROCESS);
  }
  const realCount = count;

  // Pass 2: each span's parent, and placeholders for parents that never arrived, spanning all
  // their children.
  const placeholderIds: string[] = [];
  const parentOf = new Int32Array(2 * input.length).fill(-1);
  let n = realCount;
  let orphanCount = 0;
  for (let i = 0; i < realCount; i++) {
    const pid = parentIds[i]!;
    if (pid === null) continue;
    let p = byId.get(pid);
    if (p < 0 || p >= realCount) {
      orphanCount++;
      if (p < 0) {
        p = n++;
        byId.add(pid, p);
        placeholderIds.push(pid);
        startAbs[p] = startAbs[i]!;
        durations[p] = durations[i]!;
      } else {
        const end = Math.max(startAbs[p]! + durations[p]!, startAbs[i]! + durations[i]!);
        startAbs[p] = Math.min(startAbs[p]!, startAbs[i]!);
        durations[p] = end - startAbs[p]!;
      }
    }
    parentOf[i] = p;
  }

  // Pass 3: children as one flat list per parent (CSR), sorted by start; loops make roots.
  const childCount = new Int32Array(n + 1);
  for (let i = 0; i < realCount; i++) if (parentOf[i]! >= 0) childCount[parentOf[i]!]!++;
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
    if (b - a > 1) childList.subarray(a, b).sort(byStart);
  }
  rootsP.sort(byStart);

  let startUs = Infinity;
  let endUs = -Infinity;
  for (let i = 0; i < n; i++) {
    const s = startAbs[i]!;
    if (s < startUs) startUs = s;
    if (s + durations[i]! > endUs) endUs = s + durations[i]!;
  }
  if (!Number.isFinite(startUs)) {
    startUs = 0;
    endUs = 0;
  }

  // Pass 4: iterative depth-first walk (a 100k-span chain must not overflow the call stack),
  // recording each span's place, its parent's place and its depth.
  const order = new Int32Array(n);
  const pos = new Int32Array(n).fill(-1);
  const parentPos = new Int32Array(n);
  const depthAt = new Int32Array(n);
  const kids = new Int32Array(n);
  const stack = new Int32Array(n);
  const roots: number[] = [];
  let placed = 0;
  const walk = (root: number) => {
    roots.push(placed);
    let top = 0;
    stack[top++] = root;
    while (top > 0) {
      const i = stack[--top]!;
      if (pos[i]! >= 0) continue;
      const at = placed++;
      order[at] = i;
      pos[i] = at;
      // A parent in a loop may not be placed yet: then this span starts a new root.
      const p = parentOf[i]!;
      const pp = p >= 0 ? pos[p]! : -1;
      parentPos[at] = pp;
      depthAt[at] = pp >= 0 ? depthAt[pp]! + 1 : 0;
      if (pp >= 0) kids[pp]!++;
      for (let k = childStart[i + 1]! - 1; k >= childStart[i]!; k--) {
        const c = childList[k]!;
        if (pos[c]! < 0) stack[top++] = c;
      }
    }
  };
  for (const r of rootsP) walk(r);
  // Spans caught in a parent cycle were never reached from a root: show them as roots.
  for (let i = 0; i < n; i++) if (pos[i]! < 0) walk(i);

  // Subtrees: [at, subtreeEnd) in depth-first places.
  const subtreeEnd = new Int32Array(n);
  for (let at = 0; at < n; at++) subtreeEnd[at] = at + 1;
  for (let at = n - 1; at > 0; at--) {
    const p = parentPos[at]!;
    if (p >= 0 && subtreeEnd[at]! > subtreeEnd[p]!) subtreeEnd[p] = subtreeEnd[at]!;
  }

  // Services in order of first appearance, depth-first, with their span counts.
  const services: string[] = [];
  const serviceIndex = new Map<string, number>();
  const serviceSpans: number[] = [];
  let maxDepth = 0;
  let errorCount = 0;
  for (let at = 0; at < n; at++) {
    if (depthAt[at]! > maxDepth) maxDepth = depthAt[at]!;
    const i = order[at]!;
    if (i >= realCount) continue;
    if (errors[i]) errorCount++;
    const service = processes[i]!.serviceName;
    const si = serviceIndex.get(service);
    if (si !== undefined) serviceSpans[si]!++;
    else {
      serviceIndex.set(service, services.length);
      services.push(service);
      serviceSpans.push(1);
    }
  }

  // Pass 5: the ViewSpans, made in input order (again reading the parsed spans in memory order)
  // and put in their depth-first places; then each parent's children, in place order.
  const spans: ViewSpan[] = [];
  for (let at = 0; at < n; at++) spans.push(NO_SPAN);
  for (let i = 0; i < n; i++) {
    const at = pos[i]!;
    const parent = parentPos[at]!;
    const start = startAbs[i]! - startUs;
    const duration = durations[i]!;
    const depth = depthAt[at]!;
    const children = kids[at]! > 0 ? [] : (NO_CHILDREN as number[]);
    const end = subtreeEnd[at]!;
    if (i >= realCount) {
      spans[at] = {
        index: at, spanId: placeholderIds[i - realCount]!, parentId: null, parent, operation: 'missing span',
        service: PLACEHOLDER_SERVICE, start, duration, depth, children, subtreeEnd: end, error: false, kind: '',
        tags: [], logs: [], references: [], process: PLACEHOLDER_PROCESS,
        warnings: PLACEHOLDER_WARNINGS as string[], ann: NO_ANNOTATIONS, placeholder: true,
      };
      continue;
    }
    const s = input[src[i]!]!;
    const process = processes[i]!;
    spans[at] = {
      index: at, spanId: s.spanID, parentId: parentIds[i]!, parent, operation: s.operationName,
      service: process.serviceName, start, duration, depth, children, subtreeEnd: end, error: errors[i] === 1,
      kind: kinds[i]!, tags: s.tags, logs: s.logs, references: s.references, process,
      warnings: s.warnings ?? (NO_WARNINGS as string[]), ann: s.edgetrace ?? NO_ANNOTATIONS, placeholder: false,
    };
  }
  for (let at = 1; at < n; at++) {
    const p = parentPos[at]!;
    if (p >= 0) (spans[p]!.children as number[]).push(at);
  }
  // The id → index map, re-pointed from input order to depth-first places.
  byId.remap(pos);

  const warnings = [...(trace.warnings ?? [])];
  if (orphanCount > 0) {
    warnings.push(`${orphanCount} span${orphanCount === 1 ? '' : 's'} reference a parent that never arrived`);
  }
  return {
    traceId: trace.traceID,
    spans,
    roots,
    indexOf: byId,
    startUs,
    durationUs: endUs - startUs,
    services,
    serviceSpans: services.map((svc, k) => [svc, serviceSpans[k]!] as const).sort((a, b) => b[1] - a[1]),
    maxDepth,
    spanCount: realCount,
    errorCount,
    orphanCount,
    placeholderCount: n - realCount,
    warnings,
    partial: trace.partial === true,
    sampling: trace.sampling ?? null,
  };
}
