/**
 * TraceAssembler: one SQLite-backed Durable Object per traceId. It stores incoming spans, waits
 * for the trace to go quiet, assembles it, writes it to R2 and indexes it in D1, then keeps the
 * spans for the late-span window so a late span re-flushes the trace (version + 1).
 *
 * Storage shape is forced by billing: DO SQLite bills every row written and every setAlarm(), so a
 * batch of spans is one row (spans as one JSON blob; split into rows under the 2 MB row limit when
 * larger, batch-rows.ts) and retries are filtered by spanId before any write. Nothing lives only in memory: the caches below are rebuilt from storage after eviction.
 * The logic (timing, assembly, encoding, index rows) lives in pure modules; this class does I/O.
 */
import { DurableObject } from 'cloudflare:workers';
import { drizzle } from 'drizzle-orm/d1';
import { readConfig, samplingConfig, tailPolicies } from '../worker/config';
import { TraceIndexAccumulator } from '../worker/db/trace-index';
import { DependencyRecorder } from '../worker/services/dependency-store';
import type { AssembledSpan, AssembledTrace, Span, TraceId, TraceSummary } from '../worker/span/model';
import { searchConfig } from '../worker/query/search-config';
import { alarmAction, alarmAfterBatch, alarmAfterFlush, retryDelayMs, type AlarmFacts, type AssemblerTimings } from './assembler-state';
import { batchRows } from './batch-rows';
import { annotateSpans, planAssembly } from './assemble';
import { FlushSampler, sampled, type FlushDecision } from './flush-sampling';
import { countingD1, newOpCounts } from './op-count';
import { encodeTraceStream, openTrace } from './trace-codec';

export interface AddSpansRequest {
  traceId: TraceId;
  spans: Span[];
  /** the probability the edge kept this trace with */
  sampleRate: number;
}

export interface AddSpansResult {
  stored: number;
  duplicates: number;
  /** spans refused because the trace was already dropped by its flush-time sampling decision */
  dropped?: number;
}

interface Meta {
  traceId?: string;
  sampleRate?: number;
  /** version last written to R2 (0 = never) */
  version?: number;
  /** highest batch id included in the last write */
  flushedBatchId?: number;
  lastFlushAt?: number;
  failures?: number;
  /** set when the flush-time sampling decision dropped the trace: late spans are dropped too */
  dropped?: string;
  /** the sampling decision of the last write that kept the trace: a trace once kept stays kept */
  kept?: { rate: number; reason: string };
  /** R2 holds the latest write but its index rows are not written yet: the next alarm retries */
  indexPending?: boolean;
}

export const traceKey = (traceId: string) => `traces/${traceId}`;

/** The most spans a partial read (`snapshot`) returns. */
export const SNAPSHOT_MAX_SPANS = 20_000;

