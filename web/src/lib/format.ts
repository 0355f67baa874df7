/** Human-readable durations, times and ages for the site (inputs in µs, as the API sends). */

export function formatDuration(us: number): string {
  if (!Number.isFinite(us)) return '–';
  const a = Math.abs(us);
  const sign = us < 0 ? '-' : '';
  if (a < 1000) return `${sign}${trim(a)}µs`;
  if (a < 1_000_000) return `${sign}${trim(a / 1000)}ms`;
  if (a < 60_000_000) return `${sign}${trim(a / 1_000_000)}s`;
  const m = Math.floor(a / 60_000_000);
  const s = Math.round((a - m * 60_000_000) / 1_000_000);
  return `${sign}${m}m${s ? ` ${s}s` : ''}`;
}

/**
 * A count with thousands separators: 100,000. Not toLocaleString: its first call loads the ICU
 * number data (tens of ms), right when a big trace is about to paint.
 */
export function formatCount(n: number): string {
  const [int, frac] = String(n).split('.');
  const grouped = int!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac === undefined ? grouped : `${grouped}.${frac}`;
}

/**
 * A trace's adjusted count (1 / the probability it was kept with) as people read it: the rate is
 * rounded to a 56-bit threshold, so 1 / 0.001 comes back as 999.9999999999991; shown as 1,000.
 */
export function formatAdjustedCount(n: number): string {
  return formatCount(Number(n.toPrecision(6)));
}

/** A sampling probability as a percentage: 0.001 → 0.1%, 0.25 → 25%. */
export function formatRate(p: number): string {
  return `${Number((p * 100).toPrecision(4))}%`;
}

/** Three significant digits at most, no trailing zeros: 1.5, 12.3, 123. */
function trim(x: number): string {
  const digits = x >= 100 ? 0 : x >= 10 ? 1 : 2;
  return String(Number(x.toFixed(digits)));
}

export function formatAge(nowMs: number, startUs: number): string {
  const s = Math.max(0, Math.round((nowMs - startUs / 1000) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

/** Local wall-clock time with milliseconds: 2026-11-25 14:03:07.123 */
export function formatTimestamp(us: number): string {
  const d = new Date(us / 1000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** Evenly spaced "nice" tick values over [0, max] for a time axis. */
export function timeTicks(maxUs: number, count = 5): number[] {
  if (maxUs <= 0) return [0];
  const raw = maxUs / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let t = 0; t <= maxUs + 1e-9; t += step) out.push(t);
  return out;
}
