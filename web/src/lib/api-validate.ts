/**
 * Validators for every API response the site reads. The site never trusts a body's shape: each
 * validator narrows `unknown` to a typed value or names the first bad field and where it was.
 * Hand-written rather than a schema library so that 100k-span traces validate in one fast pass.
 */
import type {
  EdgeAnnotations,
  JaegerLog,
  JaegerProcess,
  JaegerReference,
  JaegerSpan,
  JaegerTag,
  JaegerTrace,
  OperationInfo,
  SearchPage,
  TraceSummary,
} from './jaeger';
import { fail, ok, type Result } from './result';

type Obj = Record<string, unknown>;

class Invalid extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function obj(v: unknown, path: string): Obj {
  if (!isObj(v)) throw new Invalid(path, 'must be an object');
  return v;
}
function arr(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) throw new Invalid(path, 'must be an array');
  return v;
}
function str(v: unknown, path: string): string {
  if (typeof v !== 'string') throw new Invalid(path, 'must be a string');
  return v;
}
function num(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Invalid(path, 'must be a finite number');
  return v;
}
function optNum(v: unknown, path: string): number | undefined {
  return v === undefined || v === null ? undefined : num(v, path);
}
function optBool(v: unknown, path: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new Invalid(path, 'must be a boolean');
  return v;
}

function tag(v: unknown, path: string): JaegerTag {
  const o = obj(v, path);
  const value = o.value;
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    // Jaeger sends binary and complex values as strings; anything else is a broken encoder.
    throw new Invalid(`${path}.value`, 'must be a string, number or boolean');
  }
  return { key: str(o.key, `${path}.key`), type: typeof o.type === 'string' ? o.type : undefined, value };
}

const tags = (v: unknown, path: string): JaegerTag[] =>
  v === undefined || v === null ? [] : arr(v, path).map((t, i) => tag(t, `${path}[${i}]`));

function log(v: unknown, path: string): JaegerLog {
  const o = obj(v, path);
  return { timestamp: num(o.timestamp, `${path}.timestamp`), fields: tags(o.fields, `${path}.fields`) };
}

function reference(v: unknown, path: string): JaegerReference {
  const o = obj(v, path);
  return {
    refType: str(o.refType, `${path}.refType`),
    traceID: str(o.traceID, `${path}.traceID`),
    spanID: str(o.spanID, `${path}.spanID`),
  };
}

function annotations(v: unknown, path: string): EdgeAnnotations | undefined {
  if (v === undefined || v === null) return undefined;
  const o = obj(v, path);
  const a: EdgeAnnotations = {};
  const skew = optNum(o.skewUs, `${path}.skewUs`);
  if (skew !== undefined) a.skewUs = skew;
  if (o.network !== undefined && o.network !== null) {
    const n = obj(o.network, `${path}.network`);
    a.network = {
      requestUs: num(n.requestUs, `${path}.network.requestUs`),
      responseUs: num(n.responseUs, `${path}.network.responseUs`),
    };
  }
  const nf = optBool(o.networkFailure, `${path}.networkFailure`);
  if (nf !== undefined) a.networkFailure = nf;
  const orphan = optBool(o.orphan, `${path}.orphan`);
  if (orphan !== undefined) a.orphan = orphan;
  const late = optBool(o.late, `${path}.late`);
  if (late !== undefined) a.late = late;
  const orig = optNum(o.originalStartTime, `${path}.originalStartTime`);
  if (orig !== undefined) a.originalStartTime = orig;
  return a;
}

function span(v: unknown, path: string): JaegerSpan {
  const o = obj(v, path);
  const warnings =
    o.warnings === undefined || o.warnings === null
      ? null
      : arr(o.warnings, `${path}.warnings`).map((w, i) => str(w, `${path}.warnings[${i}]`));
  const s: JaegerSpan = {
    traceID: str(o.traceID, `${path}.traceID`),
    spanID: str(o.spanID, `${path}.spanID`),
    operationName: str(o.operationName, `${path}.operationName`),
    references: o.references == null ? [] : arr(o.references, `${path}.references`).map((r, i) => reference(r, `${path}.references[${i}]`)),
    flags: optNum(o.flags, `${path}.flags`),
    startTime: num(o.startTime, `${path}.startTime`),
    duration: num(o.duration, `${path}.duration`),
    tags: tags(o.tags, `${path}.tags`),
    logs: o.logs == null ? [] : arr(o.logs, `${path}.logs`).map((l, i) => log(l, `${path}.logs[${i}]`)),
    processID: str(o.processID, `${path}.processID`),
    warnings,
  };
  const ann = annotations(o.edgetrace, `${path}.edgetrace`);
  if (ann) s.edgetrace = ann;
  return s;
}

function process_(v: unknown, path: string): JaegerProcess {
  const o = obj(v, path);
  return { serviceName: str(o.serviceName, `${path}.serviceName`), tags: tags(o.tags, `${path}.tags`) };
}

/** A bare Jaeger trace object `{traceID, spans, processes}`. */
export function trace(v: unknown, path: string): JaegerTrace {
  const o = obj(v, path);
  const spans = arr(o.spans, `${path}.spans`).map((s, i) => span(s, `${path}.spans[${i}]`));
  const procsIn = obj(o.processes, `${path}.processes`);
  const processes: Record<string, JaegerProcess> = {};
  for (const [id, p] of Object.entries(procsIn)) processes[id] = process_(p, `${path}.processes.${id}`);
  spans.forEach((s, i) => {
    if (!processes[s.processID]) {
      throw new Invalid(`${path}.spans[${i}].processID`, `names process "${s.processID}", which is not in processes`);
    }
  });
  const t: JaegerTrace = {
    traceID: typeof o.traceID === 'string' ? o.traceID : (spans[0]?.traceID ?? ''),
    spans,
    processes,
  };
  if (Array.isArray(o.warnings)) t.warnings = o.warnings.map((w, i) => str(w, `${path}.warnings[${i}]`));
  if (typeof o.partial === 'boolean') t.partial = o.partial;
  if (typeof o.version === 'number') t.version = o.version;
  return t;
}

function guard<T>(f: () => T): Result<T> {
  try {
    return ok(f());
  } catch (e) {
    if (e instanceof Invalid) return fail(e.path, e.message);
    throw e;
  }
}

/** The `errors` array of a Jaeger envelope, as one message (or null when there is none). */
function envelopeError(o: Obj): string | null {
  if (!Array.isArray(o.errors) || o.errors.length === 0) return null;
  return o.errors
    .map((e) => (isObj(e) ? `${typeof e.code === 'number' ? e.code + ' ' : ''}${String(e.msg ?? 'error')}` : String(e)))
    .join('; ');
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
