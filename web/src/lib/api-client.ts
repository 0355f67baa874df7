/**
 * The one API client. Every response goes through a validator, so pages get a typed value or a
 * Problem that says what was wrong and where — never a half-shaped object.
 */
import {
  validateNameList,
  validateOperations,
  validateSearchResponse,
  validateTraceResponse,
} from './api-validate';
import type { JaegerTrace, OperationInfo, SearchPage } from './jaeger';
import { fail, type Result } from './result';
import { searchApiUrl, type SearchQuery } from './search-query';

type Fetch = typeof fetch;

async function getJson<T>(f: Fetch, url: string, validate: (b: unknown) => Result<T>, okStatuses = [200]): Promise<Result<T>> {
  let res: Response;
  try {
    res = await f(url, { headers: { accept: 'application/json' } });
  } catch (e) {
    return fail(url, `request failed: ${(e as Error).message}`);
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    return fail(url, `HTTP ${res.status}: the body is not JSON`);
  }
  const r = validate(body);
  if (!okStatuses.includes(res.status) && r.ok) return fail(url, `HTTP ${res.status}`);
  if (!r.ok && !okStatuses.includes(res.status)) {
    return fail(url, `HTTP ${res.status}${r.error.path === 'errors' ? `: ${r.error.message}` : ''}`);
  }
  return r;
}

export const fetchTrace = (id: string, f: Fetch = fetch): Promise<Result<JaegerTrace>> =>
  getJson(f, `/api/traces/${encodeURIComponent(id)}`, validateTraceResponse);

/** The OTLP/JSON body, passed through as text for download. */
export async function fetchTraceOtlp(id: string, f: Fetch = fetch): Promise<Result<string>> {
  const res = await f(`/api/traces/${encodeURIComponent(id)}?format=otlp`);
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
