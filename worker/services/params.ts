/**
 * Query parameters of the services API, validated into typed values; a bad one is a 400 naming it.
 * Times follow the Jaeger APIs they mirror: `endTs` in ms since the epoch, durations (`lookback`,
 * `step`, `ratePer`) in ms — and, for people typing URLs, also as `90s`, `15m`, `1h`, `2d`.
 */
import { ApiError } from '../http-error';

export type Query = (name: string) => string | undefined;
export type QueryAll = (name: string) => string[];

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function durationMs(query: Query, name: string, fallback: number, range: { min: number; max: number }): number {
  const raw = query(name)?.trim();
  if (raw === undefined || raw === '') return fallback;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(raw);
  const value = m ? Math.round(Number(m[1]) * UNIT_MS[m[2] ?? 'ms']!) : Number.NaN;
  if (!Number.isFinite(value)) throw new ApiError(400, `parameter ${name} must be a duration in ms (or like 15m, 1h), got ${JSON.stringify(raw)}`, name);
  if (value < range.min || value > range.max)
    throw new ApiError(400, `parameter ${name} must be between ${range.min} and ${range.max} ms, got ${value}`, name);
  return value;
}

export function timestampMs(query: Query, name: string, now: number): number {
  const raw = query(name)?.trim();
  if (raw === undefined || raw === '') return now;
  if (!/^\d{1,15}$/.test(raw)) throw new ApiError(400, `parameter ${name} must be ms since the Unix epoch, got ${JSON.stringify(raw)}`, name);
  return Number(raw);
}

export function booleanParam(query: Query, name: string): boolean {
  const raw = query(name)?.trim().toLowerCase();
  if (raw === undefined || raw === '') return false;
  if (['true', '1', 't'].includes(raw)) return true;
  if (['false', '0', 'f'].includes(raw)) return false;
  throw new ApiError(400, `parameter ${name} must be true or false, got ${JSON.stringify(raw)}`, name);
}

export function requiredService(query: Query): string {
  const s = query('service')?.trim();
  if (!s) throw new ApiError(400, 'parameter service is required', 'service');
  return s;
}

const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

/** `spanKind` (repeatable): `server` or `SPAN_KIND_SERVER`, as the Jaeger UI and API send it; default server. */
export function spanKinds(all: QueryAll): string[] {
  const raw = all('spanKind').flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  if (raw.length === 0) return ['server'];
  return [
    ...new Set(
      raw.map((v) => {
        const k = v.toLowerCase().replace(/^span_kind_/, '');
        if (!KINDS.includes(k)) throw new ApiError(400, `parameter spanKind must be one of ${KINDS.join(', ')}, got ${JSON.stringify(v)}`, 'spanKind');
        return k;
      }),
    ),
  ];
}

export function quantileParam(query: Query): number {
  const raw = query('quantile')?.trim();
  const q = raw ? Number(raw) : Number.NaN;
  if (!(q > 0 && q <= 1)) throw new ApiError(400, `parameter quantile must be a number in (0, 1], got ${JSON.stringify(raw ?? null)}`, 'quantile');
  return q;
}
