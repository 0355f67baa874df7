/**
 * Folding old RED-metric minute rows into hourly rows. Minute rows cost about 200 bytes per
 * (service, operation, kind) per minute — at 100 services that is hundreds of MB a day, and D1
 * holds 10 GB — so after MINUTE_ROWS_KEPT_MS a shard replaces its services' minute rows of an hour
 * with one row per group at the hour's first minute (shard = -1: no flush, never pending). Counts
 * add up exactly; the histograms are merged inside SQLite with its JSON functions, also into an
 * hourly row that already exists. The upsert and the delete run in one batch (one transaction),
 * so a retried fold adds nothing.
 */
import { MINUTE_MS } from './red-aggregate';

/** Minute resolution is kept this long; older data is hourly. */
export const MINUTE_ROWS_KEPT_MS = 2 * 86_400_000;
/** The shard column of an hourly row. */
export const HOURLY_SHARD = -1;

export const hourStartMinute = (minute: number): number => Math.floor(minute / 60) * 60;

/** The first hour (as its first minute) that may be folded at `nowMs`: every hour before it. */
export const foldBefore = (nowMs: number): number => hourStartMinute(Math.floor((nowMs - MINUTE_ROWS_KEPT_MS) / MINUTE_MS));

const SERVICES = 'SELECT value FROM json_each(?1)';

export function oldestMinuteRow(db: D1Database, services: string[], fromMinute: number): D1PreparedStatement {
  return db
    .prepare(`SELECT MIN(minute) AS minute FROM service_metrics WHERE service IN (${SERVICES}) AND minute >= ?2 AND shard >= 0`)
    .bind(JSON.stringify(services), fromMinute);
}

export function foldStatements(db: D1Database, services: string[], hour: number): D1PreparedStatement[] {
  const list = JSON.stringify(services);
  return [
    db
      .prepare(
        `INSERT INTO service_metrics (service, minute, operation, span_kind, shard, seq, calls, errors, min_ns, max_ns, hist)
         SELECT m.service, ?2, m.operation, m.span_kind, ${HOURLY_SHARD}, 0, SUM(m.calls), SUM(m.errors), MIN(m.min_ns), MAX(m.max_ns),
           (SELECT coalesce(json_group_object(k, c), '{}') FROM (
              SELECT j.key AS k, SUM(j.value) AS c FROM service_metrics m2, json_each(m2.hist) j
              WHERE m2.service = m.service AND m2.minute >= ?2 AND m2.minute < ?2 + 60 AND m2.operation = m.operation
                AND m2.span_kind = m.span_kind AND m2.shard >= 0
              GROUP BY j.key))
         FROM service_metrics m
         WHERE m.service IN (${SERVICES}) AND m.minute >= ?2 AND m.minute < ?2 + 60 AND m.shard >= 0
         GROUP BY m.service, m.operation, m.span_kind
         ON CONFLICT (service, minute, operation, span_kind, shard, seq) DO UPDATE SET
           calls = service_metrics.calls + excluded.calls,
           errors = service_metrics.errors + excluded.errors,
           min_ns = min(coalesce(service_metrics.min_ns, excluded.min_ns), coalesce(excluded.min_ns, service_metrics.min_ns)),
           max_ns = max(coalesce(service_metrics.max_ns, excluded.max_ns), coalesce(excluded.max_ns, service_metrics.max_ns)),
           hist = (SELECT coalesce(json_group_object(k, c), '{}') FROM (
             SELECT key AS k, SUM(value) AS c FROM (
               SELECT key, value FROM json_each(service_metrics.hist) UNION ALL SELECT key, value FROM json_each(excluded.hist))
             GROUP BY key))`,
      )
      .bind(list, hour),
    db.prepare(`DELETE FROM service_metrics WHERE service IN (${SERVICES}) AND minute >= ?2 AND minute < ?2 + 60 AND shard >= 0`).bind(list, hour),
  ];
}
