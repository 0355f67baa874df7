/**
 * Jaeger JSON ⇄ OTLP/JSON for one trace, so a trace opened from a file can be downloaded in
 * either format and an OTLP file can be opened. Follows the OTLP/JSON mapping: ids as hex,
 * int64 as strings, times in ns as strings (bigint does the µs⇄ns maths: a JS number cannot hold
 * a Unix time in ns).
 */
import type { JaegerLog, JaegerProcess, JaegerSpan, JaegerTag, JaegerTrace, TagValue } from './jaeger';

export type OtlpAnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string | number }
  | { doubleValue: number }
  | { arrayValue: { values?: OtlpAnyValue[] } }
  | { kvlistValue: { values?: OtlpKeyValue[] } }
  | { bytesValue: string }
  | Record<string, never>;

export interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes?: OtlpKeyValue[];
  events?: Array<{ timeUnixNano: string; name: string; attributes?: OtlpKeyValue[] }>;
  links?: Array<{ traceId: string; spanId: string; attributes?: OtlpKeyValue[] }>;
  status?: { code?: number; message?: string };
}

export interface OtlpTraces {
  resourceSpans: Array<{
    resource?: { attributes?: OtlpKeyValue[] };
    scopeSpans?: Array<{ scope?: { name?: string; version?: string }; spans?: OtlpSpan[] }>;
  }>;
}

const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;
// Tags that Jaeger uses to carry OTLP span fields; they go back into those fields, not attributes.
const FIELD_TAGS = new Set(['span.kind', 'otel.status_code', 'otel.status_description', 'error']);

const usToNs = (us: number): string => (BigInt(Math.trunc(us)) * 1000n).toString();
const nsToUs = (ns: string | number): number => Number(BigInt(String(ns)) / 1000n);

function toAny(t: JaegerTag): OtlpAnyValue {
  const v = t.value;
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') {
    return Number.isInteger(v) && t.type !== 'float64' ? { intValue: String(v) } : { doubleValue: v };
  }
  return { stringValue: v };
}

function fromAny(v: OtlpAnyValue | undefined): { value: TagValue; type: string } {
  if (!v) return { value: '', type: 'string' };
  if ('stringValue' in v) return { value: v.stringValue, type: 'string' };
  if ('boolValue' in v) return { value: v.boolValue, type: 'bool' };
  if ('intValue' in v) return { value: Number(v.intValue), type: 'int64' };
  if ('doubleValue' in v) return { value: v.doubleValue, type: 'float64' };
  if ('bytesValue' in v) return { value: v.bytesValue, type: 'binary' };
  return { value: JSON.stringify(v), type: 'string' };
}

const toKvs = (tags: JaegerTag[]): OtlpKeyValue[] => tags.map((t) => ({ key: t.key, value: toAny(t) }));
const fromKvs = (kvs: OtlpKeyValue[] | undefined): JaegerTag[] =>
  (kvs ?? []).map((kv) => ({ key: kv.key, ...fromAny(kv.value) }));

function otlpSpan(s: JaegerSpan): OtlpSpan {
  const parent = s.references.find((r) => r.refType === 'CHILD_OF');
  const kindTag = String(s.tags.find((t) => t.key === 'span.kind')?.value ?? '');
  const kind = Math.max(0, KINDS.indexOf(kindTag as (typeof KINDS)[number]));
  const statusTag = s.tags.find((t) => t.key === 'otel.status_code')?.value;
  const isError = statusTag === 'ERROR' || s.tags.some((t) => t.key === 'error' && (t.value === true || t.value === 'true'));
  const message = s.tags.find((t) => t.key === 'otel.status_description')?.value;
  const out: OtlpSpan = {
    traceId: s.traceID,
    spanId: s.spanID,
    name: s.operationName,
    kind,
    startTimeUnixNano: usToNs(s.startTime),
    endTimeUnixNano: usToNs(s.startTime + s.duration),
    attributes: toKvs(s.tags.filter((t) => !FIELD_TAGS.has(t.key))),
    events: s.logs.map((l) => ({
      timeUnixNano: usToNs(l.timestamp),
      name: String(l.fields.find((f) => f.key === 'event')?.value ?? ''),
      attributes: toKvs(l.fields.filter((f) => f.key !== 'event')),
    })),
    links: s.references.filter((r) => r !== parent).map((r) => ({ traceId: r.traceID, spanId: r.spanID })),
    status: isError ? { code: 2, ...(message !== undefined ? { message: String(message) } : {}) } : statusTag === 'OK' ? { code: 1 } : { code: 0 },
  };
  if (parent) out.parentSpanId = parent.spanID;
  return out;
}

