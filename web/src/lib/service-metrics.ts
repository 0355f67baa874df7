/**
 * RED figures per service for the Services page, from the monitor API's series
 * (`/api/metrics/{calls,errors,latencies}`): the request URLs for all services at once, and the
 * series regrouped by service with the figure shown beside each sparkline.
 */
import type { MetricPoint, MetricSeries } from './services-validate';

export type MetricKind = 'calls' | 'errors' | 'latencies';
export const QUANTILES = [0.5, 0.95, 0.99] as const;
export type Quantile = (typeof QUANTILES)[number];

/** Sparklines get about this many points whatever the lookback; the API counts per minute. */
const POINTS = 60;
const MINUTE_MS = 60_000;

/** The step (and rate window) for a lookback: lookback / 60, at least a minute. */
export const stepFor = (lookbackMs: number): number => Math.max(MINUTE_MS, Math.ceil(lookbackMs / POINTS / MINUTE_MS) * MINUTE_MS);

/**
 * The span kinds that are a service's own work: requests it serves and messages it consumes. The
 * API defaults to server spans only (as Jaeger does), which leaves a queue worker without a rate;
 * client and producer spans are calls to others, and adding them would count a request twice.
 */
export const SERVED_SPAN_KINDS = ['server', 'consumer'] as const;

/** One request for every service: each point covers one step, so points do not overlap. */
export function metricsUrl(kind: MetricKind, services: readonly string[], lookbackMs: number, endTs: number, quantile?: Quantile): string {
  const step = stepFor(lookbackMs);
  const p = new URLSearchParams();
  for (const s of services) p.append('service', s);
  for (const k of SERVED_SPAN_KINDS) p.append('spanKind', k);
  p.set('endTs', String(endTs));
  p.set('lookback', String(lookbackMs));
  p.set('step', String(step));
  p.set('ratePer', String(step));
  if (kind === 'latencies') p.set('quantile', String(quantile ?? 0.95));
  return `/api/metrics/${kind}?${p}`;
}

/** The series keyed by their `service_name` label. */
export function byService(series: readonly MetricSeries[]): Map<string, MetricPoint[]> {
  const out = new Map<string, MetricPoint[]>();
  for (const s of series) {
    const name = s.labels.service_name;
    if (name !== undefined) out.set(name, s.points);
  }
  return out;
}

export interface ServiceRed {
  calls: MetricPoint[];
  errors: MetricPoint[];
  latency: Record<Quantile, MetricPoint[]>;
  /** calls per second over the lookback */
  rate: number | null;
  /** errors / calls over the lookback */
  errorRatio: number | null;
  /** the latest point of each latency quantile, ms */
  latest: Record<Quantile, number | null>;
}

const mean = (ps: readonly MetricPoint[]) => (ps.length ? ps.reduce((a, p) => a + p.v, 0) / ps.length : null);
const last = (ps: readonly MetricPoint[]) => (ps.length ? ps[ps.length - 1]!.v : null);

/**
 * One service's figures. The error ratio weighs each point by the calls at that time (a point
 * with one call failing should not count as much as one with a thousand); without calls at a
 * point's time it falls back to the plain mean.
 */
export function serviceRed(calls: MetricPoint[], errors: MetricPoint[], latency: Record<Quantile, MetricPoint[]>): ServiceRed {
  const callsAt = new Map(calls.map((p) => [p.t, p.v]));
  let weighted = 0;
  let weight = 0;
  for (const e of errors) {
    const w = callsAt.get(e.t);
    if (w === undefined || w <= 0) continue;
    weighted += e.v * w;
    weight += w;
  }
  return {
    calls,
    errors,
    latency,
    rate: mean(calls),
    errorRatio: weight > 0 ? weighted / weight : mean(errors),
    latest: { 0.5: last(latency[0.5]), 0.95: last(latency[0.95]), 0.99: last(latency[0.99]) },
  };
}

/** Calls per second as people read it: 0.02/s, 3.4/s, 120/s, 4.5k/s. */
export function formatRate(perSecond: number | null): string {
  if (perSecond === null) return '–';
  if (perSecond === 0) return '0/s';
  if (perSecond >= 1000) return `${Number((perSecond / 1000).toFixed(1))}k/s`;
  const digits = perSecond >= 100 ? 0 : perSecond >= 10 ? 1 : perSecond >= 0.1 ? 2 : 3;
  return `${Number(perSecond.toFixed(digits))}/s`;
}

/** A share as a percentage: 0%, 0.05%, 2.5%, 100%. */
export function formatRatio(ratio: number | null): string {
  if (ratio === null) return '–';
  const pct = ratio * 100;
  if (pct === 0) return '0%';
  return `${Number(pct.toFixed(pct < 1 ? 2 : 1))}%`;
}
