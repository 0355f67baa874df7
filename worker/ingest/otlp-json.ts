/**
 * OTLP/JSON (`ExportTraceServiceRequest` as the OTLP/HTTP spec writes it in JSON) → the internal
 * span model. Field names are lowerCamelCase, ids are hex, 64-bit integers may be strings or
 * numbers, enums may be numbers or their names. Every span is checked on its own: a broken span is
 * refused with the path of the field that is wrong, and its neighbours are kept. Unknown fields are
 * ignored, as the spec asks of receivers, and reported as warnings. The body arrives parsed: its
 * nesting and size were bounded before `JSON.parse` (read-body.ts), and the items it holds are
 * counted against the request's budget here, as in the protobuf decoder.
 */
import { DecodeError, FieldError, joinPath } from './decode-error';
import { resolveOptions, type DecodeOptions, type ResolvedOptions } from './limits';
import { checkCount, checkLength, checkParentId, checkSpan, checkSpanId, checkTraceId, compareDecimal, quote } from './span-check';
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

type Json = Record<string, unknown>;

const KIND_NAMES: Record<string, SpanKind> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const STATUS_NAMES: Record<string, StatusCode> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };

const KNOWN: Record<string, ReadonlySet<string>> = {
  request: new Set(['resourceSpans']),
  resourceSpans: new Set(['resource', 'scopeSpans', 'schemaUrl']),
  resource: new Set(['attributes', 'droppedAttributesCount', 'entityRefs']),
  scopeSpans: new Set(['scope', 'spans', 'schemaUrl']),
  scope: new Set(['name', 'version', 'attributes', 'droppedAttributesCount']),
  span: new Set([
    'traceId',
    'spanId',
    'traceState',
    'parentSpanId',
    'flags',
    'name',
    'kind',
    'startTimeUnixNano',
    'endTimeUnixNano',
    'attributes',
    'droppedAttributesCount',
    'events',
    'droppedEventsCount',
    'links',
    'droppedLinksCount',
    'status',
  ]),
  event: new Set(['timeUnixNano', 'name', 'attributes', 'droppedAttributesCount']),
  link: new Set(['traceId', 'spanId', 'traceState', 'attributes', 'droppedAttributesCount', 'flags']),
  status: new Set(['code', 'message']),
};

const MAX_WARNINGS = 10;

class Warnings {
  readonly list: string[] = [];
  private seen = new Set<string>();
  unknownFields(obj: Json, kind: keyof typeof KNOWN, path: string): void {
    if (this.list.length >= MAX_WARNINGS) return;
    const known = KNOWN[kind]!;
    for (const k in obj) {
      if (known.has(k) || this.seen.has(`${kind}.${k}`)) continue;
      this.seen.add(`${kind}.${k}`);
      this.list.push(`${joinPath(path, k)}: unknown field ignored`);
      if (this.list.length >= MAX_WARNINGS) return;
    }
  }
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `${typeof v} ${quote(v)}`;
}

function optString(obj: Json, key: string, max: number): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new FieldError(key, `must be a string, got ${typeName(v)}`);
  return checkLength(v, max, key);
}

function optArray(obj: Json, key: string): unknown[] {
  const v = obj[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new FieldError(key, `must be an array, got ${typeName(v)}`);
  return v;
}

const UINT = /^\d{1,20}$/;
const MAX_UINT64 = '18446744073709551615';
const INT = /^-?\d{1,20}$/;

/** A uint64 field (times): a decimal string or a non-negative whole number. */
function uint64(v: unknown, field: string): string {
  if (typeof v === 'string' && UINT.test(v)) {
    const canonical = v.replace(/^0+(?=\d)/, '');
    if (compareDecimal(canonical, MAX_UINT64) <= 0) return canonical;
  }
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return BigInt(v).toString();
  throw new FieldError(field, `must be an unsigned 64-bit integer (a decimal string or number), got ${typeName(v)}`);
}

function optUint32(obj: Json, key: string): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' && UINT.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffffffff)
    throw new FieldError(key, `must be an unsigned 32-bit integer, got ${typeName(v)}`);
  return n === 0 ? undefined : n;
}

function hexId(v: unknown, field: string): string {
  if (typeof v !== 'string') throw new FieldError(field, `must be a hex string, got ${typeName(v)}`);
  return v.toLowerCase();
}

