/**
 * ServiceMetrics: a SQLite-backed Durable Object per shard of services (worker/services/shard.ts)
 * that sums the edges' RED-metric and registry deltas and writes them to D1 once a minute.
 *
 * Edges send a shard one request per flush window, not one per ingest request, and the shard stores
 * each as one pending row per minute (DO storage bills rows, so never a row per span or group):
 * nothing lives only in memory, and a restart loses nothing. An alarm at the end of each minute
 * (plus a grace period) sums the closed minutes' rows, writes them to D1 in one batch and deletes
 * them; the flush planning and the D1 statements are pure modules, this class only does I/O.
 */
import { DurableObject } from 'cloudflare:workers';
import { flushStatements } from '../worker/services/metrics-store';
import { RedAggregate, type MinuteDelta } from '../worker/services/red-aggregate';
import { nextFlushAt, planFlush, type FlushIntent } from '../worker/services/shard-flush';

/** What an edge sends: its window's deltas for this shard, one per minute. */
export interface ShardBatch {
  shard: number;
  deltas: MinuteDelta[];
}

export interface PendingQuery {
  /** only these services (null: all) */
  services: string[] | null;
  /** only minutes from this one on */
  fromMinute: number;
  /** false: instances only (the registry needs no metrics) */
  withGroups: boolean;
}

/**
 * The deltas not yet deleted from the shard, summed per minute. While any are pending, D1 rows of
 * this shard with `seq > skipAbove` may hold some of them (a flush in flight): a reader that adds
 * both must skip those rows. null when nothing is pending.
 */
export interface PendingView {
  shard: number | null;
  skipAbove: number | null;
  deltas: MinuteDelta[];
}

export interface FlushReport {
  seq: number;
  pendingRows: number;
  statements: number;
  /** D1's own count (rows and index entries), as billed */
  d1RowsWritten: number;
}

/** A shard that fell behind catches up a bounded number of flushes per alarm. */
const MAX_FLUSHES_PER_ALARM = 8;

export class ServiceMetrics extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private alarmSet = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS pending (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      minute INTEGER NOT NULL,
      delta TEXT NOT NULL)`);
    this.sql.exec('CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)');
  }

  private meta<T>(k: string): T | undefined {
    const row = this.sql.exec<{ v: string }>('SELECT v FROM meta WHERE k = ?', k).toArray()[0];
    return row ? (JSON.parse(row.v) as T) : undefined;
  }

  private setMeta(k: string, v: unknown): void {
    this.sql.exec('INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)', k, JSON.stringify(v));
  }

  /** Stores an edge's window; returns once it is durable. */
  async add(batch: ShardBatch): Promise<void> {
    if (batch.deltas.length === 0) return;
    if (this.meta<number>('shard') !== batch.shard) this.setMeta('shard', batch.shard);
    for (const d of batch.deltas) this.sql.exec('INSERT INTO pending (minute, delta) VALUES (?, ?)', d.minute, JSON.stringify(d));
    if (!this.alarmSet) {
      if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(nextFlushAt(Date.now()));
      this.alarmSet = true;
    }
  }

  async pending(query: PendingQuery): Promise<PendingView> {
    const wanted = query.services ? new Set(query.services) : null;
    const keep = (service: string): boolean => wanted === null || wanted.has(service);
    const agg = new RedAggregate();
    for (const row of this.sql.exec<{ delta: string }>('SELECT delta FROM pending WHERE minute >= ?', query.fromMinute)) {
      const d = JSON.parse(row.delta) as MinuteDelta;
      agg.addDelta({ minute: d.minute, groups: query.withGroups ? d.groups.filter((g) => keep(g.service)) : [], instances: d.instances.filter((i) => keep(i.service)) });
    }
    const anyPending = this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM pending').one().n > 0;
    return { shard: this.meta<number>('shard') ?? null, skipAbove: anyPending ? (this.meta<number>('committedSeq') ?? 0) : null, deltas: agg.toDeltas() };
  }

  async alarm(): Promise<void> {
    this.alarmSet = false;
    const now = Date.now();
    for (let i = 0; i < MAX_FLUSHES_PER_ALARM; i++) if ((await this.flush(now)) === null) break;
    const left = this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM pending').one().n;
    if (left > 0) {
      await this.ctx.storage.setAlarm(nextFlushAt(now));
      this.alarmSet = true;
    }
  }

  /**
   * Writes the closed minutes (as of `nowMs`) to D1 and deletes them here; null when there was
   * nothing to flush. An unfinished flush (an intent left by a crash) is redone first, exactly.
   */
  async flush(nowMs: number): Promise<FlushReport | null> {
    let intent = this.meta<FlushIntent>('intent');
    if (!intent) {
      const refs = this.sql.exec<{ id: number; minute: number }>('SELECT id, minute FROM pending').toArray();
      const planned = planFlush(refs, nowMs);
      if (!planned) return null;
      this.setMeta('intent', planned);
      intent = planned;
    }
    const shard = this.meta<number>('shard') ?? 0;
    const agg = new RedAggregate();
    let pendingRows = 0;
    for (const row of this.sql.exec<{ delta: string }>('SELECT delta FROM pending WHERE id <= ? AND minute < ?', intent.seq, intent.beforeMinute)) {
      agg.addDelta(JSON.parse(row.delta) as MinuteDelta);
      pendingRows++;
    }
    const statements = flushStatements(this.env.DB, agg, shard, intent.seq);
    const results = statements.length > 0 ? await this.env.DB.batch(statements) : [];
    const done = intent;
    this.ctx.storage.transactionSync(() => {
      this.sql.exec('DELETE FROM pending WHERE id <= ? AND minute < ?', done.seq, done.beforeMinute);
      this.setMeta('committedSeq', done.seq);
      this.sql.exec("DELETE FROM meta WHERE k = 'intent'");
    });
    return {
      seq: done.seq,
      pendingRows,
      statements: statements.length,
      d1RowsWritten: results.reduce((n, r) => n + (r.meta.rows_written ?? 0), 0),
    };
  }
}
