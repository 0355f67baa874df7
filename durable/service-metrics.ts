/**
 * ServiceMetrics: a SQLite-backed Durable Object per shard of services (worker/services/shard.ts)
 * that sums the edges' RED-metric and registry deltas and writes them to D1 once a minute.
 *
 * Edges send a shard one request per flush window, not one per ingest request. The shard adds
 * each request to one row per minute and acknowledges it once that row has been written — a
 * checkpoint at most once a second (worker/services/shard-pending.ts) — so nothing acknowledged
 * lives only in memory and a restart loses nothing. An alarm at the end of each minute (plus a
 * grace period) writes the closed minutes to D1 in one batch and deletes them here, then folds the
 * shard's minute rows older than two days into hourly rows. The logic is in pure modules; this
 * class does the I/O.
 */
import { DurableObject } from 'cloudflare:workers';
import { foldBefore, foldStatements, hourStartMinute, oldestMinuteRow } from '../worker/services/metrics-fold';
import { flushStatements } from '../worker/services/metrics-store';
import type { MinuteDelta } from '../worker/services/red-aggregate';
import { nextFlushAt, planFlush, type FlushIntent } from '../worker/services/shard-flush';
import { ShardPending, type StoredRow } from '../worker/services/shard-pending';
import { RecentIds } from '../worker/services/recent-ids';
import { shardOf } from '../worker/services/shard';

/** What an edge sends: its window's deltas for this shard, one per minute. */
export interface ShardBatch {
  shard: number;
  deltas: MinuteDelta[];
  /** the edge window's id: an edge that retries a send it saw fail sends the same one */
  windowId?: string;
}

/** How long, and how many, window ids a shard remembers to count a retried window once. */
const WINDOW_ID_TTL_MS = 10 * 60_000;
const MAX_WINDOW_IDS = 20_000;

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

/** A shard that fell behind catches up a bounded number of flushes and folds per alarm. */
const MAX_FLUSHES_PER_ALARM = 8;
const MAX_FOLDS_PER_ALARM = 4;

