/**
 * Validators for every API response the site reads. The site never trusts a body's shape: each
 * validator narrows `unknown` to a typed value or names the first bad field and where it was.
 * Hand-written rather than a schema library so that 100k-span traces validate in one fast pass.
 */
import type {
  JaegerLog,
  JaegerProcess,
  JaegerReference,
  JaegerSampling,
  JaegerSpan,
  JaegerTag,
  JaegerTrace,
  OperationInfo,
  SearchPage,
  TraceSummary,
} from './jaeger';
import type { Result } from './result';
import { arr, each, envelopeError, guard, Invalid, join, num, obj, optBool, optNum, str, within } from './validate-core';

// The span-level validators below check the parsed JSON in place and hand back the same objects
// (normalising null lists to empty ones) instead of copying them: a 100k-span trace then costs
// one pass of checks and no second object graph for the garbage collector. They name fields
// relative to the item and `within` prefixes the item's place only when something is wrong, so
// that a valid trace builds no path strings at all.

function tag(v: unknown): void {
  const o = obj(v, '');
  str(o.key, 'key');
  const value = o.value;
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    // Jaeger sends binary and complex values as strings; anything else is a broken encoder.
    throw new Invalid('value', 'must be a string, number or boolean');
  }
  if (o.type !== undefined && typeof o.type !== 'string') o.type = undefined;
}

const tags = (v: unknown, name: string): JaegerTag[] => each(v, name, tag);

function log(v: unknown): void {
  const o = obj(v, '');
  num(o.timestamp, 'timestamp');
  o.fields = tags(o.fields, 'fields');
}

function reference(v: unknown): void {
  const o = obj(v, '');
  str(o.refType, 'refType');
  str(o.traceID, 'traceID');
  str(o.spanID, 'spanID');
}

function annotations(v: unknown): void {
  const o = obj(v, 'edgetrace');
  optNum(o.skewUs, 'edgetrace.skewUs');
  if (o.network !== undefined && o.network !== null) {
    const n = obj(o.network, 'edgetrace.network');
    num(n.requestUs, 'edgetrace.network.requestUs');
    num(n.responseUs, 'edgetrace.network.responseUs');
  }
  optBool(o.networkFailure, 'edgetrace.networkFailure');
  optBool(o.orphan, 'edgetrace.orphan');
  optBool(o.late, 'edgetrace.late');
  optNum(o.originalStartTime, 'edgetrace.originalStartTime');
}

function span(v: unknown): JaegerSpan {
  const o = obj(v, '');
  str(o.traceID, 'traceID');
  str(o.spanID, 'spanID');
  str(o.operationName, 'operationName');
  o.references = each<JaegerReference>(o.references, 'references', reference);
  optNum(o.flags, 'flags');
  num(o.startTime, 'startTime');
  num(o.duration, 'duration');
  o.tags = tags(o.tags, 'tags');
  o.logs = each<JaegerLog>(o.logs, 'logs', log);
  str(o.processID, 'processID');
  o.warnings = o.warnings === undefined || o.warnings === null ? null : each<string>(o.warnings, 'warnings', (w) => str(w, ''));
  // Assigning undefined rather than deleting keeps every span object the same shape (fast).
  if (o.edgetrace === null) o.edgetrace = undefined;
  else if (o.edgetrace !== undefined) annotations(o.edgetrace);
  return o as unknown as JaegerSpan;
}

function sampling(v: unknown, path: string): JaegerSampling {
  const o = obj(v, path);
  const reason = o.reason === null || o.reason === undefined ? null : str(o.reason, join(path, 'reason'));
  return { rate: num(o.rate, join(path, 'rate')), adjustedCount: num(o.adjustedCount, join(path, 'adjustedCount')), reason };
}

function process_(v: unknown, path: string): JaegerProcess {
  try {
    const o = obj(v, '');
    return { serviceName: str(o.serviceName, 'serviceName'), tags: tags(o.tags, 'tags') };
  } catch (e) {
    throw within(e, path);
  }
}

