/**
 * OTLP/protobuf (`opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest`) → the internal
 * span model, read straight off the wire. Unknown fields are skipped, as protobuf requires. A body
 * whose framing is broken is refused whole (DecodeError); a span whose own bytes or fields are
 * wrong is refused alone, with its path, and the rest of the request is kept. Attributes, events,
 * links and array/kvlist values are counted against the request's budget as they are met, so a body
 * of many cheap items is refused (413) before its decoded form outgrows the Worker's memory.
 *
 * Every message is read in place by one cursor over the body (no reader or slice per message, the
 * spans located as offsets before any is decoded), and no path string is built unless something is
 * wrong: `prefix` adds the path on the way out of an error.
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
  SpanId,
  SpanLink,
  StatusCode,
  TraceId,
  UnixNanos,
} from '../span/model';

/** The KeyValue message at the cursor. */
function keyValue(r: Reader, opts: ResolvedOptions, depth: number): KeyValue {
  const outer = r.enter();
  let key = '';
  let value: AnyValue | undefined;
  while (r.pos < r.end) {
    const tag = r.uint32();
    const num = tag >>> 3;
    if (num === 1 && (tag & 7) === WireType.LEN) key = r.string();
    else if (num === 2 && (tag & 7) === WireType.LEN) {
      try {
        value = anyValue(r, opts, depth);
      } catch (err) {
        throw prefix('value', err);
      }
    } else r.skip(tag & 7);
  }
  r.leave(outer);
  checkLength(key, opts.limits.maxNameLength, 'key');
  return { key, value: value ?? {} };
}

/** The AnyValue message at the cursor. */
function anyValue(r: Reader, opts: ResolvedOptions, depth: number): AnyValue {
  if (depth > opts.limits.maxValueDepth) throw new FieldError('', `nests deeper than the limit of ${opts.limits.maxValueDepth}`);
  const outer = r.enter();
  let value: AnyValue | undefined;
  while (r.pos < r.end) {
    const tag = r.uint32();
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1:
        if (wire !== WireType.LEN) break;
        value = { stringValue: checkLength(r.string(), opts.limits.maxValueLength, 'stringValue') };
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
        const values: AnyValue[] = [];
        const arrayEnd = r.enter();
        while (r.pos < r.end) {
          const t = r.uint32();
          if (t >>> 3 === 1 && (t & 7) === WireType.LEN) {
            opts.budget.take(1);
            try {
              values.push(anyValue(r, opts, depth + 1));
            } catch (err) {
              throw prefix(`arrayValue.values[${values.length}]`, err);
            }
            checkCount(values.length, opts.limits.maxAttributes, 'arrayValue.values');
          } else r.skip(t & 7);
        }
        r.leave(arrayEnd);
        value = { arrayValue: { values } };
        continue;
      }
      case 6: {
        if (wire !== WireType.LEN) break;
        const listEnd = r.enter();
        let values: KeyValue[];
        try {
          values = keyValues(r, opts, depth + 1);
        } catch (err) {
          throw prefix('kvlistValue.values', err);
        }
        r.leave(listEnd);
        value = { kvlistValue: { values } };
        continue;
      }
      case 7: {
        if (wire !== WireType.LEN) break;
        value = { bytesValue: checkLength(toBase64(r.bytes()), opts.limits.maxValueLength, 'bytesValue') };
        continue;
      }
    }
    r.skip(wire);
  }
  r.leave(outer);
  return value ?? {};
}

/** The fields of a KeyValueList the reader is inside: field 1 is `repeated KeyValue`. */
function keyValues(r: Reader, opts: ResolvedOptions, depth: number): KeyValue[] {
  const out: KeyValue[] = [];
  while (r.pos < r.end) {
    const t = r.uint32();
    if (t >>> 3 === 1 && (t & 7) === WireType.LEN) {
      opts.budget.take(1);
      try {
        out.push(keyValue(r, opts, depth));
      } catch (err) {
        throw prefix(`[${out.length}]`, err);
      }
      checkCount(out.length, opts.limits.maxAttributes, '');
    } else r.skip(t & 7);
  }
  return out;
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return btoa(s);
}

/** Appends the KeyValue at the cursor (one entry of a `repeated KeyValue` field) to `list`. */
function pushAttribute(r: Reader, list: KeyValue[], field: string, opts: ResolvedOptions): void {
  opts.budget.take(1);
  try {
    list.push(keyValue(r, opts, 1));
  } catch (err) {
    throw prefix(`${field}[${list.length}]`, err);
  }
  checkCount(list.length, opts.limits.maxAttributes, field);
}

