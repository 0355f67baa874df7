/**
 * Encodes an assembled trace as the Jaeger query API's JSON (what `/api/traces/{id}` returns), so
 * the Jaeger UI and Grafana's Jaeger data source read edgetrace directly. OTLP fields map as the
 * OpenTelemetry Jaeger translator maps them (span.kind, otel.status_code, error, otel.scope.*,
 * otel.dropped_*, w3c.tracestate); times are µs and skew-adjusted, as Jaeger shows them.
 *
 * Beyond Jaeger's shape: a per-span `edgetrace` object (skew shift, network legs, network failure,
 * orphan, late, original start) and per-trace `partial` and `version`. Jaeger clients ignore
 * fields they do not know.
 */
import type { AnyValue, AssembledSpan, AssembledTrace, KeyValue, Resource, TraceSummary } from '../span/model';
import { SpanKind, StatusCode } from '../span/model';
import type { TraceHead } from '../../durable/assemble';

export type JaegerTagType = 'string' | 'bool' | 'int64' | 'float64' | 'binary';

export interface JaegerTag {
  key: string;
  type: JaegerTagType;
  value: string | number | boolean;
}

export interface JaegerLog {
  /** µs, skew-adjusted like its span */
  timestamp: number;
  fields: JaegerTag[];
}

export interface JaegerReference {
  refType: 'CHILD_OF' | 'FOLLOWS_FROM';
  traceID: string;
  spanID: string;
}

/** What assembly learned about the span; times in µs (fractional when the ns do not divide). */
export interface JaegerEdgeAnnotations {
  skewUs?: number;
  network?: { requestUs: number; responseUs: number };
  networkFailure?: boolean;
  orphan?: boolean;
  late?: boolean;
  /** µs, the span's start before skew adjustment (set when it was shifted) */
  originalStartTime?: number;
  /** a stand-in for a parent span that never arrived (not a span anyone sent) */
  placeholder?: boolean;
}

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: JaegerReference[];
  flags: number;
  /** µs since the epoch, skew-adjusted */
  startTime: number;
  /** µs */
  duration: number;
  tags: JaegerTag[];
  logs: JaegerLog[];
  processID: string;
  warnings: string[] | null;
  edgetrace?: JaegerEdgeAnnotations;
}

export interface JaegerProcess {
  serviceName: string;
  tags: JaegerTag[];
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, JaegerProcess>;
  warnings: string[] | null;
  /** true while the trace is still assembling (read from its Durable Object, not from R2) */
  partial: boolean;
  version: number;
  /** how the trace was kept: the probability, the traces it stands for, and the rule or policy */
  sampling: JaegerSampling;
}

export interface JaegerSampling {
  rate: number;
  adjustedCount: number;
  /** the sampling rule or tail policy that kept it (`head` for SAMPLE_RATE; absent in old traces) */
  reason: string | null;
}

const samplingOf = (s: TraceSummary): JaegerSampling => ({ rate: s.sampleRate, adjustedCount: s.adjustedCount, reason: s.samplingReason ?? null });

const KIND_NAMES: Partial<Record<number, string>> = {
  [SpanKind.INTERNAL]: 'internal',
  [SpanKind.SERVER]: 'server',
  [SpanKind.CLIENT]: 'client',
  [SpanKind.PRODUCER]: 'producer',
  [SpanKind.CONSUMER]: 'consumer',
};

const toMicros = (ns: bigint): number => Number(ns / 1000n);
/** ns → µs keeping the fraction: shifts and legs are often under a µs apart. */
const fracMicros = (ns: string): number => Number(ns) / 1000;

/** int64 as a JS number only when that is exact. */
function intOrString(decimal: string): number | string {
  const n = Number(decimal);
  return Number.isSafeInteger(n) ? n : decimal;
}

