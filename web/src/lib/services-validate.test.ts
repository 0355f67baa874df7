import { describe, expect, it } from 'vitest';
import { validateMapEdges, validateMetricFamily, validateRegistry, validateSummary } from './services-validate';

describe('validateRegistry', () => {
  it('accepts services with instances, and names a bad status', () => {
    const body = { data: [{ service: 'a', firstSeen: 1, lastSeen: 2, instances: [{ id: 'i1', host: 'h', sdk: 'opentelemetry/js 2.0', status: 'live', firstSeen: 1, lastSeen: 2 }] }], errors: null };
    expect(validateRegistry(body)).toMatchObject({ ok: true, value: [{ service: 'a', instances: [{ id: 'i1', status: 'live' }] }] });
    (body.data[0]!.instances[0] as { status: string }).status = 'zombie';
    expect(validateRegistry(body)).toEqual({ ok: false, error: { path: 'data[0].instances[0].status', message: 'must be "live" or "gone"' } });
  });
  it('turns the 404 of a backend without the endpoint into its message', () => {
    expect(validateRegistry({ data: null, errors: [{ code: 404, msg: 'no route for GET /api/registry' }] })).toEqual({ ok: false, error: { path: 'errors', message: '404 no route for GET /api/registry' } });
  });
});

describe('validateSummary and validateMapEdges', () => {
  it('accept null percentiles and Jaeger dependencies without errors', () => {
    expect(validateSummary({ data: [{ operation: 'GET /', spanKind: 'server', calls: 3, errors: 1, p50: 1.5, p95: null, p99: null }] })).toMatchObject({ ok: true, value: [{ p50: 1.5, p95: null }] });
    expect(validateMapEdges({ data: [{ parent: 'a', child: 'b', callCount: 4 }] })).toEqual({ ok: true, value: [{ parent: 'a', child: 'b', callCount: 4, errorCount: null, p50: null, p95: null }] });
    expect(validateMapEdges({ data: [{ parent: 'a', child: 'b', callCount: '4' }] })).toMatchObject({ ok: false, error: { path: 'data[0].callCount' } });
  });
});

describe('validateMetricFamily', () => {
  it('reads labels and points (RFC 3339 times), oldest first', () => {
    const r = validateMetricFamily({
      name: 'service_call_rate', type: 'GAUGE', help: '',
      metrics: [{ labels: [{ name: 'service_name', value: 'a' }], metricPoints: [
        { gaugeValue: { doubleValue: 2 }, timestamp: '2026-01-01T00:01:00Z' },
        { gaugeValue: { doubleValue: 1 }, timestamp: '2026-01-01T00:00:00.000Z' },
      ] }],
    });
    expect(r).toEqual({ ok: true, value: [{ labels: { service_name: 'a' }, points: [{ t: Date.UTC(2026, 0, 1), v: 1 }, { t: Date.UTC(2026, 0, 1, 0, 1), v: 2 }] }] });
  });
  it('names a bad time or value', () => {
    const point = (p: object) => ({ metrics: [{ labels: [], metricPoints: [p] }] });
    expect(validateMetricFamily(point({ gaugeValue: { doubleValue: 1 }, timestamp: 'yesterday' }))).toMatchObject({ ok: false, error: { path: 'metrics[0].metricPoints[0].timestamp' } });
    expect(validateMetricFamily(point({ gaugeValue: {}, timestamp: '2026-01-01T00:00:00Z' }))).toMatchObject({ ok: false, error: { path: 'metrics[0].metricPoints[0].gaugeValue.doubleValue' } });
  });
});