export class TraceAssembler extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private knownIds: Set<string> | null = null;
  /** false until the first write: a read of an unknown trace id must leave no storage behind */
  private tablesExist: boolean;
  private meta: Meta | null = null;
  /** billable operations since this instance woke, logged with every flush */
  private readonly ops = newOpCounts();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.tablesExist = this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").toArray().length > 0;
  }

  /**
   * Creates the tables before the first write (and again after `deleteAll()` drops them). Only
   * writes create them: `/api/traces/{id}` asks this object for a snapshot of any id it is given,
   * and an object that never stored anything costs nothing and needs no clean-up alarm.
   */
  private createTables(): void {
    if (this.tablesExist) return;
    this.tablesExist = true;
    // Every row SQLite writes is billed, index entries included: batch ids need no AUTOINCREMENT
    // (its sqlite_sequence row is one more write per batch; no batch is deleted alone, so ids are
    // never reused within a life), and meta is keyed by its own key (WITHOUT ROWID: one write per key,
    // not a table row and an index row). Objects made by an earlier version keep their tables.
    this.sql.exec(`CREATE TABLE IF NOT EXISTS batches (
      id INTEGER PRIMARY KEY,
      received_at INTEGER NOT NULL,
      span_ids TEXT NOT NULL,
      spans TEXT NOT NULL)`);
    this.sql.exec('CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID');
  }

  private timings(): AssemblerTimings {
    const c = readConfig(this.env as unknown as Record<string, unknown>);
    return {
      idleMs: c.traceIdleSeconds * 1000,
      maxWaitMs: c.traceMaxWaitSeconds * 1000,
      lateWindowMs: c.lateSpanWindowSeconds * 1000,
    };
  }

  private loadMeta(): Meta {
    if (!this.meta) {
      const m: Record<string, unknown> = {};
      if (this.tablesExist)
        for (const row of this.sql.exec<{ k: string; v: string }>('SELECT k, v FROM meta')) m[row.k] = JSON.parse(row.v);
      this.meta = m as Meta;
    }
    return this.meta;
  }

  private saveMeta(patch: Meta): void {
    const m = this.loadMeta();
    this.createTables();
    for (const [k, v] of Object.entries(patch)) {
      if ((m as Record<string, unknown>)[k] === v) continue;
      this.ops.sqlRowsWritten += this.sql.exec('INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)', k, JSON.stringify(v)).rowsWritten;
      (m as Record<string, unknown>)[k] = v;
    }
  }

  private loadKnownIds(): Set<string> {
    if (!this.knownIds) {
      const ids = new Set<string>();
      if (this.tablesExist)
        for (const row of this.sql.exec<{ span_ids: string }>('SELECT span_ids FROM batches'))
        for (const id of row.span_ids.split(',')) ids.add(id);
      this.knownIds = ids;
    }
    return this.knownIds;
  }

  /** Stores the spans it has not seen yet; the RPC returns only after the write is durable. */
  async addSpans(req: AddSpansRequest): Promise<AddSpansResult> {
    this.ops.doRequests++;
    if (this.loadMeta().dropped !== undefined) return { stored: 0, duplicates: 0, dropped: req.spans.length };
    const known = this.loadKnownIds();
    const fresh: Span[] = [];
    for (const span of req.spans) {
      if (known.has(span.spanId)) continue;
      known.add(span.spanId);
      fresh.push(span);
    }
    const duplicates = req.spans.length - fresh.length;
    if (fresh.length === 0) return { stored: 0, duplicates };

    const now = Date.now();
    const meta = this.loadMeta();
    this.createTables();
    if (meta.traceId === undefined) this.saveMeta({ traceId: req.traceId, sampleRate: req.sampleRate });
    // Rows of one batch are written together: the request is answered only after all of them.
    this.ctx.storage.transactionSync(() => {
      for (const row of batchRows(fresh))
        this.ops.sqlRowsWritten += this.sql.exec('INSERT INTO batches (received_at, span_ids, spans) VALUES (?, ?, ?)', now, row.spanIds, row.json).rowsWritten;
    });
    const firstPendingAt = this.firstPendingAt() ?? now;
    const next = alarmAfterBatch(await this.ctx.storage.getAlarm(), now, firstPendingAt, this.timings());
    if (next !== null) await this.setAlarm(next);
    return { stored: fresh.length, duplicates };
  }

  private firstPendingAt(): number | null {
    const flushed = this.loadMeta().flushedBatchId ?? 0;
    const row = this.sql.exec<{ t: number | null }>('SELECT MIN(received_at) AS t FROM batches WHERE id > ?', flushed).one();
    return row.t;
  }

  /** The id of the newest stored batch (null when none). */
  private newestBatchId(): number | null {
    return this.sql.exec<{ m: number | null }>('SELECT MAX(id) AS m FROM batches').one().m;
  }

  private alarmFacts(now: number): AlarmFacts {
    const last = this.sql.exec<{ t: number | null }>('SELECT MAX(received_at) AS t FROM batches').one();
    return { now, firstPendingAt: this.firstPendingAt(), lastReceivedAt: last.t, lastFlushAt: this.loadMeta().lastFlushAt ?? null };
  }

  private async setAlarm(at: number): Promise<void> {
    this.ops.setAlarms++;
    await this.ctx.storage.setAlarm(at);
  }

  async alarm(): Promise<void> {
    this.ops.alarms++;
    if (!this.tablesExist) return; // nothing stored: an alarm left from before a deleteAll()
    const meta = this.loadMeta();
    const action = meta.indexPending ? ({ kind: 'flush' } as const) : alarmAction(this.alarmFacts(Date.now()), this.timings());
    if (action.kind === 'wait') {
      await this.setAlarm(action.until);
      return;
    }
    if (action.kind === 'forget') {
      await this.ctx.storage.deleteAll();
      console.log(JSON.stringify({ event: 'trace.forget', traceId: meta.traceId, ops: this.ops }));
      this.knownIds = null;
      this.meta = null;
      // this instance may live on and take a later span of the trace: the next write recreates them
      this.tablesExist = false;
      return;
    }
    try {
      await this.flush();
    } catch (err) {
      // Alarms are retried only a few times by the runtime; a self-set alarm keeps retrying with
      // backoff for as long as R2 or D1 fail, so acknowledged spans are never abandoned.
      const failures = (meta.failures ?? 0) + 1;
      this.saveMeta({ failures });
      await this.setAlarm(Date.now() + retryDelayMs(failures));
      console.error(`trace ${meta.traceId}: flush failed (attempt ${failures}): ${String(err)}`);
      throw err;
    }
  }

  /**
   * Every span of the trace, read as a stream: those of an earlier write of the same trace found in
   * R2 (merge, so a span arriving after this DO forgot the trace never overwrites it), then the
   * stored batches up to `maxBatchId` — when R2 holds the trace, only those written since (the
   * earlier ones are in it already, and reading them again would count them as retried copies). Rows are fetched one query at a time, never through a cursor
   * held across an await, and batches that arrive during the flush are left for the next one.
   */
  private async *spanSource(previous: Uint8Array | null, maxBatchId: number, lateIds: Set<string> | null): AsyncGenerator<Span> {
    if (previous) {
      const { chunks } = await openTrace(previous);
      for await (const chunk of chunks)
        for (const { ann, ...span } of chunk) {
          // annotations are recomputed at every assembly; only "late" is history worth keeping
          if (ann?.late) lateIds?.add(span.spanId);
          yield span;
        }
    }
    const flushedBatchId = this.loadMeta().flushedBatchId ?? 0;
    let id = previous ? flushedBatchId : 0;
    for (;;) {
      const row = this.sql
        .exec<{ id: number; spans: string }>('SELECT id, spans FROM batches WHERE id > ? AND id <= ? ORDER BY id LIMIT 1', id, maxBatchId)
        .toArray()[0];
      if (!row) return;
      id = row.id;
      const late = previous !== null && row.id > flushedBatchId;
      for (const span of JSON.parse(row.spans) as Span[]) {
        if (late) lateIds?.add(span.spanId);
        yield span;
      }
    }
  }

  private async flush(): Promise<void> {
    const meta = this.loadMeta();
    const traceId = meta.traceId as TraceId;
    const maxBatchId = this.newestBatchId() ?? 0;
    const started = Date.now();
    this.ops.r2Gets++;
    const object = await this.env.TRACES.get(traceKey(traceId));
    const previous = object ? new Uint8Array(await object.arrayBuffer()) : null;
    const previousHead = previous ? (await openTrace(previous)).head : null;
    const version = Math.max(meta.version ?? 0, previousHead?.version ?? 0) + 1;

    // Pass 1 finds the tree, skew, network time and summary from span skeletons; pass 2 streams the
    // spans again with their annotations into the compressed object. A 100,000-span trace never
    // sits whole in the DO's 128 MB.
    const lateSpanIds = new Set<string>();
    const vars = this.env as unknown as Record<string, unknown>;
    const sampler = new FlushSampler(samplingConfig(vars), tailPolicies(vars), traceId);
    const spans = sampled(this.spanSource(previous, maxBatchId, lateSpanIds), sampler);
    const plan = await planAssembly({ traceId, spans, lateSpanIds, version, sampleRate: meta.sampleRate ?? 1 });
    const decision = sampler.decide();
    if (!decision.keep && !previous) return this.drop(decision, maxBatchId);
    // A trace already written stays kept: when the decision now is drop (a late span with
    // sampling.priority 0), the rate of the write that kept it stands, and so do the index's counts.
    const kept = decision.keep ? { rate: decision.rate, reason: decision.reason } : (meta.kept ?? (previousHead ? keptOf(previousHead.summary) : undefined));
    if (kept) {
      plan.head.summary.sampleRate = kept.rate;
      plan.head.summary.adjustedCount = 1 / kept.rate;
      plan.head.summary.samplingReason = kept.reason;
    }
    const index = new TraceIndexAccumulator({ indexedTagKeys: searchConfig(this.env).indexedTagKeys });
    const deps = new DependencyRecorder();
    const bytes = await encodeTraceStream(plan.head, this.indexed(annotateSpans(plan, this.spanSource(previous, maxBatchId, null)), index, deps));
    const now = Date.now();
    this.ops.r2Puts++;
    await this.env.TRACES.put(traceKey(traceId), bytes, {
      httpMetadata: { contentType: 'application/x-ndjson', contentEncoding: 'gzip' },
      customMetadata: { version: String(version) },
    });
    // R2 holds these batches now: a retry after a failed index write must not read them twice.
    const keptChanged = kept !== undefined && (meta.kept?.rate !== kept.rate || meta.kept?.reason !== kept.reason);
    this.saveMeta({ version, flushedBatchId: maxBatchId, indexPending: true, ...(keptChanged ? { kept } : {}) });
    await index.write(drizzle(countingD1(this.env.DB, this.ops)), plan.head.summary, now);
    await deps.write(countingD1(this.env.DB, this.ops), plan.head.summary);
    this.saveMeta({ lastFlushAt: now, failures: 0, indexPending: false });
    await this.setAlarm(alarmAfterFlush(this.alarmFacts(Date.now()), this.timings()));
    const s = plan.head.summary;
    console.log(
      JSON.stringify({ event: 'trace.flush', traceId, version, spans: s.spanCount, bytes: bytes.byteLength, ms: Date.now() - started, ops: this.ops }),
    );
  }

  /**
   * The flush-time sampling decision dropped the trace: its spans go at once (nothing was written
   * to R2 or D1), and the decision is remembered for the late-span window so that late spans of
   * the trace are dropped too.
   */
  private async drop(decision: FlushDecision, maxBatchId: number): Promise<void> {
    const traceId = this.loadMeta().traceId;
    // Spans that arrived while the decision was made may change it (an error, a priority): decide
    // again with them rather than delete what was acknowledged unseen.
    const newest = this.newestBatchId() ?? 0;
    if (newest > maxBatchId) {
      await this.setAlarm(alarmAfterFlush(this.alarmFacts(Date.now()), this.timings()));
      return;
    }
    await this.ctx.storage.deleteAll();
    this.knownIds = null;
    this.meta = null;
    this.tablesExist = false;
    const now = Date.now();
    this.saveMeta({ traceId, dropped: decision.reason, lastFlushAt: now });
    await this.setAlarm(now + this.timings().lateWindowMs);
  }

  /** Passes chunks through while the index and the service map look at every span. */
  private async *indexed(chunks: AsyncGenerator<AssembledSpan[]>, index: TraceIndexAccumulator, deps: DependencyRecorder): AsyncGenerator<AssembledSpan[]> {
    for await (const chunk of chunks) {
      for (const span of chunk) {
        index.add(span);
        deps.add(span);
      }
      yield chunk;
    }
  }

  /**
   * The trace as it stands now, assembled from storage without writing anything (for `partial`
   * reads). Streamed like a flush, so a huge trace still fits; at most `maxSpans` spans are returned
   * (an RPC answer must stay small), the rest are counted in a warning and in the summary.
   */
  async snapshot(maxSpans = SNAPSHOT_MAX_SPANS): Promise<AssembledTrace | null> {
    if (!this.tablesExist) return null;
    const meta = this.loadMeta();
    if (meta.traceId === undefined || meta.dropped !== undefined) return null;
    const maxBatchId = this.newestBatchId();
    if (maxBatchId === null) return null;
    const traceId = meta.traceId as TraceId;
    const source = () => this.spanSource(null, maxBatchId, null);
    const plan = await planAssembly({ traceId, spans: source(), version: meta.version ?? 0, sampleRate: meta.sampleRate ?? 1 });
    const spans: AssembledSpan[] = [];
    for await (const chunk of annotateSpans(plan, source())) {
      spans.push(...chunk.slice(0, maxSpans - spans.length));
      if (spans.length >= maxSpans) break;
    }
    const warnings = [...plan.head.warnings];
    if (plan.head.spanCount > spans.length)
      warnings.push(`still assembling: showing ${spans.length} of ${plan.head.spanCount} spans; the whole trace is shown once it is written`);
    return { traceId, version: plan.head.version, spans, summary: plan.head.summary, warnings };
  }
}

/** The sampling decision an earlier write recorded in its R2 object's summary. */
function keptOf(summary: TraceSummary): { rate: number; reason: string } | undefined {
  return summary.sampleRate > 0 ? { rate: summary.sampleRate, reason: summary.samplingReason ?? 'head' } : undefined;
}