/** An AnyValue as plain JSON, for array and kvlist tags (as the OTel Jaeger translator does). */
function plain(v: AnyValue): unknown {
  if ('stringValue' in v) return v.stringValue;
  if ('boolValue' in v) return v.boolValue;
  if ('intValue' in v) return intOrString(String(v.intValue));
  if ('doubleValue' in v) return Number.isFinite(v.doubleValue) ? v.doubleValue : String(v.doubleValue);
  if ('bytesValue' in v) return v.bytesValue;
  if ('arrayValue' in v) return v.arrayValue.values.map(plain);
  if ('kvlistValue' in v) return Object.fromEntries(v.kvlistValue.values.map((kv) => [kv.key, plain(kv.value)]));
  return null;
}

export function toJaegerTag(key: string, v: AnyValue): JaegerTag {
  if ('stringValue' in v) return { key, type: 'string', value: v.stringValue };
  if ('boolValue' in v) return { key, type: 'bool', value: v.boolValue };
  if ('intValue' in v) {
    // Past 2^53 a JSON number would be rounded by every JS client: send the exact digits instead.
    const n = intOrString(String(v.intValue));
    return typeof n === 'number' ? { key, type: 'int64', value: n } : { key, type: 'string', value: n };
  }
  if ('doubleValue' in v) {
    // JSON has no NaN or Infinity.
    const d = v.doubleValue;
    return Number.isFinite(d) ? { key, type: 'float64', value: d } : { key, type: 'string', value: String(d) };
  }
  if ('bytesValue' in v) return { key, type: 'binary', value: v.bytesValue };
  if ('arrayValue' in v || 'kvlistValue' in v) return { key, type: 'string', value: JSON.stringify(plain(v)) };
  return { key, type: 'string', value: '' };
}

const tagsOf = (attrs: readonly KeyValue[]): JaegerTag[] => attrs.map((a) => toJaegerTag(a.key, a.value));

function spanTags(s: AssembledSpan): JaegerTag[] {
  const tags = tagsOf(s.attributes);
  const kind = KIND_NAMES[s.kind];
  if (kind !== undefined) tags.push({ key: 'span.kind', type: 'string', value: kind });
  if (s.status.code === StatusCode.ERROR) {
    tags.push({ key: 'error', type: 'bool', value: true });
    tags.push({ key: 'otel.status_code', type: 'string', value: 'ERROR' });
    if (s.status.message) tags.push({ key: 'otel.status_description', type: 'string', value: s.status.message });
  } else if (s.status.code === StatusCode.OK) {
    tags.push({ key: 'otel.status_code', type: 'string', value: 'OK' });
  }
  if (s.scope) {
    tags.push({ key: 'otel.scope.name', type: 'string', value: s.scope.name });
    if (s.scope.version) tags.push({ key: 'otel.scope.version', type: 'string', value: s.scope.version });
  }
  if (s.traceState) tags.push({ key: 'w3c.tracestate', type: 'string', value: s.traceState });
  if (s.droppedAttributesCount) tags.push({ key: 'otel.dropped_attributes_count', type: 'int64', value: s.droppedAttributesCount });
  if (s.droppedEventsCount) tags.push({ key: 'otel.dropped_events_count', type: 'int64', value: s.droppedEventsCount });
  if (s.droppedLinksCount) tags.push({ key: 'otel.dropped_links_count', type: 'int64', value: s.droppedLinksCount });
  return tags;
}

function references(s: AssembledSpan): JaegerReference[] {
  const refs: JaegerReference[] = [];
  // Kept even when the parent never arrived: the Jaeger UI then shows the span as having an
  // invalid parent instead of silently making it a root.
  if (s.parentSpanId !== undefined) refs.push({ refType: 'CHILD_OF', traceID: s.traceId, spanID: s.parentSpanId });
  for (const l of s.links) refs.push({ refType: 'FOLLOWS_FROM', traceID: l.traceId, spanID: l.spanId });
  return refs;
}

function annotations(s: AssembledSpan, originalStartUs: number): JaegerEdgeAnnotations | undefined {
  const a = s.ann;
  if (a === undefined) return undefined;
  const e: JaegerEdgeAnnotations = {};
  let any = false;
  if (a.skewNanos !== undefined && a.skewNanos !== '0') {
    e.skewUs = fracMicros(a.skewNanos);
    e.originalStartTime = originalStartUs;
    any = true;
  }
  if (a.network) {
    e.network = { requestUs: fracMicros(a.network.requestNanos), responseUs: fracMicros(a.network.responseNanos) };
    any = true;
  }
  if (a.networkFailure) e.networkFailure = any = true;
  if (a.orphan) e.orphan = any = true;
  if (a.late) e.late = any = true;
  return any ? e : undefined;
}

