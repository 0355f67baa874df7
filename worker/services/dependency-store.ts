/**
 * Writes an assembled trace's service-map edges to D1. The trace Durable Object streams its spans
 * through `add` while it writes the trace, then calls `write(env.DB, summary)` once.
 *
 * Idempotent and exact under re-flushes: dependency_traces remembers what each trace added, so a
 * re-flush (late spans, version + 1) adds only the difference and a retried or older write adds
 * nothing. The edge upsert is guarded by the marker's version inside the same batch (one
 * transaction), so two racing writers cannot both apply. Histograms are merged inside SQLite's
 * upsert with its JSON functions, so concurrent traces never overwrite each other's counts.
 */
import type { TraceSummary } from '../span/model';
import { decodeHistogram, encodeHistogram } from './histogram';
import { contributionDiff, contributions, DependencyAccumulator, edgeBucketOf, type EdgeContribution } from './dependencies';

type StoredRow = [bucketMs: number, parent: string, child: string, calls: number, errors: number, hist: string];

const toStored = (c: EdgeContribution): StoredRow => [c.bucketMs, c.parent, c.child, c.calls, c.errors, encodeHistogram(c.hist)];
const fromStored = ([bucketMs, parent, child, calls, errors, hist]: StoredRow): EdgeContribution => ({ bucketMs, parent, child, calls, errors, hist: decodeHistogram(hist) });

const UPSERT_EDGES = `INSERT INTO dependency_edges (bucket_ms, parent, child, calls, errors, hist)
  SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5 FROM json_each(?1)
  WHERE (SELECT version FROM dependency_traces WHERE trace_id = ?2) IS ?3
  ON CONFLICT (bucket_ms, parent, child) DO UPDATE SET
    calls = dependency_edges.calls + excluded.calls,
    errors = dependency_edges.errors + excluded.errors,
    hist = (SELECT coalesce(json_group_object(k, c), '{}') FROM (
      SELECT key AS k, SUM(value) AS c FROM (
        SELECT key, value FROM json_each(dependency_edges.hist)
        UNION ALL SELECT key, value FROM json_each(excluded.hist))
      GROUP BY key HAVING abs(SUM(value)) > 1e-9))`;

const UPSERT_MARKER = `INSERT INTO dependency_traces (trace_id, bucket_ms, version, edges) VALUES (?1, ?2, ?3, ?4)
  ON CONFLICT (trace_id) DO UPDATE SET bucket_ms = excluded.bucket_ms, version = excluded.version, edges = excluded.edges
  WHERE dependency_traces.version IS ?5`;

export class DependencyRecorder extends DependencyAccumulator {
  /** Adds the trace's edges (weighted by summary.adjustedCount) to dependency_edges. */
  async write(db: D1Database, summary: TraceSummary): Promise<void> {
    const startMs = Number(BigInt(summary.startTimeUnixNano) / 1_000_000n);
    const current = contributions(this.edges(), edgeBucketOf(startMs), summary.adjustedCount);
    const prev = await db
      .prepare('SELECT version, edges FROM dependency_traces WHERE trace_id = ?1')
      .bind(summary.traceId)
      .first<{ version: number; edges: string }>();
    if (prev && prev.version >= summary.version) return;
    if (!prev && current.length === 0) return;
    const previous = prev ? (JSON.parse(prev.edges) as StoredRow[]).map(fromStored) : [];
    const diff = contributionDiff(current, previous);
    const prevVersion = prev?.version ?? null;
    await db.batch([
      db.prepare(UPSERT_EDGES).bind(JSON.stringify(diff.map(toStored)), summary.traceId, prevVersion),
      db.prepare(UPSERT_MARKER).bind(summary.traceId, edgeBucketOf(startMs), summary.version, JSON.stringify(current.map(toStored)), prevVersion),
    ]);
  }
}
