/**
 * The services API as the site reads it (issue 8): the registry, the service map, RED summaries
 * and the monitor API's metric series — their shapes, and a validator for each that names the
 * first bad field, like api-validate.ts does for traces.
 */
import type { Result } from './result';
import { arr, envelopeError, guard, Invalid, num, obj, str, type Obj } from './validate-core';

export type { InstanceStatus, OperationSummary, RegistryInstance, RegistryService } from '../../../worker/api-contract';
import type { OperationSummary, RegistryInstance, RegistryService } from '../../../worker/api-contract';

export interface MapEdge {
  parent: string;
  child: string;
  callCount: number;
  /** null when the endpoint does not count errors (Jaeger's /api/dependencies) */
  errorCount: number | null;
  /** caller-side latency in ms */
  p50: number | null;
  p95: number | null;
}

export interface MetricPoint {
  /** ms since the epoch */
  t: number;
  v: number;
}

export interface MetricSeries {
  labels: Record<string, string>;
  points: MetricPoint[];
}

/** The `data` list of an envelope, or the envelope's error. */
function data(body: unknown): unknown[] {
  const o = obj(body, '');
  const err = envelopeError(o);
  if (err && !Array.isArray(o.data)) throw new Invalid('errors', err);
  return o.data === null ? [] : arr(o.data, 'data');
}

const optMs = (v: unknown, path: string): number | null => (v === undefined || v === null ? null : num(v, path));

function instance(v: unknown, path: string): RegistryInstance {
  const o = obj(v, path);
  const status = str(o.status, `${path}.status`);
  if (status !== 'live' && status !== 'gone') throw new Invalid(`${path}.status`, 'must be "live" or "gone"');
  return {
    id: str(o.id, `${path}.id`),
    host: typeof o.host === 'string' ? o.host : '',
    sdk: typeof o.sdk === 'string' ? o.sdk : '',
    status,
    firstSeen: num(o.firstSeen, `${path}.firstSeen`),
    lastSeen: num(o.lastSeen, `${path}.lastSeen`),
  };
}

/** `GET /api/registry` → every service with its instances. */
export function validateRegistry(body: unknown): Result<RegistryService[]> {
  return guard(() =>
    data(body).map((v, i) => {
      const o = obj(v, `data[${i}]`);
      const instances = o.instances === undefined || o.instances === null ? [] : arr(o.instances, `data[${i}].instances`);
      return {
        service: str(o.service, `data[${i}].service`),
        firstSeen: num(o.firstSeen, `data[${i}].firstSeen`),
        lastSeen: num(o.lastSeen, `data[${i}].lastSeen`),
        instances: instances.map((x, k) => instance(x, `data[${i}].instances[${k}]`)),
      };
    }),
  );
}

/** `GET /api/metrics/summary` → per operation and span kind: calls, errors, latency percentiles. */
export function validateSummary(body: unknown): Result<OperationSummary[]> {
  return guard(() =>
    data(body).map((v, i) => {
      const o = obj(v, `data[${i}]`);
      return {
        operation: str(o.operation, `data[${i}].operation`),
        spanKind: typeof o.spanKind === 'string' ? o.spanKind : '',
        calls: num(o.calls, `data[${i}].calls`),
        errors: num(o.errors, `data[${i}].errors`),
        p50: optMs(o.p50, `data[${i}].p50`),
        p95: optMs(o.p95, `data[${i}].p95`),
        p99: optMs(o.p99, `data[${i}].p99`),
      };
    }),
  );
}

/** `GET /api/service-map` (with errors and latency) or `GET /api/dependencies` (calls only). */
export function validateMapEdges(body: unknown): Result<MapEdge[]> {
  return guard(() =>
    data(body).map((v, i) => {
      const o: Obj = obj(v, `data[${i}]`);
      return {
        parent: str(o.parent, `data[${i}].parent`),
        child: str(o.child, `data[${i}].child`),
        callCount: num(o.callCount, `data[${i}].callCount`),
        errorCount: optMs(o.errorCount, `data[${i}].errorCount`),
        p50: optMs(o.p50, `data[${i}].p50`),
        p95: optMs(o.p95, `data[${i}].p95`),
      };
    }),
  );
}

/**
 * `GET /api/metrics/{calls,errors,latencies}` (the Jaeger monitor API's MetricFamily) → its
 * series, each with its labels as a record and its points as (ms, value), oldest first.
 */
export function validateMetricFamily(body: unknown): Result<MetricSeries[]> {
  return guard(() => {
    const o = obj(body, '');
    const err = envelopeError(o);
    if (err && !Array.isArray(o.metrics)) throw new Invalid('errors', err);
    return arr(o.metrics ?? [], 'metrics').map((m, i) => {
      const mo = obj(m, `metrics[${i}]`);
      const labels: Record<string, string> = {};
      arr(mo.labels ?? [], `metrics[${i}].labels`).forEach((l, k) => {
        const lo = obj(l, `metrics[${i}].labels[${k}]`);
        labels[str(lo.name, `metrics[${i}].labels[${k}].name`)] = str(lo.value, `metrics[${i}].labels[${k}].value`);
      });
      const points = arr(mo.metricPoints ?? [], `metrics[${i}].metricPoints`).map((p, k) => {
        const path = `metrics[${i}].metricPoints[${k}]`;
        const po = obj(p, path);
        const t = Date.parse(str(po.timestamp, `${path}.timestamp`));
        if (!Number.isFinite(t)) throw new Invalid(`${path}.timestamp`, 'must be an RFC 3339 time');
        return { t, v: num(obj(po.gaugeValue, `${path}.gaugeValue`).doubleValue, `${path}.gaugeValue.doubleValue`) };
      });
      points.sort((a, b) => a.t - b.t);
      return { labels, points };
    });
  });
}
