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
import type { AnyValue, AssembledSpan, AssembledTrace, KeyValue, Resource, SpanEvent, TraceSummary } from '../span/model';
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

/** A tag's Jaeger type and value, written into `out` (reused by the lines writer: no object per tag). */
function tagParts<T extends { type: JaegerTagType; value: string | number | boolean }>(v: AnyValue, out: T): T {
  if ('stringValue' in v) return (out.type = 'string'), (out.value = v.stringValue), out;
  if ('boolValue' in v) return (out.type = 'bool'), (out.value = v.boolValue), out;
  if ('intValue' in v) {
    // Past 2^53 a JSON number would be rounded by every JS client: send the exact digits instead.
    const n = intOrString(String(v.intValue));
    return (out.type = typeof n === 'number' ? 'int64' : 'string'), (out.value = n), out;
  }
  if ('doubleValue' in v) {
    // JSON has no NaN or Infinity.
    const d = v.doubleValue;
    return Number.isFinite(d) ? ((out.type = 'float64'), (out.value = d)) : ((out.type = 'string'), (out.value = String(d))), out;
  }
  if ('bytesValue' in v) return (out.type = 'binary'), (out.value = v.bytesValue), out;
  if ('arrayValue' in v || 'kvlistValue' in v) return (out.type = 'string'), (out.value = JSON.stringify(plain(v))), out;
  return (out.type = 'string'), (out.value = ''), out;
}

export function toJaegerTag(key: string, v: AnyValue): JaegerTag {
  return tagParts(v, { key, type: 'string', value: '' } as JaegerTag);
}

/** Receives tags one by one, so the lines writer can write them without making tag objects. */
type TagSink = (key: string, type: JaegerTagType, value: string | number | boolean) => void;

const scratch: { type: JaegerTagType; value: string | number | boolean } = { type: 'string', value: '' };
function attributeTags(attrs: readonly KeyValue[], add: TagSink): void {
  for (const a of attrs) {
    tagParts(a.value, scratch);
    add(a.key, scratch.type, scratch.value);
  }
}

const tagsOf = (attrs: readonly KeyValue[]): JaegerTag[] => attrs.map((a) => toJaegerTag(a.key, a.value));

/** The span's tags in Jaeger's order: attributes, then the OTLP fields the translator maps to tags. */
function spanTagsInto(s: AssembledSpan, add: TagSink): void {
  attributeTags(s.attributes, add);
  const kind = KIND_NAMES[s.kind];
  if (kind !== undefined) add('span.kind', 'string', kind);
  if (s.status.code === StatusCode.ERROR) {
    add('error', 'bool', true);
    add('otel.status_code', 'string', 'ERROR');
    if (s.status.message) add('otel.status_description', 'string', s.status.message);
  } else if (s.status.code === StatusCode.OK) {
    add('otel.status_code', 'string', 'OK');
  }
  if (s.scope) {
    add('otel.scope.name', 'string', s.scope.name);
    if (s.scope.version) add('otel.scope.version', 'string', s.scope.version);
  }
  if (s.traceState) add('w3c.tracestate', 'string', s.traceState);
  if (s.droppedAttributesCount) add('otel.dropped_attributes_count', 'int64', s.droppedAttributesCount);
  if (s.droppedEventsCount) add('otel.dropped_events_count', 'int64', s.droppedEventsCount);
  if (s.droppedLinksCount) add('otel.dropped_links_count', 'int64', s.droppedLinksCount);
}

/** An event's log fields: its name as `event`, its attributes, its dropped count. */
function eventFieldsInto(e: SpanEvent, add: TagSink): void {
  add('event', 'string', e.name);
  attributeTags(e.attributes, add);
  if (e.droppedAttributesCount) add('otel.dropped_attributes_count', 'int64', e.droppedAttributesCount);
}

