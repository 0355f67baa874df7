/**
 * The assembly pipeline the TraceAssembler runs when a trace goes quiet:
 * dedupe → limits → tree → clock skew → network time → summary, then the findings are written
 * beside each span (`ann`) and as trace-level warnings. Pure and deterministic: the same spans give
 * the same trace, so an alarm retried by the runtime writes the same object again.
 *
 * Spans without findings are passed through as they came (no copy): a 100,000-span trace must fit
 * in a Durable Object's 128 MB next to its input.
 */
import type { AssembledSpan, AssembledTrace, Span, SpanAnnotations, TraceId } from '../worker/span/model';
import { toNanos } from '../worker/span/nanos';
import { adjustClockSkew, DEFAULT_MAX_SKEW_NANOS, formatShift } from './clock-skew';
import { dedupeSpans } from './dedupe';
import { networkTime } from './network-time';
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

export function assemble(input: AssembleInput): AssembledTrace {
  const warnings: string[] = [];

  const unique = dedupeSpans(input.spans);
  if (unique.length < input.spans.length) {
    warnings.push(`${plural(input.spans.length - unique.length, 'copy', 'copies')} of spans already present (same spanId) dropped`);
  }
  const foreign = unique.filter((s) => s.traceId !== input.traceId).length;
  if (foreign > 0) warnings.push(`${plural(foreign, 'span carries', 'spans carry')} another traceId than ${input.traceId}`);

  let truncatedSpans = 0;
  let truncatedValues = 0;
  let droppedEntries = 0;
  const valueWarning = new Map<number, string>();
  for (let i = 0; i < unique.length; i++) {
    const r = truncateSpan(unique[i]!, DEFAULT_SPAN_LIMITS);
    if (r.span === unique[i]) continue;
    unique[i] = r.span;
    truncatedSpans++;
    truncatedValues += r.truncatedValues;
    droppedEntries += r.droppedEntries;
    if (r.truncatedValues > 0) {
      valueWarning.set(i, `${plural(r.truncatedValues, 'value was', 'values were')} cut to ${DEFAULT_SPAN_LIMITS.valueLength} characters (bytes)`);
    }
  }
  if (truncatedSpans > 0) {
    warnings.push(
      `${plural(truncatedSpans, 'span was', 'spans were')} over the storage limits: ${droppedEntries} attributes, events or links dropped (counted in dropped counts), ${truncatedValues} values cut`,
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
    const vw = valueWarning.get(i);
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
