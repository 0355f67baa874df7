/**
 * Zipkin v2 JSON (`POST /api/v2/spans`, a list of spans) → the internal span model, mapped the way
 * OpenTelemetry maps Zipkin:
 * - times are µs in Zipkin, ns here; a 64-bit traceId is left-padded to 128 bits;
 * - `localEndpoint.serviceName` is the service (`service.name` on the resource); the endpoints'
 *   addresses become `network.local.*` / `network.peer.*` attributes, the remote service `peer.service`;
 *   the local address is also the resource's `host.ip`, so that clock-skew correction and the service
 *   registry tell the hosts of one service apart;
 * - the `error` tag (and `otel.status_code` / `otel.status_description` written by OpenTelemetry's Zipkin
 *   exporter) becomes the span status; other tags are string attributes; annotations are events;
 * - a `shared` SERVER span (the server half of a span id both sides used) gets an id of its own,
 *   derived from the shared one so retries still dedupe, and the client half as its parent.
 */
import { DecodeError, FieldError, joinPath } from './decode-error';
import { resolveOptions, type DecodeOptions, type ResolvedOptions } from './limits';
import { checkCount, checkLength, checkParentId, checkSpan, checkSpanId, checkTraceId, quote } from './span-check';
import { SpanKind, StatusCode, type DecodeResult, type KeyValue, type Span, type SpanEvent, type SpanId, type SpanRejection, type UnixNanos } from '../span/model';

type Json = Record<string, unknown>;

const KINDS: Record<string, SpanKind> = {
  CLIENT: SpanKind.CLIENT,
  SERVER: SpanKind.SERVER,
  PRODUCER: SpanKind.PRODUCER,
  CONSUMER: SpanKind.CONSUMER,
};

const KNOWN = new Set([
  'traceId',
  'id',
  'parentId',
  'name',
  'kind',
  'timestamp',
  'duration',
  'localEndpoint',
  'remoteEndpoint',
  'annotations',
  'tags',
  'debug',
  'shared',
]);

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `${typeof v} ${quote(v)}`;
}

function hex(v: unknown, field: string): string {
  if (typeof v !== 'string') throw new FieldError(field, `must be a hex string, got ${typeName(v)}`);
  return v.toLowerCase();
}

/** µs → ns as a decimal string. */
function micros(v: unknown, field: string): bigint {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new FieldError(field, `must be a non-negative number of microseconds, got ${typeName(v)}`);
  return BigInt(Math.round(v)) * 1000n;
}

const str = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });

function endpoint(v: unknown, field: string, local: boolean, opts: ResolvedOptions): { service?: string; address?: string; attributes: KeyValue[] } {
  if (v === undefined || v === null) return { attributes: [] };
  if (!isObject(v)) throw new FieldError(field, `must be an object, got ${typeName(v)}`);
  const attributes: KeyValue[] = [];
  const side = local ? 'network.local' : 'network.peer';
  let service: string | undefined;
  let address: string | undefined;
  if (v.serviceName !== undefined && v.serviceName !== null) {
    if (typeof v.serviceName !== 'string') throw new FieldError(`${field}.serviceName`, `must be a string, got ${typeName(v.serviceName)}`);
    service = checkLength(v.serviceName, opts.limits.maxNameLength, `${field}.serviceName`) || undefined;
  }
  for (const key of ['ipv4', 'ipv6'] as const) {
    const ip = v[key];
    if (ip === undefined || ip === null) continue;
    if (typeof ip !== 'string') throw new FieldError(`${field}.${key}`, `must be a string, got ${typeName(ip)}`);
    attributes.push(str(`${side}.address`, checkLength(ip, opts.limits.maxNameLength, `${field}.${key}`)));
    address ??= ip || undefined;
  }
  if (v.port !== undefined && v.port !== null) {
    if (typeof v.port !== 'number' || !Number.isInteger(v.port) || v.port < 0 || v.port > 65535)
      throw new FieldError(`${field}.port`, `must be a port number, got ${typeName(v.port)}`);
    if (v.port > 0) attributes.push({ key: `${side}.port`, value: { intValue: String(v.port) } });
  }
  if (!local && service) attributes.push(str('peer.service', service));
  return { service, address, attributes };
}

/** A server id of its own for the server half of a shared span: the shared id with its bits flipped. */
export function sharedServerId(id: SpanId): SpanId {
  let out = '';
  for (const c of id) out += (15 - parseInt(c, 16)).toString(16);
  return (/^0+$/.test(out) ? `${out.slice(0, 15)}1` : out) as SpanId;
}

