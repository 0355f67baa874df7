/**
 * The latency histogram that RED metrics and service-map edges carry: log-scale buckets, four per
 * doubling (each 19% wider than the last), from 1 µs up. Quantiles are read from it with a relative
 * error under 10%, and it merges by adding counts, so per-minute rows can be summed over any window.
 *
 * It is stored as a JSON object `{"<bucket>": count}` with only the non-empty buckets: compact for
 * the usual spread of one operation, and SQLite's JSON functions can merge two of them inside an
 * upsert (see worker/services/edge-store.ts), which the service-map rows rely on. Counts are
 * numbers, not integers: service-map edges are weighted by the traces' adjusted counts.
 */

/** Buckets per doubling of the duration. */
const PER_DOUBLING = 4;
/** Bucket 0 holds every duration up to 1 µs; bucket i ≥ 1 holds (1 µs·2^((i-1)/4), 1 µs·2^(i/4)]. */
const BASE_NS = 1000;
/** The last bucket takes everything longer (2^40 µs, about 12.7 days). */
export const MAX_BUCKET = 40 * PER_DOUBLING + 1;

/** bucket → count; a Map keeps insertion cheap and iteration order irrelevant. */
export type Histogram = Map<number, number>;

export function bucketOf(durationNs: number): number {
  if (!(durationNs > BASE_NS)) return 0;
  const i = Math.ceil(Math.log2(durationNs / BASE_NS) * PER_DOUBLING);
  return Math.min(Math.max(i, 1), MAX_BUCKET);
}

/** Lower and upper bound of a bucket, in ns. */
export function bucketBounds(i: number): [number, number] {
  if (i <= 0) return [0, BASE_NS];
  return [BASE_NS * 2 ** ((i - 1) / PER_DOUBLING), BASE_NS * 2 ** (i / PER_DOUBLING)];
}

export function addToHistogram(h: Histogram, durationNs: number, weight = 1): void {
  const b = bucketOf(durationNs);
  h.set(b, (h.get(b) ?? 0) + weight);
}

export function mergeHistogram(into: Histogram, from: Histogram): Histogram {
  for (const [b, c] of from) into.set(b, (into.get(b) ?? 0) + c);
  return into;
}

export function histogramTotal(h: Histogram): number {
  let n = 0;
  for (const c of h.values()) n += c;
  return n;
}

/**
 * The q-quantile (0 < q ≤ 1) in ns, or null for an empty histogram. Inside the bucket that holds
 * the rank, the value is interpolated on the log scale; `min`/`max` (exact, when known) clamp it,
 * so a group whose spans all take the same time reports that time.
 */
export function quantile(h: Histogram, q: number, min?: number | null, max?: number | null): number | null {
  const total = histogramTotal(h);
  if (total <= 0) return null;
  const rank = q * total;
  const buckets = [...h.entries()].filter(([, c]) => c > 0).sort((a, b) => a[0] - b[0]);
  let seen = 0;
  let value = 0;
  for (const [b, c] of buckets) {
    if (seen + c >= rank) {
      const [lo, hi] = bucketBounds(b);
      const frac = Math.min(Math.max((rank - seen) / c, 0), 1);
      value = b === 0 ? hi * frac : lo * (hi / lo) ** frac;
      break;
    }
    seen += c;
    value = bucketBounds(b)[1];
  }
  if (min != null && value < min) value = min;
  if (max != null && value > max) value = max;
  return value;
}

/** `{"12":3,"13":1}`, buckets ascending. */
export function encodeHistogram(h: Histogram): string {
  const keys = [...h.keys()].filter((b) => h.get(b) !== 0).sort((a, b) => a - b);
  return `{${keys.map((b) => `"${b}":${h.get(b)}`).join(',')}}`;
}

/** Reads what encodeHistogram wrote (or SQLite's json_group_object did); junk entries are skipped. */
export function decodeHistogram(json: string | null | undefined): Histogram {
  const h: Histogram = new Map();
  if (!json) return h;
  const parsed: unknown = JSON.parse(json);
  if (parsed === null || typeof parsed !== 'object') return h;
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    const b = Number(k);
    if (Number.isInteger(b) && typeof v === 'number' && Number.isFinite(v) && v !== 0) h.set(b, (h.get(b) ?? 0) + v);
  }
  return h;
}