export class ServiceMetrics extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly pendingRows: ShardPending;
  private alarmSet = false;
  /**
   * Window ids taken lately. In memory only: a row per window would cost a write per edge request.
   * An object that restarted between an edge's two tries has forgotten the first; it counts the
   * window again only if the first try was written before the restart, and a restart mid-request
   * usually means it was not.
   */
  private readonly seenWindows = new RecentIds(WINDOW_ID_TTL_MS, MAX_WINDOW_IDS);
  private waiters: (() => void)[] = [];

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS pending (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      minute INTEGER NOT NULL,
      delta TEXT NOT NULL)`);
    this.sql.exec('CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)');
    const sql = this.sql;
    this.pendingRows = new ShardPending(
      {
        insert: (minute, delta) => sql.exec<{ id: number }>('INSERT INTO pending (minute, delta) VALUES (?, ?) RETURNING id', minute, delta).one().id,
        update: (id, delta) => void sql.exec('UPDATE pending SET delta = ? WHERE id = ?', delta, id),
        rows: () => sql.exec<StoredRow & Record<string, SqlStorageValue>>('SELECT id, minute, delta FROM pending').toArray(),
      },
      () => this.meta<FlushIntent>('intent'),
    );
  }

  private meta<T>(k: string): T | undefined {
    const row = this.sql.exec<{ v: string }>('SELECT v FROM meta WHERE k = ?', k).toArray()[0];
    return row ? (JSON.parse(row.v) as T) : undefined;
  }

  private setMeta(k: string, v: unknown): void {
    this.sql.exec('INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)', k, JSON.stringify(v));
  }

  /** Adds an edge's window; returns once the checkpoint holding it is written. */
  async add(batch: ShardBatch): Promise<void> {
    if (batch.deltas.length === 0) return;
    if (batch.windowId !== undefined) {
      // A retry of a window this object already took (its answer was lost on the way back): the
      // deltas are in; answer once they are written, as the first try would have.
      if (this.seenWindows.has(batch.windowId, Date.now())) return this.durable();
      this.seenWindows.remember(batch.windowId, Date.now());
    }
    if (this.meta<number>('shard') !== batch.shard) this.setMeta('shard', batch.shard);
    this.pendingRows.add(batch.deltas);
    if (!this.alarmSet) {
      if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(nextFlushAt(Date.now()));
      this.alarmSet = true;
    }
    await this.durable();
  }

  /**
   * Resolves once everything added so far is written: now, or at the next checkpoint. Each waiting
   * request sets its own timer, so a cancelled request cannot leave the others waiting; the first
   * timer to fire writes for all of them.
   */
  private durable(): Promise<void> {
    const wait = new Promise<void>((resolve) => this.waiters.push(resolve));
    const delay = this.pendingRows.checkpointDelay(Date.now());
    if (delay === 0) this.checkpoint();
    else setTimeout(() => this.waiters.length > 0 && this.checkpoint(), delay);
    return wait;
  }

  private checkpoint(): void {
    this.pendingRows.checkpoint(Date.now());
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  async pending(query: PendingQuery): Promise<PendingView> {
    const wanted = query.services ? new Set(query.services) : null;
    const keep = (service: string): boolean => wanted === null || wanted.has(service);
    const all = this.pendingRows.all(query.fromMinute);
    const deltas = all.map((d) => ({ minute: d.minute, groups: query.withGroups ? d.groups.filter((g) => keep(g.service)) : [], instances: d.instances.filter((i) => keep(i.service)) }));
    const anyPending = this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM pending').one().n > 0 || this.pendingRows.dirty;
    return { shard: this.meta<number>('shard') ?? null, skipAbove: anyPending ? (this.meta<number>('committedSeq') ?? 0) : null, deltas };
  }

  async alarm(): Promise<void> {
    this.alarmSet = false;
    const now = Date.now();
    for (let i = 0; i < MAX_FLUSHES_PER_ALARM; i++) if ((await this.flush(now)) === null) break;
    try {
      await this.fold(now);
    } catch (err) {
      // the next alarm tries again; the minute rows stay correct meanwhile
      console.error(`service metrics shard ${this.meta<number>('shard')}: folding old minutes failed: ${String(err)}`);
    }
    const left = this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM pending').one().n;
    if (left > 0 || this.pendingRows.dirty) {
      await this.ctx.storage.setAlarm(nextFlushAt(now));
      this.alarmSet = true;
    }
  }

  /**
   * Writes the closed minutes (as of `nowMs`) to D1 and deletes them here; null when there was
   * nothing to flush. An unfinished flush (an intent left by a crash) is redone first, exactly.
   */
  async flush(nowMs: number): Promise<FlushReport | null> {
    this.checkpoint();
    let intent = this.meta<FlushIntent>('intent');
    if (!intent) {
      const planned = planFlush(this.storedRefs(), nowMs);
      if (!planned) return null;
      this.setMeta('intent', planned);
      intent = planned;
    }
    this.pendingRows.freeze(intent);
    const shard = this.meta<number>('shard') ?? 0;
    const { agg, rows } = this.pendingRows.covered(intent);
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
      pendingRows: rows,
      statements: statements.length,
      d1RowsWritten: results.reduce((n, r) => n + (r.meta.rows_written ?? 0), 0),
    };
  }

  /**
   * Folds this shard's minute rows older than MINUTE_ROWS_KEPT_MS into hourly rows, oldest hour
   * first, a few hours per call (worker/services/metrics-fold.ts). Returns the hours folded.
   */
  async fold(nowMs: number): Promise<number> {
    const shard = this.meta<number>('shard');
    if (shard === undefined) return 0;
    const { results } = await this.env.DB.prepare('SELECT name FROM services').all<{ name: string }>();
    const mine = results.map((r) => r.name).filter((name) => shardOf(name) === shard);
    if (mine.length === 0) return 0;
    const before = foldBefore(nowMs);
    let from = this.meta<number>('foldedBefore') ?? 0;
    let folded = 0;
    while (folded < MAX_FOLDS_PER_ALARM) {
      const oldest = (await oldestMinuteRow(this.env.DB, mine, from).first<{ minute: number | null }>())?.minute ?? null;
      if (oldest === null || oldest >= before) break;
      const hour = hourStartMinute(oldest);
      await this.env.DB.batch(foldStatements(this.env.DB, mine, hour));
      from = hour + 60;
      this.setMeta('foldedBefore', from);
      folded++;
    }
    return folded;
  }

  private storedRefs(): { id: number; minute: number }[] {
    return this.sql.exec<{ id: number; minute: number }>('SELECT id, minute FROM pending').toArray();
  }
}
