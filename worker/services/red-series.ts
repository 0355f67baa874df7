/**
 * The Jaeger monitor API's answer (`/api/metrics/{calls,errors,latencies}`): a MetricFamily of
 * GAUGE series, one per service (or per service and operation), with a point every `step` ms from
 * endTs − lookback to endTs. Each point looks back `ratePer` ms, as Jaeger's PromQL does with
 * `rate(...[ratePer])`: calls per second, errors as a share of calls, or the latency quantile in ms.
 *
 * Data is per minute, so a point at t covers the minutes that started within [t − ratePer, t);
 * the current minute counts as far as it has gone. A rate divides by the time those whole minutes
 * span (up to now), not by t − the first minute: when t falls partway through a minute, that
 * minute's calls are all summed, so they must all be divided for. Points without calls are left out
 * of the error and latency series (there is nothing to divide), as a metrics backend leaves them out.
 */
import { histogramTotal, mergeHistogram, quantile, type Histogram } from './histogram';
import { MINUTE_MS, type MetricGroup } from './red-aggregate';

export type MetricKind = 'calls' | 'errors' | 'latencies';

export interface SeriesQuery {
  kind: MetricKind;
  groupByOperation: boolean;
  endTs: number;
  lookback: number;
  step: number;
  ratePer: number;
  /** for latencies */
  quantile?: number;
  /** the server's clock: the current minute counts up to here */
  now: number;
}

export interface MetricPoint {
  gaugeValue: { doubleValue: number };
  timestamp: string;
}

export interface MetricFamily {
  name: string;
  type: 'GAUGE';
  help: string;
  metrics: { labels: { name: string; value: string }[]; metricPoints: MetricPoint[] }[];
}

/** Prometheus refuses query ranges of more points than this; so does this API. */
export const MAX_POINTS = 11_000;

export function pointCount(q: Pick<SeriesQuery, 'lookback' | 'step'>): number {
  return Math.floor(q.lookback / q.step) + 1;
}

function familyName(q: SeriesQuery): Pick<MetricFamily, 'name' | 'help'> {
  const by = q.groupByOperation ? 'service & operation' : 'service';
  const prefix = q.groupByOperation ? 'service_operation' : 'service';
  switch (q.kind) {
    case 'calls':
      return { name: `${prefix}_call_rate`, help: `calls/sec, grouped by ${by}` };
    case 'errors':
      return { name: `${prefix}_error_rate`, help: `error rate, computed as a fraction of errors/sec over calls/sec, grouped by ${by}` };
    case 'latencies':
      return { name: `${prefix}_latencies`, help: `${q.quantile}th quantile latency, grouped by ${by}` };
  }
}

interface Minute {
  calls: number;
  errors: number;
  hist: Histogram;
  minNs: number | null;
  maxNs: number | null;
}

/** The minutes first..last of one series, summed (the histogram only when it is needed). */
function sumMinutes(minutes: Map<number, Minute>, first: number, last: number, withHistogram: boolean): Minute {
  const w: Minute = { calls: 0, errors: 0, hist: new Map(), minNs: null, maxNs: null };
  for (let minute = first; minute <= last; minute++) {
    const m = minutes.get(minute);
    if (!m) continue;
    w.calls += m.calls;
    w.errors += m.errors;
    if (withHistogram) {
      mergeHistogram(w.hist, m.hist);
      if (m.minNs !== null) w.minNs = w.minNs === null ? m.minNs : Math.min(w.minNs, m.minNs);
      if (m.maxNs !== null) w.maxNs = w.maxNs === null ? m.maxNs : Math.max(w.maxNs, m.maxNs);
    }
  }
  return w;
}

export function metricFamily(groups: Iterable<MetricGroup>, q: SeriesQuery): MetricFamily {
  // series key → minute → totals
  const series = new Map<string, { labels: { name: string; value: string }[]; minutes: Map<number, Minute> }>();
  for (const g of groups) {
    const key = q.groupByOperation ? `${g.service}\u0000${g.operation}` : g.service;
    let s = series.get(key);
    if (!s) {
      const labels = q.groupByOperation ? [{ name: 'operation', value: g.operation }, { name: 'service_name', value: g.service }] : [{ name: 'service_name', value: g.service }];
      series.set(key, (s = { labels, minutes: new Map() }));
    }
    let m = s.minutes.get(g.minute);
    if (!m) s.minutes.set(g.minute, (m = { calls: 0, errors: 0, hist: new Map(), minNs: null, maxNs: null }));
    m.calls += g.calls;
    m.errors += g.errors;
    mergeHistogram(m.hist, g.hist);
    if (g.minNs !== null) m.minNs = m.minNs === null ? g.minNs : Math.min(m.minNs, g.minNs);
    if (g.maxNs !== null) m.maxNs = m.maxNs === null ? g.maxNs : Math.max(m.maxNs, g.maxNs);
  }
  const start = q.endTs - q.lookback;
  const metrics = [...series.values()]
    .sort((a, b) => (a.labels.map((l) => l.value).join('\u0000') < b.labels.map((l) => l.value).join('\u0000') ? -1 : 1))
    .map(({ labels, minutes }) => {
      const metricPoints: MetricPoint[] = [];
      // consecutive points often cover the same minutes (step < 1 minute): sum each window once
      const windows = new Map<string, Minute>();
      for (let t = start; t <= q.endTs; t += q.step) {
        const first = Math.ceil((t - q.ratePer) / MINUTE_MS);
        const last = Math.ceil(t / MINUTE_MS) - 1;
        let w = windows.get(`${first}:${last}`);
        if (!w) {
          w = sumMinutes(minutes, first, last, q.kind === 'latencies');
          windows.set(`${first}:${last}`, w);
        }
        const coveredMs = Math.min((last + 1) * MINUTE_MS, q.now) - first * MINUTE_MS;
        let value: number | null;
        if (q.kind === 'calls') value = coveredMs > 0 ? w.calls / (coveredMs / 1000) : 0;
        else if (w.calls === 0) value = null;
        else if (q.kind === 'errors') value = w.errors / w.calls;
        else value = histogramTotal(w.hist) > 0 ? quantile(w.hist, q.quantile ?? 0.95, w.minNs, w.maxNs)! / 1e6 : null;
        if (value !== null) metricPoints.push({ gaugeValue: { doubleValue: value }, timestamp: new Date(t).toISOString() });
      }
      return { labels, metricPoints };
    });
  return { ...familyName(q), type: 'GAUGE', metrics };
}
