/**
 * Encodes spans as OTLP/JSON (`ExportTraceServiceRequest`), what `/api/traces/{id}?format=otlp`
 * returns: the spans exactly as they were received (original times, every attribute type), grouped
 * back under their resource and scope, so the output can be re-sent to any OTLP endpoint.
 */
import type { KeyValue, Resource, Scope, Span } from '../span/model';

export interface OtlpJsonSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  traceState?: string;
  flags?: number;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: KeyValue[];
  droppedAttributesCount?: number;
  events: Span['events'];
  droppedEventsCount?: number;
  links: Span['links'];
  droppedLinksCount?: number;
  status: Span['status'];
}

export interface OtlpJsonRequest {
  resourceSpans: { resource: Resource; scopeSpans: { scope?: Scope; spans: OtlpJsonSpan[] }[] }[];
}

function otlpSpan(s: Span): OtlpJsonSpan {
  const out: OtlpJsonSpan = {
    traceId: s.traceId,
    spanId: s.spanId,
    name: s.name,
    kind: s.kind,
    startTimeUnixNano: s.startTimeUnixNano,
    endTimeUnixNano: s.endTimeUnixNano,
    attributes: s.attributes,
    events: s.events,
    links: s.links,
    status: s.status,
  };
  if (s.parentSpanId) out.parentSpanId = s.parentSpanId;
  if (s.traceState) out.traceState = s.traceState;
  if (s.flags) out.flags = s.flags;
  if (s.droppedAttributesCount) out.droppedAttributesCount = s.droppedAttributesCount;
  if (s.droppedEventsCount) out.droppedEventsCount = s.droppedEventsCount;
  if (s.droppedLinksCount) out.droppedLinksCount = s.droppedLinksCount;
  return out;
}

export function encodeOtlpJson(spans: readonly Span[]): OtlpJsonRequest {
  // Equal resources (and scopes) group together even when they are distinct objects.
  const keyOf = new Map<object, string>();
  const key = (o: object | undefined): string => {
    if (!o) return '';
    let k = keyOf.get(o);
    if (k === undefined) keyOf.set(o, (k = JSON.stringify(o)));
    return k;
  };
  const resources = new Map<string, { resource: Resource; scopes: Map<string, { scope?: Scope; spans: OtlpJsonSpan[] }> }>();
  for (const s of spans) {
    const rk = key(s.resource);
    let r = resources.get(rk);
    if (!r) resources.set(rk, (r = { resource: s.resource, scopes: new Map() }));
    const sk = key(s.scope);
    let sc = r.scopes.get(sk);
    if (!sc) r.scopes.set(sk, (sc = s.scope ? { scope: s.scope, spans: [] } : { spans: [] }));
    sc.spans.push(otlpSpan(s));
  }
  return {
    resourceSpans: [...resources.values()].map((r) => ({ resource: r.resource, scopeSpans: [...r.scopes.values()] })),
  };
}