/** A bare Jaeger trace object `{traceID, spans, processes}`; its spans are checked in place. */
export function trace(v: unknown, path: string): JaegerTrace {
  const o = obj(v, path);
  const spans = arr(o.spans, join(path, 'spans'));
  const procsIn = obj(o.processes, join(path, 'processes'));
  const processes: Record<string, JaegerProcess> = {};
  for (const [id, p] of Object.entries(procsIn)) processes[id] = process_(p, join(path, `processes.${id}`));
  for (let i = 0; i < spans.length; i++) {
    let s: JaegerSpan;
    try {
      s = span(spans[i]);
    } catch (e) {
      throw within(e, join(path, `spans[${i}]`));
    }
    if (!processes[s.processID]) {
      throw new Invalid(join(path, `spans[${i}].processID`), `names process "${s.processID}", which is not in processes`);
    }
  }
  const checked = spans as JaegerSpan[];
  const t: JaegerTrace = {
    traceID: typeof o.traceID === 'string' ? o.traceID : (checked[0]?.traceID ?? ''),
    spans: checked,
    processes,
  };
  if (Array.isArray(o.warnings)) t.warnings = o.warnings.map((w, i) => str(w, join(path, `warnings[${i}]`)));
  if (typeof o.partial === 'boolean') t.partial = o.partial;
  if (typeof o.version === 'number') t.version = o.version;
  if (o.sampling !== undefined && o.sampling !== null) t.sampling = sampling(o.sampling, join(path, 'sampling'));
  return t;
}

/** `GET /api/traces/{id}` → the one trace. */
export function validateTraceResponse(body: unknown): Result<JaegerTrace> {
  return guard(() => {
    const o = obj(body, '');
    const err = envelopeError(o);
    if (err && (o.data === null || o.data === undefined)) throw new Invalid('errors', err);
    const data = arr(o.data, 'data');
    if (data.length === 0) throw new Invalid('data', 'is empty: the trace was not found');
    return trace(data[0], 'data[0]');
  });
}

function summary(v: unknown, path: string): TraceSummary {
  const o = obj(v, path);
  const servicesIn = o.services == null ? {} : obj(o.services, `${path}.services`);
  const services: Record<string, number> = {};
  for (const [k, c] of Object.entries(servicesIn)) services[k] = num(c, `${path}.services.${k}`);
  return {
    traceId: str(o.traceId, `${path}.traceId`),
    startUs: num(o.startUs, `${path}.startUs`),
    durationUs: num(o.durationUs, `${path}.durationUs`),
    rootService: str(o.rootService, `${path}.rootService`),
    rootOperation: str(o.rootOperation, `${path}.rootOperation`),
    spanCount: num(o.spanCount, `${path}.spanCount`),
    errorCount: optNum(o.errorCount, `${path}.errorCount`) ?? 0,
    orphanCount: optNum(o.orphanCount, `${path}.orphanCount`) ?? 0,
    services,
    adjustedCount: optNum(o.adjustedCount, `${path}.adjustedCount`) ?? 1,
    sampleRate: optNum(o.sampleRate, `${path}.sampleRate`) ?? 1,
    version: optNum(o.version, `${path}.version`) ?? 1,
  };
}

/** `GET /api/search` → summaries, newest first, and the cursor of the next page. */
export function validateSearchResponse(body: unknown): Result<SearchPage> {
  return guard(() => {
    const o = obj(body, '');
    const err = envelopeError(o);
    if (err && !Array.isArray(o.data)) throw new Invalid('errors', err);
    const traces = arr(o.data, 'data').map((s, i) => summary(s, `data[${i}]`));
    const page: SearchPage = { traces };
    if (typeof o.nextCursor === 'string' && o.nextCursor) page.nextCursor = o.nextCursor;
    return page;
  });
}

/** `GET /api/services`, `/api/services/{s}/operations`, `/api/tags/*` → a list of names. */
export function validateNameList(body: unknown): Result<string[]> {
  return guard(() => {
    const o = obj(body, '');
    const data = o.data === null ? [] : arr(o.data, 'data');
    return data.map((n, i) => str(n, `data[${i}]`));
  });
}

/** `GET /api/operations?service=` → names with their span kind. */
export function validateOperations(body: unknown): Result<OperationInfo[]> {
  return guard(() => {
    const o = obj(body, '');
    const data = o.data === null ? [] : arr(o.data, 'data');
    return data.map((v, i) => {
      const op = obj(v, `data[${i}]`);
      return { name: str(op.name, `data[${i}].name`), spanKind: typeof op.spanKind === 'string' ? op.spanKind : '' };
    });
  });
}
