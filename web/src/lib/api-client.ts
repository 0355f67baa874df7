/**
 * The one API client. Every response goes through a validator, so pages get a typed value or a
 * Problem that says what was wrong and where — never a half-shaped object. Reads carry the session
 * cookie (same-origin), and a 401 signs in once and retries (read-token.ts).
 */
import {
  validateNameList,
  validateOperations,
  validateSearchResponse,
  validateTraceResponse,
} from './api-validate';
import type { JaegerTrace, OperationInfo, SearchPage } from './jaeger';
import { mark } from './perf-marks';
import { readAccess } from './read-access';
import { fail, type Result } from './result';
import { readTraceLines } from './trace-lines';
import { searchApiUrl, type SearchQuery } from './search-query';
import {
  validateMapEdges,
  validateMetricFamily,
  validateRegistry,
  validateSummary,
  type MapEdge,
  type MetricSeries,
  type OperationSummary,
  type RegistryService,
} from './services-validate';

type Fetch = typeof fetch;

/**
 * A read with the session cookie. On a 401 it retries once the gate says someone signed in (the
 * user's answer, which may be refused in turn), until the gate says no: the user gave up.
 */
async function request(f: Fetch, url: string, init?: RequestInit): Promise<Response> {
  for (;;) {
    const sentAt = readAccess.epoch;
    const res = await f(url, { ...init, credentials: 'same-origin' });
    if (res.status !== 401 || !(await readAccess.renew(sentAt))) return res;
  }
}

async function getJson<T>(f: Fetch, url: string, validate: (b: unknown) => Result<T>, okStatuses = [200]): Promise<Result<T>> {
  let res: Response;
  try {
    res = await request(f, url, { headers: { accept: 'application/json' } });
  } catch (e) {
    return fail(url, `request failed: ${(e as Error).message}`);
  }
  if (!okStatuses.includes(res.status)) return errorOf(res, url, validate);
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    return fail(url, `HTTP ${res.status}: the body is not JSON`);
  }
  return validate(body);
}

/** A failed read as a Problem: the status, and the envelope's message when it has one. */
async function errorOf<T>(res: Response, url: string, validate: (b: unknown) => Result<unknown>): Promise<Result<T>> {
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    return fail(url, `HTTP ${res.status}: the body is not JSON`);
  }
  const r = validate(body);
  // the envelope's message may start with the status already ("401 read access required")
  const message = !r.ok && r.error.path === 'errors' ? r.error.message.replace(new RegExp(`^${res.status} `), '') : '';
  return fail(url, `HTTP ${res.status}${message ? `: ${message}` : ''}`);
}

/**
 * One trace, in the lines format (`?format=jaeger-lines`): parsed line by line while it downloads,
 * which for a 100,000-span trace saves most of the parse time; validated like the JSON envelope.
 */
export async function fetchTrace(id: string, f: Fetch = fetch): Promise<Result<JaegerTrace>> {
  const url = `/api/traces/${encodeURIComponent(id)}?format=jaeger-lines`;
  let res: Response;
  try {
    res = await request(f, url, { headers: { accept: 'text/plain, application/json' } });
  } catch (e) {
    return fail(url, `request failed: ${(e as Error).message}`);
  }
  // errors (404, 401, 400) come as the JSON envelope
  if (res.status !== 200 || !res.body) return errorOf(res, url, validateTraceResponse);
  let trace: Record<string, unknown>;
  try {
    trace = await readTraceLines(res.body);
  } catch (e) {
    return fail(url, `the trace could not be read: ${(e as Error).message}`);
  }
  mark('json-parsed');
  const r = validateTraceResponse({ data: [trace] });
  mark('validated');
  return r;
}

/** The OTLP/JSON body, passed through as text for download. */
export async function fetchTraceOtlp(id: string, f: Fetch = fetch): Promise<Result<string>> {
  const res = await request(f, `/api/traces/${encodeURIComponent(id)}?format=otlp`);
  if (!res.ok) return fail(`/api/traces/${id}?format=otlp`, `HTTP ${res.status}`);
  const text = await res.text();
  try {
    const body = JSON.parse(text) as { resourceSpans?: unknown };
    if (!Array.isArray(body.resourceSpans)) return fail('resourceSpans', 'must be an array');
  } catch {
    return fail(`/api/traces/${id}?format=otlp`, 'the body is not JSON');
  }
  return { ok: true, value: text };
}

export async function searchTraces(q: SearchQuery, cursor?: string, f: Fetch = fetch): Promise<Result<SearchPage>> {
  const url = searchApiUrl(q, cursor);
  if (!url.ok) return url;
  return getJson(f, url.value, validateSearchResponse);
}

export const fetchServices = (f: Fetch = fetch) => getJson(f, '/api/services', validateNameList);

export const fetchOperations = (service: string, f: Fetch = fetch): Promise<Result<string[]>> =>
  getJson(f, `/api/services/${encodeURIComponent(service)}/operations`, validateNameList);

export const fetchOperationKinds = (service: string, f: Fetch = fetch): Promise<Result<OperationInfo[]>> =>
  getJson(f, `/api/operations?service=${encodeURIComponent(service)}`, validateOperations);

/** Autocomplete sources; these endpoints are optional, so a 404 is just "no suggestions". */
export async function fetchTagKeys(f: Fetch = fetch): Promise<string[]> {
  const r = await getJson(f, '/api/tags/keys', validateNameList);
  return r.ok ? r.value : [];
}
export async function fetchTagValues(key: string, f: Fetch = fetch): Promise<string[]> {
  const r = await getJson(f, `/api/tags/values?key=${encodeURIComponent(key)}`, validateNameList);
  return r.ok ? r.value : [];
}

/** `GET /api/registry`: services with their instances, live or gone. */
export const fetchRegistry = (f: Fetch = fetch): Promise<Result<RegistryService[]>> => getJson(f, '/api/registry', validateRegistry);

/** `GET /api/service-map`: caller → callee edges with calls, errors and latency over `lookbackMs`. */
export const fetchServiceMap = (lookbackMs: number, f: Fetch = fetch): Promise<Result<MapEdge[]>> =>
  getJson(f, `/api/service-map?lookback=${lookbackMs}`, validateMapEdges);

/** `GET /api/dependencies` (Jaeger's: calls only), for a backend without the native map. */
export const fetchDependencies = (lookbackMs: number, f: Fetch = fetch): Promise<Result<MapEdge[]>> =>
  getJson(f, `/api/dependencies?endTs=${Date.now()}&lookback=${lookbackMs}`, validateMapEdges);

/** `GET /api/metrics/summary`: one service's operations with exact calls, errors and percentiles. */
export const fetchMetricSummary = (service: string, lookbackMs: number, f: Fetch = fetch): Promise<Result<OperationSummary[]>> =>
  getJson(f, `/api/metrics/summary?service=${encodeURIComponent(service)}&lookback=${lookbackMs}`, validateSummary);

/** `GET /api/metrics/{kind}`: the monitor API's series for the services, as the URL built by metricsUrl. */
export const fetchMetricSeries = (url: string, f: Fetch = fetch): Promise<Result<MetricSeries[]>> => getJson(f, url, validateMetricFamily);