function spanOf(v: unknown, opts: ResolvedOptions, warnings: string[], path: string): Span {
  if (!isObject(v)) throw new FieldError('', `a span must be an object, got ${typeName(v)}`);
  const { limits } = opts;
  for (const k in v) if (!KNOWN.has(k) && warnings.length < 10) warnings.push(`${joinPath(path, k)}: unknown field ignored`);

  const rawTrace = hex(v.traceId, 'traceId');
  if (rawTrace.length !== 16 && rawTrace.length !== 32) throw new FieldError('traceId', `must be 16 or 32 hex characters, got ${quote(v.traceId)}`);
  const traceId = checkTraceId(rawTrace.padStart(32, '0'), 'traceId');
  let spanId = checkSpanId(hex(v.id, 'id'), 'id');
  let parentSpanId = checkParentId(v.parentId === undefined || v.parentId === null ? undefined : hex(v.parentId, 'parentId'), 'parentId');

  let kind: SpanKind = SpanKind.INTERNAL;
  if (v.kind !== undefined && v.kind !== null) {
    if (typeof v.kind !== 'string' || !(v.kind in KINDS)) throw new FieldError('kind', `must be one of CLIENT, SERVER, PRODUCER, CONSUMER, got ${typeName(v.kind)}`);
    kind = KINDS[v.kind]!;
  }
  if (v.shared === true && kind === SpanKind.SERVER) {
    parentSpanId = spanId;
    spanId = sharedServerId(spanId);
  }
  if (v.timestamp === undefined || v.timestamp === null) throw new FieldError('timestamp', 'is missing: a span without a start time cannot be placed in its trace');
  const start = micros(v.timestamp, 'timestamp');
  const duration = v.duration === undefined || v.duration === null ? 0n : micros(v.duration, 'duration');

  const local = endpoint(v.localEndpoint, 'localEndpoint', true, opts);
  const remote = endpoint(v.remoteEndpoint, 'remoteEndpoint', false, opts);
  const service = local.service ?? 'unknown_service';

  const attributes: KeyValue[] = [...local.attributes, ...remote.attributes];
  let status: Span['status'] = { code: StatusCode.UNSET };
  if (v.tags !== undefined && v.tags !== null) {
    if (!isObject(v.tags)) throw new FieldError('tags', `must be an object of strings, got ${typeName(v.tags)}`);
    const tags = v.tags;
    let errorTag: string | undefined;
    let otelCode: string | undefined;
    let otelMessage: string | undefined;
    for (const key in tags) {
      const value = tags[key];
      if (typeof value !== 'string') throw new FieldError(`tags.${key}`, `must be a string (Zipkin tags are strings), got ${typeName(value)}`);
      checkLength(key, limits.maxNameLength, `tags.${key}`);
      checkLength(value, limits.maxValueLength, `tags.${key}`);
      if (key === 'error') errorTag = value;
      else if (key === 'otel.status_code') otelCode = value.toUpperCase();
      else if (key === 'otel.status_description') otelMessage = value;
      else attributes.push(str(key, value));
    }
    if (otelCode === 'ERROR' || errorTag !== undefined) {
      const message = otelMessage ?? (errorTag && errorTag !== 'true' ? errorTag : undefined);
      status = message ? { code: StatusCode.ERROR, message } : { code: StatusCode.ERROR };
    } else if (otelCode === 'OK') status = { code: StatusCode.OK };
  }
  checkCount(attributes.length, limits.maxAttributes, 'tags');
  opts.budget.take(attributes.length);

  const events: SpanEvent[] = [];
  if (v.annotations !== undefined && v.annotations !== null) {
    if (!Array.isArray(v.annotations)) throw new FieldError('annotations', `must be an array, got ${typeName(v.annotations)}`);
    checkCount(v.annotations.length, limits.maxEvents, 'annotations');
    opts.budget.take(v.annotations.length);
    v.annotations.forEach((a, i) => {
      const at = `annotations[${i}]`;
      if (!isObject(a)) throw new FieldError(at, `must be a {timestamp, value} object, got ${typeName(a)}`);
      if (typeof a.value !== 'string') throw new FieldError(`${at}.value`, `must be a string, got ${typeName(a.value)}`);
      events.push({
        timeUnixNano: micros(a.timestamp, `${at}.timestamp`).toString() as UnixNanos,
        name: checkLength(a.value, limits.maxNameLength, `${at}.value`),
        attributes: [],
      });
    });
  }

  let name = '';
  if (v.name !== undefined && v.name !== null) {
    if (typeof v.name !== 'string') throw new FieldError('name', `must be a string, got ${typeName(v.name)}`);
    name = v.name;
  }
  const span: Span = {
    traceId,
    spanId,
    name,
    kind,
    service,
    resource: { attributes: local.address ? [str('service.name', service), str('host.ip', local.address)] : [str('service.name', service)] },
    startTimeUnixNano: start.toString() as UnixNanos,
    endTimeUnixNano: (start + duration).toString() as UnixNanos,
    attributes,
    events,
    links: [],
    status,
  };
  if (parentSpanId) span.parentSpanId = parentSpanId;
  try {
    return checkSpan(span, opts);
  } catch (err) {
    throw err instanceof FieldError ? new FieldError(zipkinField(err.field), err.message) : err;
  }
}

/** The Zipkin name of a field the shared span checks name in the internal model. */
function zipkinField(field: string): string {
  if (field === 'startTimeUnixNano') return 'timestamp';
  if (field === 'endTimeUnixNano') return 'duration';
  if (field === 'parentSpanId') return 'parentId';
  const event = /^events\[(\d+)\]\.timeUnixNano$/.exec(field);
  return event ? `annotations[${event[1]}].timestamp` : field;
}

/** Decodes a parsed Zipkin v2 JSON body. Throws DecodeError only when the body as a whole is unusable. */
export function decodeZipkin(body: unknown, options?: DecodeOptions): DecodeResult {
  const opts = resolveOptions(options);
  if (!Array.isArray(body)) throw new DecodeError(`the body must be a JSON array of Zipkin v2 spans, got ${typeName(body)}`, '');
  if (body.length > opts.limits.maxSpansPerRequest)
    throw new DecodeError(`the request holds ${body.length} spans; the limit is ${opts.limits.maxSpansPerRequest} a request: send smaller batches`, '', 413);
  const spans: Span[] = [];
  const rejected: SpanRejection[] = [];
  const warnings: string[] = [];
  for (let i = 0; i < body.length; i++) {
    const path = `[${i}]`;
    try {
      spans.push(spanOf(body[i], opts, warnings, path));
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      rejected.push({ path: joinPath(path, err.field), message: err.message });
    }
  }
  return warnings.length ? { spans, rejected, warnings } : { spans, rejected };
}