function collect(fill: (add: TagSink) => void): JaegerTag[] {
  const tags: JaegerTag[] = [];
  fill((key, type, value) => tags.push({ key, type, value }));
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
  private readonly byKey = new Map<string, number>();
  private readonly byObject = new Map<Resource, { service: string; n: number }>();
  id(service: string, resource: Resource): string {
    return `p${this.number(service, resource)}`;
  }
  /** the N of the process id `pN` */
  number(service: string, resource: Resource): number {
    const known = this.byObject.get(resource);
    if (known !== undefined && known.service === service) return known.n;
    // service.name is the process's serviceName; Jaeger does not repeat it as a tag.
    const attrs = resource.attributes.filter((a) => a.key !== 'service.name');
    const key = JSON.stringify([service, attrs]);
    let n = this.byKey.get(key);
    if (n === undefined) {
      n = this.byKey.size + 1;
      this.byKey.set(key, n);
      this.map[`p${n}`] = { serviceName: service, tags: tagsOf(attrs) };
    }
    this.byObject.set(resource, { service, n });
    return n;
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
    tags: collect((add) => spanTagsInto(s, add)),
    logs: s.events.map((e) => ({ timestamp: toMicros(BigInt(e.timeUnixNano) + skew), fields: collect((add) => eventFieldsInto(e, add)) })),
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

  see(s: AssembledSpan, startTime: number, duration: number): void {
    if (!s.ann?.orphan || !s.parentSpanId) return;
    const end = startTime + duration;
    const m = this.missing.get(s.parentSpanId);
    if (!m) this.missing.set(s.parentSpanId, { start: startTime, end, children: 1 });
    else {
      m.start = Math.min(m.start, startTime);
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
    placeholders.see(s, span.startTime, span.duration);
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
        placeholders.see(s, span.startTime, span.duration);
        return span;
      }),
    );
  }
  const extra = placeholders.spans(head.traceId, processes);
  if (extra.length > 0) yield write(extra);
  const warnings = head.warnings.length > 0 ? head.warnings : null;
  yield `],"processes":${JSON.stringify(processes.map)},"warnings":${JSON.stringify(warnings)},"partial":${opts?.partial ?? false},"version":${head.version},"sampling":${JSON.stringify(samplingOf(head.summary))}}`;
}

// Tag values and operation names that repeat are sent once and then referred to by number. A key
// whose values keep changing (ids, URLs) stops being added after this many; the tables are held
// for the whole response by the Worker (128 MB) and by the page, so their text is bounded too.
const MAX_VALUES_PER_KEY = 256;
const MAX_NAMES = 4096;
const MAX_INTERNED_VALUE_CHARS = 2048;
const MAX_INTERNED_CHARS = 4_000_000;

/**
 * Writes spans in the compact shape of the lines format (read back by web/src/lib/trace-lines.ts):
 *
 *   line  = [head, span, span, …]
 *   head  = {b: base µs, k?: [key, type, …] new keys, t?: [key#, value, …] new tags, n?: [name, …] new names}
 *   span  = [spanID, name or name#, start − b, duration, process N, parent spanID or 0, tags, extra?]
 *   tags  = flat: tag# (≥ 0) for a tag of the table, or −(key# + 1) followed by the value
 *   extra = {t?: traceID when not the trace's, f?: flags when not 1, r?: links as spanID or
 *            [spanID, traceID], l?: [[timestamp − b, tags], …], w?: warnings, e?: edgetrace}
 *
 * Tables are numbered in order of first use across the whole response. This drops what the JSON
 * repeats per span (trace ids, `"type":"string"`, field names, scope tags, known values): a
 * third of the bytes, which the page spends most of its load time receiving and parsing.
 */
class CompactWriter {
  private readonly keyIds: Record<JaegerTagType, Map<string, number>> = {
    string: new Map(),
    bool: new Map(),
    int64: new Map(),
    float64: new Map(),
    binary: new Map(),
  };
  /** by key#: tag# of each interned value, and whether the key takes no more */
  private readonly values: Map<string | number | boolean, number>[] = [];
  private readonly closed: boolean[] = [];
  private tagCount = 0;
  private readonly names = new Map<string, number>();
  private chars = 0;
  private line: unknown[] = [];
  private base = 0;
  private newKeys: (string | number)[] = [];
  private newTags: (string | number | boolean)[] = [];
  private newNames: string[] = [];
  private flat: unknown[] = [];
  private readonly sink: TagSink = (key, type, value) => this.tag(key, type, value);

  constructor(private readonly traceId: string) {}

  private fits(value: string | number | boolean): boolean {
    const n = typeof value === 'string' ? value.length : 8;
    if (n > MAX_INTERNED_VALUE_CHARS || this.chars + n > MAX_INTERNED_CHARS) return false;
    this.chars += n;
    return true;
  }

  private tag(key: string, type: JaegerTagType, value: string | number | boolean): void {
    const ids = this.keyIds[type];
    let k = ids.get(key);
    if (k === undefined) {
      k = this.values.length;
      ids.set(key, k);
      this.values.push(new Map());
      this.closed.push(false);
      this.newKeys.push(key, type);
    }
    const known = this.values[k]!;
    let t = known.get(value);
    if (t === undefined && !this.closed[k]) {
      if (known.size >= MAX_VALUES_PER_KEY) this.closed[k] = true;
      else if (this.fits(value)) {
        t = this.tagCount++;
        known.set(value, t);
        this.newTags.push(k, value);
      }
    }
    if (t !== undefined) this.flat.push(t);
    else this.flat.push(-k - 1, value);
  }

  private tags(fill: (add: TagSink) => void): unknown[] {
    this.flat = [];
    fill(this.sink);
    return this.flat;
  }

  private name(op: string): number | string {
    let n = this.names.get(op);
    if (n === undefined) {
      if (this.names.size >= MAX_NAMES || !this.fits(op)) return op;
      n = this.names.size;
      this.names.set(op, n);
      this.newNames.push(op);
    }
    return n;
  }

