/**
 * OTLP/protobuf (`opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest`) → the internal
 * span model, read straight off the wire. Unknown fields are skipped, as protobuf requires. A body
 * whose framing is broken is refused whole (DecodeError); a span whose own bytes or fields are
 * wrong is refused alone, with its path, and the rest of the request is kept.
 *
 * Field numbers follow opentelemetry-proto v1 (trace.proto, common.proto, resource.proto).
 */
import { DecodeError, FieldError, joinPath } from './decode-error';
import { resolveOptions, type DecodeOptions, type ResolvedOptions } from './limits';
import { Reader, WireError, WireType } from './protobuf-reader';
import { checkCount, checkLength, checkParentId, checkSpan, checkSpanId, checkTraceId } from './span-check';
import type {
  AnyValue,
  DecodeResult,
  KeyValue,
  Resource,
  Scope,
  Span,
  SpanEvent,
  SpanKind,
  SpanLink,
  SpanRejection,
  StatusCode,
  UnixNanos,
} from '../span/model';

/** Reads a KeyValue list entry by entry, counting against the limit. */
function keyValue(r: Reader, field: string, opts: ResolvedOptions, depth: number): KeyValue {
  let key = '';
  let value: AnyValue = {};
  while (!r.done) {
    const tag = r.uint32();
    const num = tag >>> 3;
    if (num === 1 && (tag & 7) === WireType.LEN) key = r.string();
    else if (num === 2 && (tag & 7) === WireType.LEN) value = anyValue(r.sub(), `${field}.value`, opts, depth);
    else r.skip(tag & 7);
  }
  checkLength(key, opts.limits.maxNameLength, `${field}.key`);
  return { key, value };
}

function anyValue(r: Reader, field: string, opts: ResolvedOptions, depth: number): AnyValue {
  if (depth > opts.limits.maxValueDepth) throw new FieldError(field, `nests deeper than the limit of ${opts.limits.maxValueDepth}`);
  let value: AnyValue = {};
  while (!r.done) {
    const tag = r.uint32();
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1:
        if (wire !== WireType.LEN) break;
        value = { stringValue: checkLength(r.string(), opts.limits.maxValueLength, `${field}.stringValue`) };
        continue;
      case 2:
        if (wire !== WireType.VARINT) break;
        value = { boolValue: r.bool() };
        continue;
      case 3:
        if (wire !== WireType.VARINT) break;
        value = { intValue: r.int64String() };
        continue;
      case 4: {
        if (wire !== WireType.FIXED64) break;
        const d = r.double();
        // JSON (our storage) cannot hold the non-finite doubles as numbers
        value = Number.isFinite(d) ? { doubleValue: d } : { stringValue: String(d) };
        continue;
      }
      case 5: {
        if (wire !== WireType.LEN) break;
        const a = r.sub();
        const values: AnyValue[] = [];
        while (!a.done) {
          const t = a.uint32();
          if (t >>> 3 === 1 && (t & 7) === WireType.LEN) {
            values.push(anyValue(a.sub(), `${field}.arrayValue.values[${values.length}]`, opts, depth + 1));
            checkCount(values.length, opts.limits.maxAttributes, `${field}.arrayValue.values`);
          } else a.skip(t & 7);
        }
        value = { arrayValue: { values } };
        continue;
      }
      case 6: {
        if (wire !== WireType.LEN) break;
        value = { kvlistValue: { values: keyValues(r.sub(), `${field}.kvlistValue.values`, opts, depth + 1) } };
        continue;
      }
      case 7: {
        if (wire !== WireType.LEN) break;
        const b64 = toBase64(r.bytes());
        value = { bytesValue: checkLength(b64, opts.limits.maxValueLength, `${field}.bytesValue`) };
        continue;
      }
    }
    r.skip(wire);
  }
  return value;
}

/** A message whose field 1 is `repeated KeyValue` (KeyValueList). */
function keyValues(r: Reader, field: string, opts: ResolvedOptions, depth: number): KeyValue[] {
  const out: KeyValue[] = [];
  while (!r.done) {
    const t = r.uint32();
    if (t >>> 3 === 1 && (t & 7) === WireType.LEN) {
      out.push(keyValue(r.sub(), `${field}[${out.length}]`, opts, depth));
      checkCount(out.length, opts.limits.maxAttributes, field);
    } else r.skip(t & 7);
  }
  return out;
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return btoa(s);
}