/** Processes: one per distinct resource (service + attributes), numbered in order of first use. */
class Processes {
  readonly map: Record<string, JaegerProcess> = {};
  private readonly byKey = new Map<string, string>();
  private readonly byObject = new Map<Resource, { service: string; id: string }>();
  id(service: string, resource: Resource): string {
    const known = this.byObject.get(resource);
    if (known !== undefined && known.service === service) return known.id;
    // service.name is the process's serviceName; Jaeger does not repeat it as a tag.
    const attrs = resource.attributes.filter((a) => a.key !== 'service.name');
    const key = JSON.stringify([service, attrs]);
    let id = this.byKey.get(key);
    if (id === undefined) {
      id = `p${this.byKey.size + 1}`;
      this.byKey.set(key, id);
      this.map[id] = { serviceName: service, tags: tagsOf(attrs) };
    }
    this.byObject.set(resource, { service, id });
    return id;
  }
}

export function toJaegerSpan(s: AssembledSpan, processID: string): JaegerSpan {
  const start = BigInt(s.startTimeUnixNano);
  const skew = s.ann?.skewNanos !== undefined ? BigInt(s.ann.skewNanos) : 0n;
  const end = BigInt(s.endTimeUnixNano);
  const out: JaegerSpan = {
    traceID: s.traceId,
    spanID: s.spanId,
    operationName: s.name,
    references: references(s),
    // W3C trace flags are the low byte; a stored span was kept, so sampled when unknown.
    flags: s.flags !== undefined ? s.flags & 0xff : 1,
    startTime: toMicros(start + skew),
    duration: toMicros(end > start ? end - start : 0n),
    tags: spanTags(s),
    logs: s.events.map((e) => {
      const fields: JaegerTag[] = [{ key: 'event', type: 'string', value: e.name }, ...tagsOf(e.attributes)];
      if (e.droppedAttributesCount) fields.push({ key: 'otel.dropped_attributes_count', type: 'int64', value: e.droppedAttributesCount });
      return { timestamp: toMicros(BigInt(e.timeUnixNano) + skew), fields };
    }),
    processID,
    warnings: s.ann?.warnings && s.ann.warnings.length > 0 ? s.ann.warnings : null,
  };
  const edge = annotations(s, toMicros(start));
  if (edge) out.edgetrace = edge;
  return out;
}

/** Service name of the process placeholder spans belong to. */
export const MISSING_SPAN_SERVICE = '(missing span)';

/**
 * Placeholder spans for parents that never arrived, as Jaeger would warn of an "invalid parent":
 * one per missing parent id, spanning its orphaned children, so the waterfall shows where the
 * missing span was instead of scattering its children as roots. Fed span by span.
 */
class Placeholders {
  private readonly missing = new Map<string, { start: number; end: number; children: number }>();

  see(s: AssembledSpan, span: JaegerSpan): void {
    if (!s.ann?.orphan || !s.parentSpanId) return;
    const end = span.startTime + span.duration;
    const m = this.missing.get(s.parentSpanId);
    if (!m) this.missing.set(s.parentSpanId, { start: span.startTime, end, children: 1 });
    else {
      m.start = Math.min(m.start, span.startTime);
      m.end = Math.max(m.end, end);
      m.children++;
    }
  }

  spans(traceId: string, processes: Processes): JaegerSpan[] {
    if (this.missing.size === 0) return [];
    const processID = processes.id(MISSING_SPAN_SERVICE, NO_RESOURCE);
    return [...this.missing].map(([spanId, m]) => ({
      traceID: traceId,
      spanID: spanId,
      operationName: '(missing span)',
      references: [],
      flags: 1,
      startTime: m.start,
      duration: m.end - m.start,
      tags: [{ key: 'edgetrace.placeholder', type: 'bool', value: true }],
      logs: [],
      processID,
      warnings: [`invalid parent: span ${spanId} never arrived; this placeholder stands in for it (${m.children} ${m.children === 1 ? 'child' : 'children'})`],
      edgetrace: { placeholder: true },
    }));
  }
}