  begin(base: number): void {
    this.base = base;
    this.line = [null];
    this.newKeys = [];
    this.newTags = [];
    this.newNames = [];
  }

  /** Writes the span; gives its start and duration in µs (for the placeholders). */
  span(s: AssembledSpan, process: number, out: { startTime: number; duration: number }): void {
    const start = BigInt(s.startTimeUnixNano);
    const skew = s.ann?.skewNanos !== undefined ? BigInt(s.ann.skewNanos) : 0n;
    const end = BigInt(s.endTimeUnixNano);
    const startTime = toMicros(start + skew);
    const duration = toMicros(end > start ? end - start : 0n);
    const base = this.base;
    const row: unknown[] = [s.spanId, this.name(s.name), startTime - base, duration, process, s.parentSpanId ?? 0, this.tags((add) => spanTagsInto(s, add))];
    let extra: Record<string, unknown> | undefined;
    if (s.traceId !== this.traceId) (extra ??= {}).t = s.traceId;
    const flags = s.flags !== undefined ? s.flags & 0xff : 1;
    if (flags !== 1) (extra ??= {}).f = flags;
    if (s.links.length > 0) (extra ??= {}).r = s.links.map((l) => (l.traceId === this.traceId ? l.spanId : [l.spanId, l.traceId]));
    if (s.events.length > 0) {
      (extra ??= {}).l = s.events.map((e) => [toMicros(BigInt(e.timeUnixNano) + skew) - base, this.tags((add) => eventFieldsInto(e, add))]);
    }
    if (s.ann?.warnings && s.ann.warnings.length > 0) (extra ??= {}).w = s.ann.warnings;
    const edge = annotations(s, toMicros(start));
    if (edge) (extra ??= {}).e = edge;
    if (extra) row.push(extra);
    this.line.push(row);
    out.startTime = startTime;
    out.duration = duration;
  }

  /** Writes a placeholder span: a root with no logs, its own trace's, flags 1. */
  placeholder(p: JaegerSpan, process: number): void {
    const tags = this.tags((add) => {
      for (const t of p.tags) add(t.key, t.type, t.value);
    });
    const extra: Record<string, unknown> = {};
    if (p.warnings) extra.w = p.warnings;
    if (p.edgetrace) extra.e = p.edgetrace;
    this.line.push([p.spanID, this.name(p.operationName), p.startTime - this.base, p.duration, process, 0, tags, extra]);
  }

  end(): string {
    const head: Record<string, unknown> = { b: this.base };
    if (this.newKeys.length > 0) head.k = this.newKeys;
    if (this.newTags.length > 0) head.t = this.newTags;
    if (this.newNames.length > 0) head.n = this.newNames;
    this.line[0] = head;
    const text = `${JSON.stringify(this.line)}\n`;
    this.line = [];
    return text;
  }
}

const baseOf = (s: AssembledSpan): number => toMicros(BigInt(s.startTimeUnixNano));

/**
 * The same trace as newline-delimited JSON, for the site: a head line `{traceID, partial, version,
 * sampling}`, then one line per chunk of spans in the compact shape `CompactWriter` describes
 * (placeholders last, on a line of their own), then a tail line `{processes, warnings}`. The site
 * parses each line as it arrives, so a 100,000-span trace is parsed while it downloads rather than
 * after; JSON text never holds a raw newline, so each line is one whole value. Only the site reads
 * this format (Jaeger clients read the plain JSON), so it is free to differ from Jaeger's shape.
 */
export async function* jaegerTraceLines(
  head: TraceHead,
  chunks: Iterable<AssembledSpan[]> | AsyncIterable<AssembledSpan[]>,
  opts?: { partial?: boolean },
): AsyncGenerator<string> {
  const processes = new Processes();
  const placeholders = new Placeholders();
  const writer = new CompactWriter(head.traceId);
  const times = { startTime: 0, duration: 0 };
  yield `${JSON.stringify({ traceID: head.traceId, partial: opts?.partial ?? false, version: head.version, sampling: samplingOf(head.summary) })}\n`;
  for await (const chunk of chunks) {
    if (chunk.length === 0) continue;
    writer.begin(baseOf(chunk[0]!));
    for (const s of chunk) {
      writer.span(s, processes.number(s.service, s.resource), times);
      placeholders.see(s, times.startTime, times.duration);
    }
    yield writer.end();
  }
  const extra = placeholders.spans(head.traceId, processes);
  if (extra.length > 0) {
    writer.begin(extra[0]!.startTime);
    const process = processes.number(MISSING_SPAN_SERVICE, NO_RESOURCE);
    for (const p of extra) writer.placeholder(p, process);
    yield writer.end();
  }
  yield `${JSON.stringify({ processes: processes.map, warnings: head.warnings.length > 0 ? head.warnings : null })}\n`;
}