/** Appends one KeyValue (the payload of a `repeated KeyValue` field) to `list`. */
function pushAttribute(r: Reader, list: KeyValue[], field: string, opts: ResolvedOptions): void {
  list.push(keyValue(r.sub(), `${field}[${list.length}]`, opts, 1));
  checkCount(list.length, opts.limits.maxAttributes, field);
}

function resourceOf(r: Reader, opts: ResolvedOptions): { resource: Resource; service: string } {
  const attributes: KeyValue[] = [];
  let dropped = 0;
  while (!r.done) {
    const tag = r.uint32();
    const num = tag >>> 3;
    if (num === 1 && (tag & 7) === WireType.LEN) pushAttribute(r, attributes, 'resource.attributes', opts);
    else if (num === 2 && (tag & 7) === WireType.VARINT) dropped = r.uint32();
    else r.skip(tag & 7);
  }
  const name = attributes.find((a) => a.key === 'service.name')?.value;
  const service = name && 'stringValue' in name && name.stringValue ? name.stringValue : 'unknown_service';
  return { resource: dropped ? { attributes, droppedAttributesCount: dropped } : { attributes }, service };
}

function scopeOf(r: Reader, opts: ResolvedOptions): Scope {
  const scope: Scope = { name: '' };
  const attributes: KeyValue[] = [];
  while (!r.done) {
    const tag = r.uint32();
    const wire = tag & 7;
    const num = tag >>> 3;
    if (num === 1 && wire === WireType.LEN) scope.name = checkLength(r.string(), opts.limits.maxNameLength, 'scope.name');
    else if (num === 2 && wire === WireType.LEN) scope.version = checkLength(r.string(), opts.limits.maxNameLength, 'scope.version');
    else if (num === 3 && wire === WireType.LEN) pushAttribute(r, attributes, 'scope.attributes', opts);
    else if (num === 4 && wire === WireType.VARINT) scope.droppedAttributesCount = r.uint32() || undefined;
    else r.skip(wire);
  }
  if (!scope.version) delete scope.version;
  if (!scope.droppedAttributesCount) delete scope.droppedAttributesCount;
  if (attributes.length) scope.attributes = attributes;
  return scope;
}

function eventOf(r: Reader, field: string, opts: ResolvedOptions): SpanEvent {
  const event: SpanEvent = { timeUnixNano: '0' as UnixNanos, name: '', attributes: [] };
  while (!r.done) {
    const tag = r.uint32();
    const wire = tag & 7;
    const num = tag >>> 3;
    if (num === 1 && wire === WireType.FIXED64) event.timeUnixNano = r.fixed64String() as UnixNanos;
    else if (num === 2 && wire === WireType.LEN) event.name = checkLength(r.string(), opts.limits.maxNameLength, `${field}.name`);
    else if (num === 3 && wire === WireType.LEN) pushAttribute(r, event.attributes, `${field}.attributes`, opts);
    else if (num === 4 && wire === WireType.VARINT) event.droppedAttributesCount = r.uint32() || undefined;
    else r.skip(wire);
  }
  if (!event.droppedAttributesCount) delete event.droppedAttributesCount;
  return event;
}

function linkOf(r: Reader, field: string, opts: ResolvedOptions): SpanLink {
  let traceId = '';
  let spanId = '';
  const link = { attributes: [] as KeyValue[] } as SpanLink;
  while (!r.done) {
    const tag = r.uint32();
    const wire = tag & 7;
    const num = tag >>> 3;
    if (num === 1 && wire === WireType.LEN) traceId = r.hex();
    else if (num === 2 && wire === WireType.LEN) spanId = r.hex();
    else if (num === 3 && wire === WireType.LEN) link.traceState = checkLength(r.string(), opts.limits.maxValueLength, `${field}.traceState`) || undefined;
    else if (num === 4 && wire === WireType.LEN) pushAttribute(r, link.attributes, `${field}.attributes`, opts);
    else if (num === 5 && wire === WireType.VARINT) link.droppedAttributesCount = r.uint32() || undefined;
    else if (num === 6 && wire === WireType.FIXED32) link.flags = r.fixed32() || undefined;
    else r.skip(wire);
  }
  const out: SpanLink = { traceId: checkTraceId(traceId, `${field}.traceId`), spanId: checkSpanId(spanId, `${field}.spanId`), attributes: link.attributes };
  if (link.traceState) out.traceState = link.traceState;
  if (link.droppedAttributesCount) out.droppedAttributesCount = link.droppedAttributesCount;
  if (link.flags) out.flags = link.flags;
  return out;
}

