/**
 * Contract: Grafana's Jaeger data source against edgetrace. Replays the requests it makes, in its
 * order and with its encoding (the health check on `/api/services`; the search form's services and
 * operations; a search with logfmt tags turned to JSON, min/max duration, limit, start/end in µs
 * and `lookback=custom`; a trace by id; the dependency graph's `/api/dependencies` with `endTs` and
 * `lookback` in ms) and checks every field it reads from the answers.
 */
import { SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { otlpTrace, randomTraceId, type TestSpan } from '../worker/query/search-test-traces';
import { BASE, postOtlp, type JaegerTrace } from './helpers/api';

const u = randomTraceId().slice(0, 8);
const FRONT = `frontend ${u}`; // a space: Grafana URL-encodes the service in the operations path
const BACK = `backend-${u}`;
const NOW_US = Date.now() * 1000;
const MIN_US = 60_000_000;

const request = (o: { ms: number; status: number; error?: boolean }): TestSpan[] => [
  { service: FRONT, name: 'HTTP GET /checkout', end: o.ms, attrs: { 'http.request.method': 'GET', 'http.response.status_code': o.status } },
  { service: BACK, name: 'charge', parent: 0, start: o.ms * 0.1, end: o.ms * 0.9, error: o.error },
];
const OK = randomTraceId();
const FAILED = randomTraceId();

/** What the dependency graph reads of each link (dependencyGraphTransform.ts). */
interface DependencyLink {
  parent: string;
  child: string;
  callCount: number;
}

/** Grafana's `serializeParams`: keys in insertion order, values URI-encoded, empty ones dropped. */
function serializeParams(params: Record<string, string | number | undefined>): string {
  return Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
}

/** Grafana's logfmt → JSON conversion of the Tags field (`error=true http.status_code=500`). */
function convertTagsLogfmt(tags: string): string {
  const out: Record<string, string> = {};
  for (const pair of tags.split(' ').filter(Boolean)) {
    const i = pair.indexOf('=');
    out[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return JSON.stringify(out);
}

async function datasourceRequest(path: string, params?: Record<string, string | number | undefined>) {
  const query = params ? serializeParams(params) : '';
  const res = await SELF.fetch(`${BASE}${path}${query ? `?${query}` : ''}`);
  return { status: res.status, data: (await res.json()) as { data: unknown; errors?: unknown } };
}

/** What Grafana reads of a trace: table row (traceName, startTime, duration) and span rows. */
function grafanaView(t: JaegerTrace) {
  expect(t.traceID).toMatch(/^[0-9a-f]{32}$/);
  for (const s of t.spans) {
    expect(typeof s.spanID).toBe('string');
    expect(typeof s.operationName).toBe('string');
    expect(Number.isFinite(s.startTime) && Number.isFinite(s.duration)).toBe(true);
    expect(Array.isArray(s.references) && Array.isArray(s.tags) && Array.isArray(s.logs)).toBe(true);
    for (const l of s.logs) expect(Number.isFinite(l.timestamp) && Array.isArray(l.fields)).toBe(true);
    const p = t.processes[s.processID];
    expect(p, `process ${s.processID}`).toBeDefined();
    expect(typeof p!.serviceName === 'string' && Array.isArray(p!.tags)).toBe(true);
  }
  const ids = new Set(t.spans.map((s) => s.spanID));
  const root = t.spans.find((s) => !s.references.some((r) => r.refType === 'CHILD_OF' && ids.has(r.spanID)))!;
  const start = Math.min(...t.spans.map((s) => s.startTime));
  const end = Math.max(...t.spans.map((s) => s.startTime + s.duration));
  return { traceID: t.traceID, traceName: `${t.processes[root.processID]!.serviceName}: ${root.operationName}`, startTime: start / 1000, duration: end - start };
}

beforeAll(async () => {
  expect((await postOtlp(otlpTrace(OK, NOW_US - 20 * MIN_US, request({ ms: 40, status: 200 })))).status).toBe(200);
  expect((await postOtlp(otlpTrace(FAILED, NOW_US - 10 * MIN_US, request({ ms: 900, status: 500, error: true })))).status).toBe(200);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const { data } = await datasourceRequest('/api/traces', { service: BACK, start: NOW_US - 60 * MIN_US, end: NOW_US, lookback: 'custom' });
    if (Array.isArray(data.data) && data.data.length === 2) break;
    if (Date.now() > deadline) throw new Error('traces were not indexed');
    await new Promise((r) => setTimeout(r, 100));
  }
});

describe("Grafana's Jaeger data source", () => {
  it('health check: GET /api/services answers 200 with services', async () => {
    const { status, data } = await datasourceRequest('/api/services');
    expect(status).toBe(200);
    expect(Array.isArray(data.data) && (data.data as unknown[]).length > 0).toBe(true);
  });

  it('search form: services, then the operations of the chosen one', async () => {
    const services = (await datasourceRequest('/api/services')).data.data as string[];
    expect(services).toEqual(expect.arrayContaining([FRONT, BACK]));
    expect(services.every((s) => typeof s === 'string')).toBe(true);
    const ops = await datasourceRequest(`/api/services/${encodeURIComponent(FRONT)}/operations`);
    expect(ops.status).toBe(200);
    expect(ops.data.data).toEqual(['HTTP GET /checkout']);
  });

  it('search with tags, min/max duration, limit and the dashboard time range', async () => {
    const { status, data } = await datasourceRequest('/api/traces', {
      service: FRONT,
      operation: 'HTTP GET /checkout',
      tags: convertTagsLogfmt('error=true http.response.status_code=500'),
      minDuration: '100ms',
      maxDuration: '1s',
      limit: 20,
      start: NOW_US - 60 * MIN_US,
      end: NOW_US,
      lookback: 'custom',
    });
    expect(status).toBe(200);
    const rows = (data.data as JaegerTrace[]).map(grafanaView);
    expect(rows).toEqual([{ traceID: FAILED, traceName: `${FRONT}: HTTP GET /checkout`, startTime: (NOW_US - 10 * MIN_US) / 1000, duration: 900_000 }]);
  });

  it('search with "All" operations (omitted) and no tags lists both, each with its root', async () => {
    const { data } = await datasourceRequest('/api/traces', { service: BACK, limit: 20, start: NOW_US - 60 * MIN_US, end: NOW_US, lookback: 'custom' });
    const rows = (data.data as JaegerTrace[]).map(grafanaView);
    expect(rows.map((r) => r.traceID)).toEqual([FAILED, OK]);
    expect(rows.every((r) => r.traceName === `${FRONT}: HTTP GET /checkout`)).toBe(true);
  });

  it('trace by id: data[0] is the whole trace', async () => {
    const { status, data } = await datasourceRequest(`/api/traces/${encodeURIComponent(OK)}`);
    expect(status).toBe(200);
    const trace = (data.data as JaegerTrace[])[0]!;
    expect(grafanaView(trace)).toMatchObject({ traceID: OK, duration: 40_000 });
    expect(trace.spans.map((s) => s.operationName).sort()).toEqual(['HTTP GET /checkout', 'charge']);
    const charge = trace.spans.find((s) => s.operationName === 'charge')!;
    expect(charge.references).toEqual([{ refType: 'CHILD_OF', traceID: OK, spanID: trace.spans.find((s) => s !== charge)!.spanID }]);
  });

  it('an unknown trace id is a 404 with data null and errors, as Jaeger answers it', async () => {
    const { status, data } = await datasourceRequest(`/api/traces/${randomTraceId()}`);
    expect(status).toBe(404);
    expect(data).toMatchObject({ data: null, errors: [{ code: 404 }] });
  });

  it('dependency graph: endTs and lookback of the time range in ms give the caller → callee edge', async () => {
    // Grafana's query: endTs = the range's end in ms, lookback = its length in ms (last hour here)
    const graph = async () => {
      const end = Date.now();
      const start = end - 3_600_000;
      const { status, data } = await datasourceRequest('/api/dependencies', { endTs: end, lookback: end - start });
      expect(status).toBe(200);
      // mapJaegerDependenciesResponse treats any truthy `errors` (even []) as a failed query
      expect(data.errors).toBeNull();
      return (data.data as DependencyLink[]).filter((l) => l.parent === FRONT || l.parent === BACK);
    };
    // edges are written just after the index rows beforeAll waited for
    const deadline = Date.now() + 10_000;
    let links = await graph();
    while (links[0]?.callCount !== 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      links = await graph();
    }
    // one call per trace: the two traces were kept at rate 1
    expect(links).toEqual([{ parent: FRONT, child: BACK, callCount: 2 }]);
  });

  it('dependency graph: a time range before the traces has none of their edges', async () => {
    const endTs = Date.now() - 30 * 60_000;
    const { status, data } = await datasourceRequest('/api/dependencies', { endTs, lookback: 5 * 60_000 });
    expect(status).toBe(200);
    expect((data.data as DependencyLink[]).filter((l) => l.parent === FRONT)).toEqual([]);
  });

  it('dependency graph: a bad endTs or lookback is a 400 whose errors name the parameter', async () => {
    const cases: [Record<string, string | number>, string][] = [
      [{ endTs: 'now', lookback: 3_600_000 }, 'endTs'],
      [{ endTs: '1.7e12', lookback: 3_600_000 }, 'endTs'],
      [{ endTs: Date.now(), lookback: 'an hour' }, 'lookback'],
      [{ endTs: Date.now(), lookback: -3_600_000 }, 'lookback'],
      [{ endTs: Date.now(), lookback: 0 }, 'lookback'],
    ];
    for (const [params, name] of cases) {
      const { status, data } = await datasourceRequest('/api/dependencies', params);
      expect(status, JSON.stringify(params)).toBe(400);
      expect(data, JSON.stringify(params)).toMatchObject({ data: null, errors: [{ code: 400, msg: expect.stringContaining(`parameter ${name} `) }] });
    }
  });
});
