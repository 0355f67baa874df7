/**
 * Retention of the services data, for the retention cron: `deleteServicesDataBefore(db, cutoffMs,
 * maxRows)` deletes at most `maxRows` rows older than the cutoff and returns how many it deleted
 * (call again while it returns maxRows). Each delete walks a primary key (metrics by service then
 * minute, edges by bucket), except the two small tables of instances and per-trace edge markers.
 */
import { MINUTE_MS } from './red-aggregate';

export async function deleteServicesDataBefore(db: D1Database, cutoffMs: number, maxRows: number): Promise<number> {
  let left = maxRows;
  const run = async (sql: string, ...params: unknown[]): Promise<void> => {
    if (left <= 0) return;
    const r = await db.prepare(sql).bind(...params, left).run();
    left -= r.meta.changes ?? 0;
  };
  const cutoffMinute = Math.floor(cutoffMs / MINUTE_MS);
  await run(
    `DELETE FROM service_metrics WHERE rowid IN (
       SELECT m.rowid FROM services s JOIN service_metrics m ON m.service = s.name AND m.minute < ?1 LIMIT ?2)`,
    cutoffMinute,
  );
  const metricsDone = left > 0;
  await run('DELETE FROM dependency_edges WHERE rowid IN (SELECT rowid FROM dependency_edges WHERE bucket_ms < ?1 LIMIT ?2)', cutoffMs);
  await run('DELETE FROM dependency_traces WHERE rowid IN (SELECT rowid FROM dependency_traces WHERE bucket_ms < ?1 LIMIT ?2)', cutoffMs);
  await run('DELETE FROM service_instances WHERE rowid IN (SELECT rowid FROM service_instances WHERE last_seen_ms < ?1 LIMIT ?2)', cutoffMs);
  // a service row goes last: it is how the metrics of the service are found
  if (metricsDone) await run('DELETE FROM services WHERE rowid IN (SELECT rowid FROM services WHERE last_seen_ms < ?1 LIMIT ?2)', cutoffMs);
  return maxRows - left;
}