function statusOf(r: Reader, opts: ResolvedOptions): { code: StatusCode; message?: string } {
  let code = 0;
  let message = '';
  while (!r.done) {
    const tag = r.uint32();
    const wire = tag & 7;
    const num = tag >>> 3;
    if (num === 2 && wire === WireType.LEN) message = checkLength(r.string(), opts.limits.maxValueLength, 'status.message');
    else if (num === 3 && wire === WireType.VARINT) code = r.uint32();
    else r.skip(wire);
  }
  if (code > 2) throw new FieldError('status.code', `must be 0 (unset), 1 (ok) or 2 (error), got ${code}`);
  return message ? { code: code as StatusCode, message } : { code: code as StatusCode };
}

function spanOf(r: Reader, resource: Resource, service: string, scope: Scope | undefined, opts: ResolvedOptions): Span {
  const { limits } = opts;
  let traceId = '';
  let spanId = '';
  let parent = '';
  let kind = 0;
  let start = '';
  let end = '';
  const span = { name: '', service, resource, attributes: [] as KeyValue[], events: [] as SpanEvent[], links: [] as SpanLink[], status: { code: 0 } } as Span;
  while (!r.done) {
    const tag = r.uint32();
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1:
        if (wire !== WireType.LEN) break;
        traceId = r.hex();
        continue;
      case 2:
        if (wire !== WireType.LEN) break;
        spanId = r.hex();
        continue;
      case 3:
        if (wire !== WireType.LEN) break;
        span.traceState = checkLength(r.string(), limits.maxValueLength, 'traceState');
        continue;
      case 4:
        if (wire !== WireType.LEN) break;
        parent = r.hex();
        continue;
      case 5:
        if (wire !== WireType.LEN) break;
        span.name = r.string();
        continue;
      case 6:
        if (wire !== WireType.VARINT) break;
        kind = r.uint32();
        continue;
      case 7:
        if (wire !== WireType.FIXED64) break;
        start = r.fixed64String();
        continue;
      case 8:
        if (wire !== WireType.FIXED64) break;
        end = r.fixed64String();
        continue;
      case 9:
        if (wire !== WireType.LEN) break;
        pushAttribute(r, span.attributes, 'attributes', opts);
        continue;
      case 10:
        if (wire !== WireType.VARINT) break;
        span.droppedAttributesCount = r.uint32();
        continue;
      case 11:
        if (wire !== WireType.LEN) break;
        span.events.push(eventOf(r.sub(), `events[${span.events.length}]`, opts));
        checkCount(span.events.length, limits.maxEvents, 'events');
        continue;
      case 12:
        if (wire !== WireType.VARINT) break;
        span.droppedEventsCount = r.uint32();
        continue;
      case 13:
        if (wire !== WireType.LEN) break;
        span.links.push(linkOf(r.sub(), `links[${span.links.length}]`, opts));
        checkCount(span.links.length, limits.maxLinks, 'links');
        continue;
      case 14:
        if (wire !== WireType.VARINT) break;
        span.droppedLinksCount = r.uint32();
        continue;
      case 15:
        if (wire !== WireType.LEN) break;
        span.status = statusOf(r.sub(), opts);
        continue;
      case 16:
        if (wire !== WireType.FIXED32) break;
        span.flags = r.fixed32();
        continue;
    }
    r.skip(wire);
  }
  span.traceId = checkTraceId(traceId, 'traceId');
  span.spanId = checkSpanId(spanId, 'spanId');
  const parentId = checkParentId(parent, 'parentSpanId');
  if (parentId) span.parentSpanId = parentId;
  if (kind > 5) throw new FieldError('kind', `must be 0 to 5 (unspecified, internal, server, client, producer, consumer), got ${kind}`);
  span.kind = kind as SpanKind;
  if (!start) throw new FieldError('startTimeUnixNano', 'is missing');
  if (!end) throw new FieldError('endTimeUnixNano', 'is missing');
  span.startTimeUnixNano = start as UnixNanos;
  span.endTimeUnixNano = end as UnixNanos;
  if (scope) span.scope = scope;
  for (const key of ['traceState', 'flags', 'droppedAttributesCount', 'droppedEventsCount', 'droppedLinksCount'] as const) if (!span[key]) delete span[key];
  return checkSpan(span, opts);
}