function anyValue(v: unknown, field: string, opts: ResolvedOptions, depth: number): AnyValue {
  if (!isObject(v)) throw new FieldError(field, `must be an AnyValue object, got ${typeName(v)}`);
  if (depth > opts.limits.maxValueDepth) throw new FieldError(field, `nests deeper than the limit of ${opts.limits.maxValueDepth}`);
  const { limits } = opts;
  if ('stringValue' in v) {
    const s = v.stringValue;
    if (typeof s !== 'string') throw new FieldError(`${field}.stringValue`, `must be a string, got ${typeName(s)}`);
    return { stringValue: checkLength(s, limits.maxValueLength, `${field}.stringValue`) };
  }
  if ('boolValue' in v) {
    if (typeof v.boolValue !== 'boolean') throw new FieldError(`${field}.boolValue`, `must be true or false, got ${typeName(v.boolValue)}`);
    return { boolValue: v.boolValue };
  }
  if ('intValue' in v) {
    const i = v.intValue;
    if (typeof i === 'string' && INT.test(i)) {
      if (i.length < 18 && !/^-?0\d/.test(i) && i !== '-0') return { intValue: i };
      const n = BigInt(i);
      if (n >= -(2n ** 63n) && n < 2n ** 63n) return { intValue: n.toString() };
    }
    if (typeof i === 'number' && Number.isSafeInteger(i)) return { intValue: String(i) };
    throw new FieldError(`${field}.intValue`, `must be a signed 64-bit integer, got ${typeName(i)}`);
  }
  if ('doubleValue' in v) {
    const d = v.doubleValue;
    if (typeof d === 'number') return { doubleValue: d };
    // proto3 JSON writes the non-finite doubles as strings; JSON storage cannot hold them as numbers
    if (d === 'NaN' || d === 'Infinity' || d === '-Infinity') return { stringValue: d };
    if (typeof d === 'string' && d.trim() !== '' && Number.isFinite(Number(d))) return { doubleValue: Number(d) };
    throw new FieldError(`${field}.doubleValue`, `must be a number, got ${typeName(d)}`);
  }
  if ('arrayValue' in v) {
    const a = v.arrayValue;
    if (!isObject(a)) throw new FieldError(`${field}.arrayValue`, `must be an object with values, got ${typeName(a)}`);
    const values = optArray(a, 'values');
    checkCount(values.length, limits.maxAttributes, `${field}.arrayValue.values`);
    opts.budget.take(values.length);
    return { arrayValue: { values: values.map((x, i) => anyValue(x, `${field}.arrayValue.values[${i}]`, opts, depth + 1)) } };
  }
  if ('kvlistValue' in v) {
    const l = v.kvlistValue;
    if (!isObject(l)) throw new FieldError(`${field}.kvlistValue`, `must be an object with values, got ${typeName(l)}`);
    return { kvlistValue: { values: keyValues(optArray(l, 'values'), `${field}.kvlistValue.values`, opts, depth + 1) } };
  }
  if ('bytesValue' in v) {
    const b = v.bytesValue;
    if (typeof b !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(b))
      throw new FieldError(`${field}.bytesValue`, `must be base64, got ${typeName(b)}`);
    return { bytesValue: checkLength(b, limits.maxValueLength, `${field}.bytesValue`) };
  }
  return {};
}

function keyValues(list: unknown[], field: string, opts: ResolvedOptions, depth = 1): KeyValue[] {
  checkCount(list.length, opts.limits.maxAttributes, field);
  opts.budget.take(list.length);
  const out = new Array<KeyValue>(list.length);
  for (let i = 0; i < list.length; i++) {
    const kv = list[i];
    const at = `${field}[${i}]`;
    if (!isObject(kv)) throw new FieldError(at, `must be a {key, value} object, got ${typeName(kv)}`);
    if (typeof kv.key !== 'string') throw new FieldError(`${at}.key`, `must be a string, got ${typeName(kv.key)}`);
    checkLength(kv.key, opts.limits.maxNameLength, `${at}.key`);
    out[i] = { key: kv.key, value: kv.value === undefined || kv.value === null ? {} : anyValue(kv.value, `${at}.value`, opts, depth) };
  }
  return out;
}

function enumValue<T extends number>(v: unknown, names: Record<string, T>, max: number, field: string): T {
  if (v === undefined || v === null) return 0 as T;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max) return v as T;
  if (typeof v === 'string' && v in names) return names[v]!;
  throw new FieldError(field, `must be one of ${Object.keys(names).join(', ')} (or 0 to ${max}), got ${typeName(v)}`);
}

function resourceOf(v: unknown, opts: ResolvedOptions, warn: Warnings, path: string): { resource: Resource; service: string } {
  if (v === undefined || v === null) return { resource: { attributes: [] }, service: 'unknown_service' };
  if (!isObject(v)) throw new FieldError('resource', `must be an object, got ${typeName(v)}`);
  warn.unknownFields(v, 'resource', joinPath(path, 'resource'));
  const attributes = prefixed('resource', () => keyValues(optArray(v, 'attributes'), 'attributes', opts));
  const dropped = prefixed('resource', () => optUint32(v, 'droppedAttributesCount'));
  const resource: Resource = dropped ? { attributes, droppedAttributesCount: dropped } : { attributes };
  const name = attributes.find((a) => a.key === 'service.name')?.value;
  const service = name && 'stringValue' in name && name.stringValue ? name.stringValue : 'unknown_service';
  return { resource, service };
}