export function jaegerToOtlp(trace: JaegerTrace): OtlpTraces {
  const byProcess = new Map<string, JaegerSpan[]>();
  for (const s of trace.spans) {
    const l = byProcess.get(s.processID) ?? [];
    l.push(s);
    byProcess.set(s.processID, l);
  }
  return {
    resourceSpans: [...byProcess].map(([pid, spans]) => {
      const p: JaegerProcess = trace.processes[pid] ?? { serviceName: 'unknown_service', tags: [] };
      return {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: p.serviceName } }, ...toKvs(p.tags.filter((t) => t.key !== 'service.name'))] },
        scopeSpans: [{ scope: { name: 'edgetrace' }, spans: spans.map(otlpSpan) }],
      };
    }),
  };
}

function jaegerSpan(s: OtlpSpan, processID: string): JaegerSpan {
  const tags = fromKvs(s.attributes);
  const kind = KINDS[s.kind ?? 0];
  if (kind && kind !== 'unspecified') tags.push({ key: 'span.kind', type: 'string', value: kind });
  const code = s.status?.code ?? 0;
  if (code === 2) {
    tags.push({ key: 'error', type: 'bool', value: true });
    tags.push({ key: 'otel.status_code', type: 'string', value: 'ERROR' });
    if (s.status?.message) tags.push({ key: 'otel.status_description', type: 'string', value: s.status.message });
  } else if (code === 1) tags.push({ key: 'otel.status_code', type: 'string', value: 'OK' });
  const start = nsToUs(s.startTimeUnixNano);
  const logs: JaegerLog[] = (s.events ?? []).map((e) => ({
    timestamp: nsToUs(e.timeUnixNano),
    fields: [{ key: 'event', type: 'string', value: e.name }, ...fromKvs(e.attributes)],
  }));
  const references = [
    ...(s.parentSpanId ? [{ refType: 'CHILD_OF', traceID: s.traceId, spanID: s.parentSpanId }] : []),
    ...(s.links ?? []).map((l) => ({ refType: 'FOLLOWS_FROM', traceID: l.traceId, spanID: l.spanId })),
  ];
  return {
    traceID: s.traceId,
    spanID: s.spanId,
    operationName: s.name,
    references,
    startTime: start,
    duration: Math.max(0, nsToUs(s.endTimeUnixNano) - start),
    tags,
    logs,
    processID,
    warnings: null,
  };
}

/** OTLP/JSON → one Jaeger trace per traceId, in order of first appearance. */
export function otlpToJaeger(data: OtlpTraces): JaegerTrace[] {
  const traces = new Map<string, JaegerTrace>();
  data.resourceSpans.forEach((rs, ri) => {
    const attrs = fromKvs(rs.resource?.attributes);
    const serviceName = String(attrs.find((t) => t.key === 'service.name')?.value ?? 'unknown_service');
    const processID = `p${ri + 1}`;
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        let t = traces.get(s.traceId);
        if (!t) {
          t = { traceID: s.traceId, spans: [], processes: {} };
          traces.set(s.traceId, t);
        }
        t.processes[processID] = { serviceName, tags: attrs.filter((a) => a.key !== 'service.name') };
        t.spans.push(jaegerSpan(s, processID));
      }
    }
  });
  return [...traces.values()];
}
