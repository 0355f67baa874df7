/**
 * The retention cron in workerd: the Worker's real `scheduled` handler against real D1 and R2.
 * Old traces go from R2 and from every D1 table that holds them (index rows, search postings,
 * per-trace rows of other features); recent ones stay; a trace written recently stays even when
 * its clock says it is old; work is done in bounded batches that resume where the last run stopped.
 */
import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from 'cloudflare:test';
import { drizzle } from 'drizzle-orm/d1';
import { describe, expect, it } from 'vitest';
import { traceKey } from '../durable/trace-assembler';
import { operations, traces } from '../worker/db/schema';
import { postingsSql } from '../worker/db/trace-index';
import worker from '../worker/index';
import { tablesWithTraceId } from '../worker/retention';
import { app } from '../worker/app';
import { otlpJson, randomHex } from './helpers/spans';

const DAY_MS = 86_400_000;

async function runCron(vars: Record<string, string> = {}, scheduledTime = Date.now()): Promise<void> {
  await worker.scheduled(createScheduledController({ scheduledTime, cron: '*/30 * * * *' }), { ...env, ...vars } as Env);
}

/** Writes a trace the way an assembled trace is stored: R2 object, traces row, search postings. */
async function storeTrace(opts: { startMs: number; writtenMs: number; service?: string }): Promise<string> {
  const traceId = randomHex(16);
  const d = drizzle(env.DB);
  const startUs = opts.startMs * 1_000;
  await env.TRACES.put(traceKey(traceId), 'trace body');
  await d.insert(traces).values({
    traceId,
    startUs,
    durationUs: 1_000,
    rootService: opts.service ?? 'svc',
    rootOperation: 'op',
    spanCount: 1,
    errorCount: 0,
    services: JSON.stringify({ [opts.service ?? 'svc']: 1 }),
    sampleRate: 1,
    adjustedCount: 1,
    version: 1,
    updatedAt: opts.writtenMs,
  });
  for (const s of postingsSql({ traceId, startUs, durationUs: 1_000, version: 1, terms: [`service:${opts.service ?? 'svc'}`, `only:${traceId}`] }))
    await d.run(s);
  return traceId;
}

async function rowsOf(traceId: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const name of await tablesWithTraceId(env.DB)) {
    const r = await env.DB.prepare(`SELECT count(*) AS n FROM "${name}" WHERE trace_id = ?`).bind(traceId).first<{ n: number }>();
    out[name] = r!.n;
  }
  const postings = await env.DB.prepare(
    'SELECT count(*) AS n FROM trace_terms p JOIN indexed_traces x ON p.trace_seq = x.seq WHERE x.trace_id = ?',
  )
    .bind(traceId)
    .first<{ n: number }>();
  out.postings = postings!.n;
  const term = await env.DB.prepare('SELECT count(*) AS n FROM search_terms WHERE term = ?').bind(`only:${traceId}`).first<{ n: number }>();
  out.ownTerm = term!.n;
  out.r2 = (await env.TRACES.head(traceKey(traceId))) ? 1 : 0;
  return out;
}

const gone = (rows: Record<string, number>) => Object.values(rows).every((n) => n === 0);