function scopeOf(v: unknown, opts: ResolvedOptions, warn: Warnings, path: string): Scope | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw new FieldError('scope', `must be an object, got ${typeName(v)}`);
  warn.unknownFields(v, 'scope', joinPath(path, 'scope'));
  return prefixed('scope', () => {
    const scope: Scope = { name: optString(v, 'name', opts.limits.maxNameLength) ?? '' };
    const version = optString(v, 'version', opts.limits.maxNameLength);
    if (version) scope.version = version;
    const attributes = keyValues(optArray(v, 'attributes'), 'attributes', opts);
    if (attributes.length) scope.attributes = attributes;
    const dropped = optUint32(v, 'droppedAttributesCount');
    if (dropped) scope.droppedAttributesCount = dropped;
    return scope;
  });
}

function eventOf(v: unknown, field: string, opts: ResolvedOptions, warn: Warnings, path: string): SpanEvent {
  if (!isObject(v)) throw new FieldError(field, `must be an object, got ${typeName(v)}`);
  warn.unknownFields(v, 'event', joinPath(path, field));
  const event: SpanEvent = {
    timeUnixNano: uint64(v.timeUnixNano ?? '0', `${field}.timeUnixNano`) as UnixNanos,
    name: prefixed(field, () => optString(v, 'name', opts.limits.maxNameLength) ?? ''),
    attributes: keyValues(optArray(v, 'attributes'), `${field}.attributes`, opts),
  };
  const dropped = prefixed(field, () => optUint32(v, 'droppedAttributesCount'));
  if (dropped) event.droppedAttributesCount = dropped;
  return event;
}

function linkOf(v: unknown, field: string, opts: ResolvedOptions, warn: Warnings, path: string): SpanLink {
  if (!isObject(v)) throw new FieldError(field, `must be an object, got ${typeName(v)}`);
  warn.unknownFields(v, 'link', joinPath(path, field));
  const link: SpanLink = {
    traceId: checkTraceId(hexId(v.traceId, `${field}.traceId`), `${field}.traceId`),
    spanId: checkSpanId(hexId(v.spanId, `${field}.spanId`), `${field}.spanId`),
    attributes: keyValues(optArray(v, 'attributes'), `${field}.attributes`, opts),
  };
  const traceState = prefixed(field, () => optString(v, 'traceState', opts.limits.maxValueLength));
  if (traceState) link.traceState = traceState;
  const dropped = prefixed(field, () => optUint32(v, 'droppedAttributesCount'));
  if (dropped) link.droppedAttributesCount = dropped;
  const flags = prefixed(field, () => optUint32(v, 'flags'));
  if (flags) link.flags = flags;
  return link;
}

/** Runs `f`, putting `prefix.` in front of the field a FieldError names. */
function prefixed<T>(prefix: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof FieldError) throw new FieldError(joinPath(prefix, err.field), err.message);
    throw err;
  }
}

function spanOf(v: unknown, resource: Resource, service: string, scope: Scope | undefined, opts: ResolvedOptions, warn: Warnings, path: string): Span {
  if (!isObject(v)) throw new FieldError('', `a span must be an object, got ${typeName(v)}`);
  warn.unknownFields(v, 'span', path);
  const { limits } = opts;
  const events = optArray(v, 'events');
  checkCount(events.length, limits.maxEvents, 'events');
  const links = optArray(v, 'links');
  checkCount(links.length, limits.maxLinks, 'links');
  opts.budget.take(events.length + links.length);
  const status = v.status ?? {};
  if (!isObject(status)) throw new FieldError('status', `must be an object, got ${typeName(status)}`);
  warn.unknownFields(status, 'status', joinPath(path, 'status'));
  const span: Span = {
    traceId: checkTraceId(hexId(v.traceId, 'traceId'), 'traceId'),
    spanId: checkSpanId(hexId(v.spanId, 'spanId'), 'spanId'),
    name: optString(v, 'name', limits.maxNameLength) ?? '',
    kind: enumValue(v.kind, KIND_NAMES, 5, 'kind'),
    service,
    resource,
    startTimeUnixNano: uint64(v.startTimeUnixNano, 'startTimeUnixNano') as UnixNanos,
    endTimeUnixNano: uint64(v.endTimeUnixNano, 'endTimeUnixNano') as UnixNanos,
    attributes: keyValues(optArray(v, 'attributes'), 'attributes', opts),
    events: events.map((e, i) => eventOf(e, `events[${i}]`, opts, warn, path)),
    links: links.map((l, i) => linkOf(l, `links[${i}]`, opts, warn, path)),
    status: { code: enumValue(status.code, STATUS_NAMES, 2, 'status.code') },
  };
  const parent = checkParentId(v.parentSpanId === undefined || v.parentSpanId === null ? undefined : hexId(v.parentSpanId, 'parentSpanId'), 'parentSpanId');
  if (parent) span.parentSpanId = parent;
  const message = prefixed('status', () => optString(status, 'message', limits.maxValueLength));
  if (message) span.status.message = message;
  if (scope) span.scope = scope;
  const traceState = optString(v, 'traceState', limits.maxValueLength);
  if (traceState) span.traceState = traceState;
  const flags = optUint32(v, 'flags');
  if (flags) span.flags = flags;
  for (const key of ['droppedAttributesCount', 'droppedEventsCount', 'droppedLinksCount'] as const) {
    const n = optUint32(v, key);
    if (n) span[key] = n;
  }
  return checkSpan(span, opts);
}

