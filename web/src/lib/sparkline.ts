/**
 * A sparkline's SVG path: points over a fixed time range, scaled from zero to the largest value
 * (rates and latencies read wrong when the floor moves). Where points are missing — no calls, so
 * no error ratio or latency — the line breaks instead of drawing a slope across the gap, and a
 * point alone is drawn as a dot.
 */
import type { MetricPoint } from './services-validate';

export interface SparkFrame {
  width: number;
  height: number;
  /** ms: the time range shown */
  from: number;
  to: number;
  /** the expected time between points; a wider gap breaks the line */
  step: number;
  /** the value at the top (defaults to the largest value) */
  max?: number;
}

/** The `d` of a path through the points ("M…L…M…" with a break at each gap); '' for none. */
export function sparkPath(points: readonly MetricPoint[], f: SparkFrame): string {
  if (points.length === 0 || f.to <= f.from) return '';
  const top = f.max ?? Math.max(...points.map((p) => p.v));
  const scale = top > 0 ? (f.height - 1) / top : 0;
  const x = (t: number) => ((t - f.from) / (f.to - f.from)) * f.width;
  // Half a pixel in from the edges so a flat line at 0 or at the top is not clipped.
  const y = (v: number) => f.height - 0.5 - Math.max(0, v) * scale;
  const breaksBefore = (i: number) => i === 0 || i === points.length || points[i]!.t - points[i - 1]!.t > f.step * 1.5;
  let d = '';
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    d += `${breaksBefore(i) ? 'M' : 'L'}${round(x(p.t))},${round(y(p.v))}`;
    // A point alone between gaps gets a zero-length stroke: drawn with round caps, a dot.
    if (breaksBefore(i) && breaksBefore(i + 1)) d += 'h0';
  }
  return d;
}

/** The largest value of several series, for drawing them on one scale. */
export const seriesMax = (...series: ReadonlyArray<readonly MetricPoint[]>): number => Math.max(0, ...series.flatMap((s) => s.map((p) => p.v)));

const round = (n: number) => Math.round(n * 10) / 10;