describe('retention cron', () => {
  it('deletes old traces from R2 and every D1 table, and keeps recent ones', async () => {
    const now = Date.now();
    const old = await storeTrace({ startMs: now - 40 * DAY_MS, writtenMs: now - 40 * DAY_MS });
    const recent = await storeTrace({ startMs: now - DAY_MS, writtenMs: now - DAY_MS });
    await env.DB.prepare('CREATE TABLE IF NOT EXISTS later_feature (trace_id TEXT NOT NULL, x INTEGER)').run();
    await env.DB.prepare('INSERT INTO later_feature VALUES (?, 1), (?, 2)').bind(old, recent).run();
    expect(await tablesWithTraceId(env.DB)).toEqual(expect.arrayContaining(['traces', 'indexed_traces', 'dependency_traces', 'later_feature']));
    const before = await rowsOf(old);
    expect(before).toMatchObject({ traces: 1, indexed_traces: 1, later_feature: 1, postings: 2, ownTerm: 1, r2: 1 });

    await runCron({ RETENTION_DAYS: '30' }, now);

    expect(await rowsOf(old), 'every row and the object of the old trace').toSatisfy(gone);
    expect(await rowsOf(recent)).toMatchObject({ traces: 1, indexed_traces: 1, later_feature: 1, postings: 2, ownTerm: 1, r2: 1 });
    const shared = await env.DB.prepare("SELECT count(*) AS n FROM search_terms WHERE term = 'service:svc'").first<{ n: number }>();
    expect(shared!.n, 'a term other traces still use stays').toBe(1);
  });

  it('keeps an old-dated trace that was written recently (a client clock far behind)', async () => {
    const now = Date.now();
    const skewed = await storeTrace({ startMs: now - 90 * DAY_MS, writtenMs: now - 60_000 });
    await runCron({ RETENTION_DAYS: '30' }, now);
    expect(await rowsOf(skewed)).toMatchObject({ traces: 1, r2: 1 });
  });

  it('works in bounded batches and resumes where the last run stopped', async () => {
    const now = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await storeTrace({ startMs: now - (200 + i) * DAY_MS, writtenMs: now - 200 * DAY_MS, service: 'batchy' }));
    const vars = { RETENTION_DAYS: '100', RETENTION_BATCH_SIZE: '2', RETENTION_MAX_BATCHES: '1' };
    const left = async () => (await Promise.all(ids.map(async (id): Promise<number> => (await rowsOf(id)).traces!))).reduce((a, b) => a + b, 0);

    await runCron(vars, now);
    expect(await left()).toBe(3);
    const state = await env.DB.prepare("SELECT * FROM retention_state WHERE id = 'traces'").first<{ after_trace_id: string; deleted_total: number }>();
    expect(state!.after_trace_id).not.toBe('');
    await runCron(vars, now);
    expect(await left()).toBe(1);
    await runCron(vars, now);
    expect(await left()).toBe(0);
    for (const id of ids) expect(await rowsOf(id)).toSatisfy(gone);
  });

  it('deletes operations not seen since the cutoff', async () => {
    const now = Date.now();
    const d = drizzle(env.DB);
    await d.insert(operations).values([
      { service: 'ret-svc', operation: 'stale', spanKind: 'server', lastSeenUs: (now - 45 * DAY_MS) * 1_000 },
      { service: 'ret-svc', operation: 'fresh', spanKind: 'server', lastSeenUs: (now - DAY_MS) * 1_000 },
    ]);
    await runCron({ RETENTION_DAYS: '30' }, now);
    const { results } = await env.DB.prepare("SELECT operation FROM operations WHERE service = 'ret-svc'").all<{ operation: string }>();
    expect(results.map((r) => r.operation)).toEqual(['fresh']);
  });

  it('deletes service registry rows not seen since the cutoff', async () => {
    const now = Date.now();
    await env.DB.batch([
      env.DB.prepare('INSERT INTO services (name, first_seen_ms, last_seen_ms) VALUES (?, ?, ?), (?, ?, ?)').bind(
        'ret-gone',
        now - 90 * DAY_MS,
        now - 45 * DAY_MS,
        'ret-kept',
        now - 90 * DAY_MS,
        now - DAY_MS,
      ),
      env.DB.prepare('INSERT INTO service_instances (service, instance_id, host, sdk, first_seen_ms, last_seen_ms) VALUES (?, ?, ?, ?, ?, ?)').bind(
        'ret-kept',
        'old-pod',
        'h',
        'sdk',
        now - 90 * DAY_MS,
        now - 45 * DAY_MS,
      ),
    ]);
    await runCron({ RETENTION_DAYS: '30' }, now);
    const { results } = await env.DB.prepare("SELECT name FROM services WHERE name LIKE 'ret-%'").all<{ name: string }>();
    expect(results.map((r) => r.name)).toEqual(['ret-kept']);
    expect(await env.DB.prepare("SELECT 1 FROM service_instances WHERE instance_id = 'old-pod'").first()).toBeNull();
  });

  it('deletes a trace that went through the whole pipeline', async () => {
    const traceId = randomHex(16);
    const ctx = createExecutionContext();
    // otlpJson dates its spans in November 2025, far past a 30-day retention.
    const res = await app.fetch(
      new Request('https://edgetrace.test/v1/traces', { method: 'POST', headers: { 'content-type': 'application/json' }, body: otlpJson(traceId, [{ spanId: randomHex(8), name: 'op' }]) }),
      { ...env, AUTH_REQUIRED: 'false' } as Env,
      ctx,
    );
    expect(res.status).toBe(200);
    await waitOnExecutionContext(ctx);
    const deadline = Date.now() + 15_000;
    while (!(await env.DB.prepare('SELECT 1 FROM traces WHERE trace_id = ?').bind(traceId).first())) {
      if (Date.now() > deadline) throw new Error('trace was not assembled');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await rowsOf(traceId)).r2).toBe(1);
    // Written a moment ago: kept until its last write is old too (31 days on).
    await runCron({ RETENTION_DAYS: '30' });
    expect((await rowsOf(traceId)).traces).toBe(1);
    await runCron({ RETENTION_DAYS: '30' }, Date.now() + 31 * DAY_MS);
    expect(await rowsOf(traceId)).toSatisfy(gone);
  });
});