/** Decodes a parsed OTLP/JSON body. Throws DecodeError only when the body as a whole is unusable. */
export function decodeOtlpJson(body: unknown, options?: DecodeOptions): DecodeResult {
  const opts = resolveOptions(options);
  if (!isObject(body)) throw new DecodeError(`the body must be a JSON object (ExportTraceServiceRequest), got ${typeName(body)}`, '');
  const rsList = body.resourceSpans ?? [];
  if (!Array.isArray(rsList)) throw new DecodeError(`must be an array, got ${typeName(rsList)}`, 'resourceSpans');
  const warn = new Warnings();
  warn.unknownFields(body, 'request', '');
  let total = 0;
  for (const rs of rsList)
    if (isObject(rs) && Array.isArray(rs.scopeSpans))
      for (const ss of rs.scopeSpans) if (isObject(ss) && Array.isArray(ss.spans)) total += ss.spans.length;
  if (total > opts.limits.maxSpansPerRequest)
    throw new DecodeError(`the request holds ${total} spans; the limit is ${opts.limits.maxSpansPerRequest} a request: send smaller batches`, '', 413);

  const spans: Span[] = [];
  const rejected: SpanRejection[] = [];
  /** refuses every span under a container that is itself broken */
  const refuseAll = (container: unknown, path: string, message: string) => {
    const n = countSpans(container);
    for (let i = 0; i < Math.max(n, 1); i++) rejected.push({ path, message });
  };

  for (let r = 0; r < rsList.length; r++) {
    const rs = rsList[r];
    const rsPath = `resourceSpans[${r}]`;
    if (!isObject(rs)) {
      refuseAll(rs, rsPath, `must be an object, got ${typeName(rs)}`);
      continue;
    }
    warn.unknownFields(rs, 'resourceSpans', rsPath);
    let res: { resource: Resource; service: string };
    let ssList: unknown[];
    try {
      res = resourceOf(rs.resource, opts, warn, rsPath);
      ssList = optArray(rs, 'scopeSpans');
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      refuseAll(rs, joinPath(rsPath, err.field), err.message);
      continue;
    }
    for (let s = 0; s < ssList.length; s++) {
      const ss = ssList[s];
      const ssPath = `${rsPath}.scopeSpans[${s}]`;
      let scope: Scope | undefined;
      let spanList: unknown[];
      try {
        if (!isObject(ss)) throw new FieldError('', `must be an object, got ${typeName(ss)}`);
        warn.unknownFields(ss, 'scopeSpans', ssPath);
        scope = scopeOf(ss.scope, opts, warn, ssPath);
        spanList = optArray(ss, 'spans');
      } catch (err) {
        if (!(err instanceof FieldError)) throw err;
        refuseAll(ss, joinPath(ssPath, err.field), err.message);
        continue;
      }
      for (let i = 0; i < spanList.length; i++) {
        const spanPath = `${ssPath}.spans[${i}]`;
        try {
          spans.push(spanOf(spanList[i], res.resource, res.service, scope, opts, warn, spanPath));
        } catch (err) {
          if (!(err instanceof FieldError)) throw err;
          rejected.push({ path: joinPath(spanPath, err.field), message: err.message });
        }
      }
    }
  }
  return warn.list.length ? { spans, rejected, warnings: warn.list } : { spans, rejected };
}

function countSpans(container: unknown): number {
  if (!isObject(container)) return 0;
  if (Array.isArray(container.spans)) return container.spans.length;
  if (Array.isArray(container.scopeSpans)) return container.scopeSpans.reduce((n: number, ss) => n + countSpans(ss), 0);
  return 0;
}