/** The error with `field` put in front of the path a FieldError names. */
function prefix(field: string, err: unknown): unknown {
  return err instanceof FieldError ? new FieldError(joinPath(field, err.field), err.message) : err;
}

/** The Resource message in [start, end). */
function resourceOf(r: Reader, start: number, end: number, opts: ResolvedOptions): { resource: Resource; service: string } {
  r.moveTo(start, end);
  const attributes: KeyValue[] = [];
  let dropped = 0;
  while (r.pos < r.end) {
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

/** The InstrumentationScope message in [start, end). */
function scopeOf(r: Reader, start: number, end: number, opts: ResolvedOptions): Scope {
  r.moveTo(start, end);
  const scope: Scope = { name: '' };
  const attributes: KeyValue[] = [];
  while (r.pos < r.end) {
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

/** The Span.Event message at the cursor; fields are named relative to the event. */
function eventOf(r: Reader, opts: ResolvedOptions): SpanEvent {
  const outer = r.enter();
  let time = '0';
  let name = '';
  let dropped = 0;
  const attributes: KeyValue[] = [];
  while (r.pos < r.end) {
    const tag = r.uint32();
    const wire = tag & 7;
    const num = tag >>> 3;
    if (num === 1 && wire === WireType.FIXED64) time = r.fixed64String();
    else if (num === 2 && wire === WireType.LEN) name = checkLength(r.string(), opts.limits.maxNameLength, 'name');
    else if (num === 3 && wire === WireType.LEN) pushAttribute(r, attributes, 'attributes', opts);
    else if (num === 4 && wire === WireType.VARINT) dropped = r.uint32();
    else r.skip(wire);
  }
  r.leave(outer);
  const event: SpanEvent = { timeUnixNano: time as UnixNanos, name, attributes };
  if (dropped) event.droppedAttributesCount = dropped;
  return event;
}

/** The Span.Link message at the cursor; fields are named relative to the link. */
function linkOf(r: Reader, opts: ResolvedOptions): SpanLink {
  const outer = r.enter();
  let traceId = '';
  let spanId = '';
  let traceState = '';
  let dropped = 0;
  let flags = 0;
  const attributes: KeyValue[] = [];
  while (r.pos < r.end) {
    const tag = r.uint32();
    const wire = tag & 7;
    const num = tag >>> 3;
    if (num === 1 && wire === WireType.LEN) traceId = r.hex();
    else if (num === 2 && wire === WireType.LEN) spanId = r.hex();
    else if (num === 3 && wire === WireType.LEN) traceState = checkLength(r.string(), opts.limits.maxValueLength, 'traceState');
    else if (num === 4 && wire === WireType.LEN) pushAttribute(r, attributes, 'attributes', opts);
    else if (num === 5 && wire === WireType.VARINT) dropped = r.uint32();
    else if (num === 6 && wire === WireType.FIXED32) flags = r.fixed32();
    else r.skip(wire);
  }
  r.leave(outer);
  const link: SpanLink = { traceId: checkTraceId(traceId, 'traceId'), spanId: checkSpanId(spanId, 'spanId'), attributes };
  if (traceState) link.traceState = traceState;
  if (dropped) link.droppedAttributesCount = dropped;
  if (flags) link.flags = flags;
  return link;
}

/** The Status message at the cursor. */
function statusOf(r: Reader, opts: ResolvedOptions): { code: StatusCode; message?: string } {
  const outer = r.enter();
  let code = 0;
  let message = '';
  while (r.pos < r.end) {
    const tag = r.uint32();
    const wire = tag & 7;
    const num = tag >>> 3;
    if (num === 2 && wire === WireType.LEN) message = checkLength(r.string(), opts.limits.maxValueLength, 'status.message');
    else if (num === 3 && wire === WireType.VARINT) code = r.uint32();
    else r.skip(wire);
  }
  r.leave(outer);
  if (code > 2) throw new FieldError('status.code', `must be 0 (unset), 1 (ok) or 2 (error), got ${code}`);
  return message ? { code: code as StatusCode, message } : { code: code as StatusCode };
}

// Ids come from `Reader.hex`, so they are lower-case hex of twice their byte length: a trace id of
// 32 characters that is not all zero is valid, and only the others need the full check (which
// gives the refusal its message).
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

/** The Span message in [start, end). */
function spanOf(r: Reader, start: number, end: number, resource: Resource, service: string, scope: Scope | undefined, opts: ResolvedOptions): Span {
  r.moveTo(start, end);
  const { limits } = opts;
  let traceId = '';
  let spanId = '';
  let parent = '';
  let traceState = '';
  let flags = 0;
  let name = '';
  let kind = 0;
  let startTime = '';
  let endTime = '';
  let droppedAttributes = 0;
  let droppedEvents = 0;
  let droppedLinks = 0;
  let status: Span['status'] | undefined;
  const attributes: KeyValue[] = [];
  const events: SpanEvent[] = [];
  const links: SpanLink[] = [];
  while (r.pos < r.end) {
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
        traceState = checkLength(r.string(), limits.maxValueLength, 'traceState');
        continue;
      case 4:
        if (wire !== WireType.LEN) break;
        parent = r.hex();
        continue;
      case 5:
        if (wire !== WireType.LEN) break;
        name = r.string();
        continue;
      case 6:
        if (wire !== WireType.VARINT) break;
        kind = r.uint32();
        continue;
      case 7:
        if (wire !== WireType.FIXED64) break;
        startTime = r.fixed64String();
        continue;
      case 8:
        if (wire !== WireType.FIXED64) break;
        endTime = r.fixed64String();
        continue;
      case 9:
        if (wire !== WireType.LEN) break;
        pushAttribute(r, attributes, 'attributes', opts);
        continue;
      case 10:
        if (wire !== WireType.VARINT) break;
        droppedAttributes = r.uint32();
        continue;
      case 11:
        if (wire !== WireType.LEN) break;
        opts.budget.take(1);
        try {
          events.push(eventOf(r, opts));
        } catch (err) {
          throw prefix(`events[${events.length}]`, err);
        }
        checkCount(events.length, limits.maxEvents, 'events');
        continue;
      case 12:
        if (wire !== WireType.VARINT) break;
        droppedEvents = r.uint32();
        continue;
      case 13:
        if (wire !== WireType.LEN) break;
        opts.budget.take(1);
        try {
          links.push(linkOf(r, opts));
        } catch (err) {
          throw prefix(`links[${links.length}]`, err);
        }
        checkCount(links.length, limits.maxLinks, 'links');
        continue;
      case 14:
        if (wire !== WireType.VARINT) break;
        droppedLinks = r.uint32();
        continue;
      case 15:
        if (wire !== WireType.LEN) break;
        status = statusOf(r, opts);
        continue;
      case 16:
        if (wire !== WireType.FIXED32) break;
        flags = r.fixed32();
        continue;
    }
    r.skip(wire);
  }
  if (kind > 5) throw new FieldError('kind', `must be 0 to 5 (unspecified, internal, server, client, producer, consumer), got ${kind}`);
  if (!startTime) throw new FieldError('startTimeUnixNano', 'is missing');
  if (!endTime) throw new FieldError('endTimeUnixNano', 'is missing');
  // One object literal, optional fields added after: every span gets the same shape.
  const span: Span = {
    traceId: traceId.length === 32 && traceId !== ZERO_TRACE_ID ? (traceId as TraceId) : checkTraceId(traceId, 'traceId'),
    spanId: spanId.length === 16 && spanId !== ZERO_SPAN_ID ? (spanId as SpanId) : checkSpanId(spanId, 'spanId'),
    name,
    kind: kind as SpanKind,
    service,
    resource,
    startTimeUnixNano: startTime as UnixNanos,
    endTimeUnixNano: endTime as UnixNanos,
    attributes,
    events,
    links,
    status: status ?? { code: 0 },
  };
  const parentId = parent.length === 16 && parent !== ZERO_SPAN_ID ? (parent as SpanId) : checkParentId(parent, 'parentSpanId');
  if (parentId) span.parentSpanId = parentId;
  if (scope) span.scope = scope;
  if (traceState) span.traceState = traceState;
  if (flags) span.flags = flags;
  if (droppedAttributes) span.droppedAttributesCount = droppedAttributes;
  if (droppedEvents) span.droppedEventsCount = droppedEvents;
  if (droppedLinks) span.droppedLinksCount = droppedLinks;
  return checkSpan(span, opts);
}

/** A ScopeSpans message sliced: where its scope is, and its raw span messages as [start, end) pairs. */
interface ScopeSlices {
  path: string;
  scopeStart: number;
  scopeEnd: number;
  spans: number[];
}

/** The ResourceSpans message in [start, end): its resource first (wherever it sits in the bytes), then each ScopeSpans. */
function resourceSpans(r: Reader, start: number, end: number, path: string, opts: ResolvedOptions, out: DecodeResult, counted: { n: number }): void {
  r.moveTo(start, end);
  let resourceStart = -1;
  let resourceEnd = -1;
  const scopeBounds: number[] = [];
  while (r.pos < r.end) {
    const tag = r.uint32();
    const num = tag >>> 3;
    if ((num === 1 || num === 2) && (tag & 7) === WireType.LEN) {
      const fieldEnd = r.delimited();
      if (num === 1) {
        resourceStart = r.pos;
        resourceEnd = fieldEnd;
      } else scopeBounds.push(r.pos, fieldEnd);
      r.pos = fieldEnd;
    } else r.skip(tag & 7);
  }
  // A span list per scope: the raw span messages, sliced before any is decoded.
  const scopes: ScopeSlices[] = [];
  for (let b = 0; b < scopeBounds.length; b += 2) {
    r.moveTo(scopeBounds[b]!, scopeBounds[b + 1]!);
    const s: ScopeSlices = { path: `${path}.scopeSpans[${b / 2}]`, scopeStart: -1, scopeEnd: -1, spans: [] };
    while (r.pos < r.end) {
      const tag = r.uint32();
      const num = tag >>> 3;
      if ((num === 1 || num === 2) && (tag & 7) === WireType.LEN) {
        const fieldEnd = r.delimited();
        if (num === 1) {
          s.scopeStart = r.pos;
          s.scopeEnd = fieldEnd;
        } else s.spans.push(r.pos, fieldEnd);
        r.pos = fieldEnd;
      } else r.skip(tag & 7);
    }
    counted.n += s.spans.length / 2;
    if (counted.n > opts.limits.maxSpansPerRequest)
      throw new DecodeError(`the request holds more than ${opts.limits.maxSpansPerRequest} spans, the limit a request: send smaller batches`, '', 413);
    scopes.push(s);
  }

  let res: { resource: Resource; service: string };
  try {
    res = resourceStart >= 0 ? resourceOf(r, resourceStart, resourceEnd, opts) : { resource: { attributes: [] }, service: 'unknown_service' };
  } catch (err) {
    const { field, message } = spanFault(err);
    for (const s of scopes) for (let i = 0; i < s.spans.length; i += 2) out.rejected.push({ path: joinPath(path, field), message });
    return;
  }
  for (const s of scopes) {
    let scope: Scope | undefined;
    try {
      scope = s.scopeStart >= 0 ? scopeOf(r, s.scopeStart, s.scopeEnd, opts) : undefined;
    } catch (err) {
      const { field, message } = spanFault(err);
      for (let i = 0; i < s.spans.length; i += 2) out.rejected.push({ path: joinPath(s.path, field), message });
      continue;
    }
    for (let i = 0; i < s.spans.length; i += 2) {
      try {
        out.spans.push(spanOf(r, s.spans[i]!, s.spans[i + 1]!, res.resource, res.service, scope, opts));
      } catch (err) {
        const { field, message } = spanFault(err);
        out.rejected.push({ path: joinPath(`${s.path}.spans[${i / 2}]`, field), message });
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
    while (r.pos < r.end) {
      const tag = r.uint32();
      if (tag >>> 3 === 1 && (tag & 7) === WireType.LEN) {
        const end = r.delimited();
        resourceSpans(r, r.pos, end, `resourceSpans[${index++}]`, opts, out, counted);
        r.moveTo(end, body.length);
      } else r.skip(tag & 7);
    }
  } catch (err) {
    const path = index ? `resourceSpans[${index - 1}]` : '';
    if (err instanceof WireError) throw new DecodeError(`the body is not a valid OTLP protobuf ExportTraceServiceRequest: ${err.message}`, path);
    // A backstop: whatever hostile bytes still drive the decoder past a runtime limit (a stack or
    // an allocation) is the body's fault, so a 400 rather than a 500.
    if (err instanceof RangeError) throw new DecodeError(`the body could not be decoded as OTLP protobuf: ${err.message}`, path);
    throw err;
  }
  return out;
}