const NO_RESOURCE: Resource = { attributes: [] };

export function toJaegerTrace(trace: AssembledTrace, opts?: { partial?: boolean }): JaegerTrace {
  const processes = new Processes();
  const placeholders = new Placeholders();
  const spans = trace.spans.map((s) => {
    const span = toJaegerSpan(s, processes.id(s.service, s.resource));
    placeholders.see(s, span);
    return span;
  });
  spans.push(...placeholders.spans(trace.traceId, processes));
  return {
    traceID: trace.traceId,
    spans,
    processes: processes.map,
    warnings: trace.warnings.length > 0 ? trace.warnings : null,
    partial: opts?.partial ?? false,
    version: trace.version,
    sampling: samplingOf(trace.summary),
  };
}

/**
 * The same Jaeger trace as JSON text, written piece by piece from chunks of spans (as
 * `openTrace` reads them from R2): a 100,000-span trace decoded whole would not fit in a Worker's
 * 128 MB, so the route can stream this into its response instead. Processes follow the spans,
 * since they are known only once every span has been seen (JSON key order does not matter).
 */
export async function* jaegerTraceJson(
  head: TraceHead,
  chunks: Iterable<AssembledSpan[]> | AsyncIterable<AssembledSpan[]>,
  opts?: { partial?: boolean },
): AsyncGenerator<string> {
  const processes = new Processes();
  const placeholders = new Placeholders();
  yield `{"traceID":${JSON.stringify(head.traceId)},"spans":[`;
  let first = true;
  const write = (spans: JaegerSpan[]) => {
    // the chunk's array brackets dropped: its spans join the one `spans` array
    const text = (first ? '' : ',') + JSON.stringify(spans).slice(1, -1);
    first = false;
    return text;
  };
  for await (const chunk of chunks) {
    if (chunk.length === 0) continue;
    yield write(
      chunk.map((s) => {
        const span = toJaegerSpan(s, processes.id(s.service, s.resource));
        placeholders.see(s, span);
        return span;
      }),
    );
  }
  const extra = placeholders.spans(head.traceId, processes);
  if (extra.length > 0) yield write(extra);
  const warnings = head.warnings.length > 0 ? head.warnings : null;
  yield `],"processes":${JSON.stringify(processes.map)},"warnings":${JSON.stringify(warnings)},"partial":${opts?.partial ?? false},"version":${head.version},"sampling":${JSON.stringify(samplingOf(head.summary))}}`;
}

/**
 * The same trace as newline-delimited JSON, for the site: a head line `{traceID, partial, version,
 * sampling}`, then one line per chunk of spans (a JSON array of Jaeger spans, placeholders last),
 * then a tail line `{processes, warnings}`. The site parses each line as it arrives, so a 100,000-
 * span trace (some 90 MB of JSON) is parsed while it downloads rather than after; JSON text never
 * holds a raw newline, so each line is one whole value.
 */
export async function* jaegerTraceLines(
  head: TraceHead,
  chunks: Iterable<AssembledSpan[]> | AsyncIterable<AssembledSpan[]>,
  opts?: { partial?: boolean },
): AsyncGenerator<string> {
  const processes = new Processes();
  const placeholders = new Placeholders();
  yield `${JSON.stringify({ traceID: head.traceId, partial: opts?.partial ?? false, version: head.version, sampling: samplingOf(head.summary) })}\n`;
  for await (const chunk of chunks) {
    if (chunk.length === 0) continue;
    const spans = chunk.map((s) => {
      const span = toJaegerSpan(s, processes.id(s.service, s.resource));
      placeholders.see(s, span);
      return span;
    });
    yield `${JSON.stringify(spans)}\n`;
  }
  const extra = placeholders.spans(head.traceId, processes);
  if (extra.length > 0) yield `${JSON.stringify(extra)}\n`;
  yield `${JSON.stringify({ processes: processes.map, warnings: head.warnings.length > 0 ? head.warnings : null })}\n`;
}
