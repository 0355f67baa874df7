/**
 * The assembly pipeline the TraceAssembler runs when a trace goes quiet:
 * dedupe → limits → tree → clock skew → network time → summary, then the findings are written
 * beside each span (`ann`) and as trace-level warnings. Pure and deterministic: the same spans give
 * the same trace, so an alarm retried by the runtime writes the same object again.
 *
 * Spans without findings are passed through as they came (no copy). A trace too large to hold
 * whole (100,000 spans do not fit in a Durable Object's 128 MB as objects) goes through
 * `planAssembly` + `annotateSpans` below instead: same findings, two streamed passes.
 */
import type { AssembledSpan, AssembledTrace, Resource, Span, SpanAnnotations, TraceId, TraceSummary } from '../worker/span/model';
import { toNanos } from '../worker/span/nanos';
import { adjustClockSkew, DEFAULT_MAX_SKEW_NANOS, formatShift } from './clock-skew';
import { dedupeSpans } from './dedupe';
import { NETWORK_TIME_ATTRIBUTES, networkTime } from './network-time';
import { summarize } from './summary';
import { buildTree } from './tree';
import { DEFAULT_SPAN_LIMITS, truncateSpan } from './truncate';

export interface AssembleInput {
  traceId: TraceId;
  spans: Span[];
  lateSpanIds?: ReadonlySet<string>;
  version: number;
  sampleRate: number;
  maxSkewNanos?: bigint;
}

/** How many ids a trace warning lists before it says "and N more". */
const LIST_MAX = 5;