/** One ResourceSpans: its resource first (wherever it sits in the bytes), then each ScopeSpans. */
function resourceSpans(r: Reader, path: string, opts: ResolvedOptions, out: DecodeResult, counted: { n: number }): void {
  let resourceReader: Reader | undefined;
  const scopeReaders: Reader[] = [];
  while (!r.done) {
    const tag = r.uint32();
    const num = tag >>> 3;
    if (num === 1 && (tag & 7) === WireType.LEN) resourceReader = r.sub();
    else if (num === 2 && (tag & 7) === WireType.LEN) scopeReaders.push(r.sub());
    else r.skip(tag & 7);
  }
  // A span list per scope: the raw span messages, sliced before any is decoded.
  const scopes = scopeReaders.map((sr, s) => {
    let scopeReader: Reader | undefined;
    const spanReaders: Reader[] = [];
    while (!sr.done) {
      const tag = sr.uint32();
      const num = tag >>> 3;
      if (num === 1 && (tag & 7) === WireType.LEN) scopeReader = sr.sub();
      else if (num === 2 && (tag & 7) === WireType.LEN) spanReaders.push(sr.sub());
      else sr.skip(tag & 7);
    }
    counted.n += spanReaders.length;
    if (counted.n > opts.limits.maxSpansPerRequest)
      throw new DecodeError(`the request holds more than ${opts.limits.maxSpansPerRequest} spans, the limit a request: send smaller batches`, '', 413);
    return { path: `${path}.scopeSpans[${s}]`, scopeReader, spanReaders };
  });

  let res: { resource: Resource; service: string };
  try {
    res = resourceReader ? resourceOf(resourceReader, opts) : { resource: { attributes: [] }, service: 'unknown_service' };
  } catch (err) {
    const { field, message } = spanFault(err);
    for (const s of scopes) for (let i = 0; i < s.spanReaders.length; i++) out.rejected.push({ path: joinPath(path, field), message });
    return;
  }
  for (const s of scopes) {
    let scope: Scope | undefined;
    try {
      scope = s.scopeReader ? scopeOf(s.scopeReader, opts) : undefined;
    } catch (err) {
      const { field, message } = spanFault(err);
      for (let i = 0; i < s.spanReaders.length; i++) out.rejected.push({ path: joinPath(s.path, field), message });
      continue;
    }
    for (let i = 0; i < s.spanReaders.length; i++) {
      try {
        out.spans.push(spanOf(s.spanReaders[i]!, res.resource, res.service, scope, opts));
      } catch (err) {
        const { field, message } = spanFault(err);
        out.rejected.push({ path: joinPath(`${s.path}.spans[${i}]`, field), message });
      }
    }
  }
}

/** A fault inside one span (or its resource/scope): which field, and why. */
function spanFault(err: unknown): { field: string; message: string } {
  if (err instanceof FieldError) return { field: err.field, message: err.message };
  if (err instanceof WireError) return { field: '', message: `malformed protobuf: ${err.message}` };
  throw err;
}

/** Decodes an OTLP/protobuf request body. Throws DecodeError only when the body as a whole is unusable. */
export function decodeOtlpProtobuf(body: Uint8Array, options?: DecodeOptions): DecodeResult {
  const opts = resolveOptions(options);
  const out: DecodeResult = { spans: [], rejected: [] };
  const counted = { n: 0 };
  const r = new Reader(body);
  let index = 0;
  try {
    while (!r.done) {
      const tag = r.uint32();
      if (tag >>> 3 === 1 && (tag & 7) === WireType.LEN) resourceSpans(r.sub(), `resourceSpans[${index++}]`, opts, out, counted);
      else r.skip(tag & 7);
    }
  } catch (err) {
    if (err instanceof WireError) throw new DecodeError(`the body is not a valid OTLP protobuf ExportTraceServiceRequest: ${err.message}`, index ? `resourceSpans[${index - 1}]` : '');
    throw err;
  }
  return out;
}