function list(items: string[], total: number): string {
  const shown = items.slice(0, LIST_MAX).join(', ');
  return total > LIST_MAX ? `${shown} and ${total - LIST_MAX} more` : shown;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** What the storage limits did to the spans, for the warnings. */
interface Tally {
  spans: number;
  values: number;
  dropped: number;
  /** span warning by spanId, for spans whose values were cut */
  valueWarning: Map<string, string>;
}

const newTally = (): Tally => ({ spans: 0, values: 0, dropped: 0, valueWarning: new Map() });

/** Holds a span to the limits, counting what was dropped or cut. */
function limit(span: Span, tally: Tally): Span {
  const r = truncateSpan(span, DEFAULT_SPAN_LIMITS);
  if (r.span === span) return span;
  tally.spans++;
  tally.values += r.truncatedValues;
  tally.dropped += r.droppedEntries;
  if (r.truncatedValues > 0) {
    tally.valueWarning.set(span.spanId, `${plural(r.truncatedValues, 'value was', 'values were')} cut to ${DEFAULT_SPAN_LIMITS.valueLength} characters (bytes)`);
  }
  return r.span;
}

export function assemble(input: AssembleInput): AssembledTrace {
  const unique = dedupeSpans(input.spans);
  const tally = newTally();
  for (let i = 0; i < unique.length; i++) unique[i] = limit(unique[i]!, tally);
  return assembleUnique(input, unique, input.spans.length - unique.length, tally);
}

/** The pipeline after dedupe and limits: tree → skew → network → summary → annotations. */
function assembleUnique(input: Omit<AssembleInput, 'spans'>, unique: Span[], duplicates: number, tally: Tally): AssembledTrace {
  const warnings: string[] = [];
  if (duplicates > 0) warnings.push(`${plural(duplicates, 'copy', 'copies')} of spans already present (same spanId) dropped`);
  let foreign = 0;
  for (const s of unique) if (s.traceId !== input.traceId) foreign++;
  if (foreign > 0) warnings.push(`${plural(foreign, 'span carries', 'spans carry')} another traceId than ${input.traceId}`);
  if (tally.spans > 0) {
    warnings.push(
      `${plural(tally.spans, 'span was', 'spans were')} over the storage limits: ${tally.dropped} attributes, events or links dropped (counted in dropped counts), ${tally.values} values cut`,
    );
  }

  const tree = buildTree(unique);
  const skew = adjustClockSkew(tree, input.maxSkewNanos ?? DEFAULT_MAX_SKEW_NANOS);
  const net = networkTime(tree, skew.shift);
  const summary = summarize({ traceId: input.traceId, tree, shift: skew.shift, version: input.version, sampleRate: input.sampleRate });

  if (tree.missingParents.size > 0) {
    const orphans = summary.orphanCount;
    const ids = [...tree.missingParents.keys()];
    warnings.push(
      `${plural(orphans, 'span references a parent', 'spans reference a parent')} that never arrived (missing: ${list(ids, ids.length)})`,
    );
  }
  if (tree.cycleBreaks.length > 0) {
    const ids = tree.cycleBreaks.map((i) => unique[i]!.spanId);
    warnings.push(`parent links form a cycle; shown as roots: ${list(ids, ids.length)}`);
  }
  if (skew.adjusted > 0) {
    warnings.push(`${plural(skew.adjusted, 'span was', 'spans were')} adjusted for clock skew (original times kept)`);
  }
  if (skew.skipped.length > 0) {
    const hosts = [...new Set(skew.skipped.map((s) => `"${s.host}"`))];
    const largest = skew.skipped.reduce((m, s) => (Math.abs(s.shiftNanos) > Math.abs(m) ? s.shiftNanos : m), 0);
    warnings.push(
      `clock skew not adjusted for ${plural(skew.skipped.length, 'span', 'spans')} on ${list(hosts, hosts.length)}: up to ${formatShift(largest)}, beyond the ${formatShift(Number(input.maxSkewNanos ?? DEFAULT_MAX_SKEW_NANOS)).slice(1)} bound`,
    );
  }
  if (net.failures.length > 0) {
    warnings.push(`${plural(net.failures.length, 'CLIENT span', 'CLIENT spans')} failed with no SERVER child: likely network failures`);
  }

  const failures = new Set(net.failures);
  const late = input.lateSpanIds;
  const out: AssembledSpan[] = new Array<AssembledSpan>(unique.length);
  for (let k = 0; k < tree.order.length; k++) {
    const i = tree.order[k]!;
    const s = unique[i]!;
    const ann: SpanAnnotations = {};
    const spanWarnings: string[] = [];
    let any = false;
    if (tree.orphan[i] === 1) {
      ann.orphan = true;
      spanWarnings.push(`invalid parent span ID ${s.parentSpanId}: the parent never arrived`);
      any = true;
    }
    if (tree.parent[i] === -1 && s.parentSpanId !== undefined && tree.orphan[i] === 0) {
      spanWarnings.push(`parent link to ${s.parentSpanId} ignored: it closes a cycle`);
      any = true;
    }
    const shift = skew.shift[i]!;
    if (shift !== 0) {
      ann.skewNanos = toNanos(BigInt(shift));
      any = true;
    }
    const skewWarning = skew.warnings.get(i);
    if (skewWarning !== undefined) {
      spanWarnings.push(skewWarning);
      any = true;
    }
    const legs = net.legs.get(i);
    if (legs) {
      ann.network = { requestNanos: toNanos(BigInt(legs.requestNanos)), responseNanos: toNanos(BigInt(legs.responseNanos)) };
      any = true;
    }
    if (failures.has(i)) {
      ann.networkFailure = true;
      spanWarnings.push('the call failed and no SERVER span answered it: likely a network failure');
      any = true;
    }
    if (late?.has(s.spanId)) {
      ann.late = true;
      any = true;
    }
    const vw = tally.valueWarning.get(s.spanId);
    if (vw !== undefined) {
      spanWarnings.push(vw);
      any = true;
    }
    if (spanWarnings.length > 0) ann.warnings = spanWarnings;
    // A span may come back from an earlier write with its old annotations: they are recomputed.
    if (any) out[k] = { ...s, ann };
    else if ('ann' in s) {
      const { ann: _old, ...plain } = s as AssembledSpan;
      out[k] = plain;
    } else out[k] = s;
  }

  return { traceId: input.traceId, version: input.version, spans: out, summary, warnings };
}

// ---- Large traces: two passes over the stored spans, never all of them in memory ----
//
// A span as decoded costs ~2.5 KB of heap (OTLP-shaped attributes are objects of objects), so
// 100,000 of them alone exceed a Durable Object's 128 MB. Assembly reads only a few fields, so
// pass 1 keeps a skeleton of each span (ids, times, kind, service, status, host attributes, with
// shared strings and objects) and assembles that; pass 2 streams the stored spans again, chunk by
// chunk, and attaches the annotations, for `encodeTraceStream` to write as it goes.

/** Everything the trace object needs besides its spans. */
export interface TraceHead {
  traceId: TraceId;
  version: number;
  summary: TraceSummary;
  warnings: string[];
  /** number of spans after dedupe */
  spanCount: number;
}

export interface AssemblyPlan {
  head: TraceHead;
  /** annotations by spanId (spans without findings have none) */
  annotations: Map<string, SpanAnnotations>;
}

export type SpanSource = Iterable<Span> | AsyncIterable<Span>;

/** The resource attributes `hostKey` reads; the rest of a resource does not matter to assembly. */
const HOST_ATTRIBUTES = new Set(['host.id', 'host.ip', 'host.name', 'service.instance.id']);
const NONE: never[] = [];

/**
 * Makes span skeletons whose repeated parts (names, services, resources, status) are shared; of
 * the attributes they keep only those an assembly step reads (network time: database calls).
 */
class Skeletons {
  private readonly strings = new Map<string, string>();
  private readonly resources = new Map<string, Resource>();
  private readonly statuses = new Map<number, Span['status']>();

  private str(s: string): string {
    const known = this.strings.get(s);
    if (known !== undefined) return known;
    this.strings.set(s, s);
    return s;
  }

  of(span: Span): Span {
    const hostAttrs = span.resource.attributes.filter((a) => HOST_ATTRIBUTES.has(a.key));
    const key = JSON.stringify(hostAttrs);
    let resource = this.resources.get(key);
    if (resource === undefined) this.resources.set(key, (resource = { attributes: hostAttrs }));
    let status = this.statuses.get(span.status.code);
    if (status === undefined) this.statuses.set(span.status.code, (status = { code: span.status.code }));
    const s: Span = {
      traceId: this.str(span.traceId) as TraceId,
      spanId: span.spanId,
      name: this.str(span.name),
      kind: span.kind,
      service: this.str(span.service),
      resource,
      startTimeUnixNano: span.startTimeUnixNano,
      endTimeUnixNano: span.endTimeUnixNano,
      attributes: span.attributes.some((a) => NETWORK_TIME_ATTRIBUTES.has(a.key)) ? span.attributes.filter((a) => NETWORK_TIME_ATTRIBUTES.has(a.key)) : NONE,
      events: NONE,
      links: NONE,
      status,
    };
    if (span.parentSpanId !== undefined) s.parentSpanId = span.parentSpanId;
    return s;
  }
}

/**
 * Pass 1: assembles the skeletons of `spans` (read once) into the trace's head and annotations.
 * The result equals what `assemble` finds for the same spans.
 */
export async function planAssembly(input: Omit<AssembleInput, 'spans'> & { spans: SpanSource }): Promise<AssemblyPlan> {
  const seen = new Set<string>();
  const skeletons = new Skeletons();
  const unique: Span[] = [];
  const tally = newTally();
  let duplicates = 0;
  for await (const span of input.spans) {
    if (seen.has(span.spanId)) {
      duplicates++;
      continue;
    }
    seen.add(span.spanId);
    unique.push(skeletons.of(limit(span, tally)));
  }
  seen.clear();
  const trace = assembleUnique(input, unique, duplicates, tally);
  const annotations = new Map<string, SpanAnnotations>();
  for (const s of trace.spans) if (s.ann !== undefined) annotations.set(s.spanId, s.ann);
  return {
    head: { traceId: trace.traceId, version: trace.version, summary: trace.summary, warnings: trace.warnings, spanCount: trace.spans.length },
    annotations,
  };
}

/**
 * Pass 2: the same spans again (same order), deduped and held to the limits as in pass 1, with
 * their annotations, in chunks of `chunkSize`. Spans keep their stored order (not parents-first).
 */
export async function* annotateSpans(plan: AssemblyPlan, spans: SpanSource, chunkSize = 1000): AsyncGenerator<AssembledSpan[]> {
  const seen = new Set<string>();
  const unused = newTally();
  let chunk: AssembledSpan[] = [];
  let count = 0;
  for await (const span of spans) {
    if (seen.has(span.spanId)) continue;
    seen.add(span.spanId);
    const limited = limit(span, unused);
    const ann = plan.annotations.get(span.spanId);
    if (ann !== undefined) chunk.push({ ...limited, ann });
    else if ('ann' in limited) {
      const { ann: _old, ...plain } = limited as AssembledSpan;
      chunk.push(plain);
    } else chunk.push(limited);
    count++;
    if (chunk.length >= chunkSize) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
  if (count !== plan.head.spanCount) {
    throw new Error(`annotateSpans: pass 2 read ${count} distinct spans, pass 1 read ${plan.head.spanCount}: the span source must give the same spans both times`);
  }
}
