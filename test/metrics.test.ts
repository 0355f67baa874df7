/**
 * The ServiceMetrics shards inside workerd with real DO storage and real local D1: deltas are
 * stored, flushed once per closed minute, counted exactly once whether a reader finds them pending
 * in the shard, in D1, or in the middle of a flush, and a flush redone after a crash adds nothing.
 */
import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { ServiceMetrics } from '../durable/service-metrics';
import { histogramTotal } from '../worker/services/histogram';
import { HOURLY_SHARD } from '../worker/services/metrics-fold';
import { loadMetricGroups } from '../worker/services/metrics-read';
import { flushStatements } from '../worker/services/metrics-store';
import { minuteOf, RedAggregate, type MinuteDelta } from '../worker/services/red-aggregate';
import { shardName, shardOf } from '../worker/services/shard';
import { testSpan } from '../worker/services/test-spans';
import { randomHex } from './helpers/spans';

function shardFor(service: string) {
  return env.SERVICE_METRICS.get(env.SERVICE_METRICS.idFromName(shardName(shardOf(service))));
}

/** `n` spans of `service` (every third one failed) counted in `minute`, as one edge window. */
function window(service: string, n: number, atMs: number): MinuteDelta[] {
  const agg = new RedAggregate();
  for (let i = 0; i < n; i++) agg.addSpan(testSpan({ service, name: i % 2 ? 'GET /a' : 'GET /b', error: i % 3 === 0, durationMs: 1 + i }), atMs);
  return agg.toDeltas();
}

async function totals(service: string, fromMs: number) {
  const groups = await loadMetricGroups(env, { services: [service], fromMinute: minuteOf(fromMs), toMinute: minuteOf(Date.now()), spanKinds: null });
  return { calls: groups.reduce((n, g) => n + g.calls, 0), errors: groups.reduce((n, g) => n + g.errors, 0), groups: groups.length };
}

async function d1Rows(service: string) {
  const { results } = await env.DB.prepare('SELECT minute, operation, seq, calls FROM service_metrics WHERE service = ? ORDER BY operation').bind(service).all();
  return results;
}

const past = () => Date.now() - 5 * 60_000;

describe('ServiceMetrics shard', () => {
  it('counts pending deltas, flushes closed minutes to D1 once, and reads the same totals after', async () => {
    const service = `svc-${randomHex(4)}`;
    const stub = shardFor(service);
    await stub.add({ shard: shardOf(service), deltas: window(service, 30, past()) });
    await stub.add({ shard: shardOf(service), deltas: window(service, 12, past()) });
    expect(await totals(service, past() - 60_000)).toEqual({ calls: 42, errors: 14, groups: 2 });

    const report = await stub.flush(Date.now());
    expect(report).toMatchObject({ pendingRows: expect.any(Number) as number });
    const rows = await d1Rows(service);
    expect(rows.map((r) => [r.operation, r.calls])).toEqual([
      ['GET /a', 21],
      ['GET /b', 21],
    ]);
    expect(await totals(service, past() - 60_000)).toEqual({ calls: 42, errors: 14, groups: 2 });
    // nothing left for this service's minute: a second flush finds only other tests' rows, if any
    const view = await stub.pending({ services: [service], fromMinute: 0, withGroups: true });
    expect(view.deltas).toEqual([]);
  });

  it('stores concurrent edge windows of a minute in one row, each acknowledged only once stored', async () => {
    const service = `svc-${randomHex(4)}`;
    const stub = shardFor(service);
    const now = Date.now();
    await Promise.all(Array.from({ length: 20 }, () => stub.add({ shard: shardOf(service), deltas: window(service, 2, now) })));
    const stored = await runInDurableObject(stub, (_obj: ServiceMetrics, state) =>
      state.storage.sql.exec<{ delta: string }>('SELECT delta FROM pending WHERE minute = ?', minuteOf(now)).toArray(),
    );
    expect(stored.length).toBeLessThanOrEqual(2);
    const calls = stored.flatMap((r) => (JSON.parse(r.delta) as MinuteDelta).groups).filter((g) => g.service === service).reduce((n, g) => n + g.calls, 0);
    expect(calls).toBe(40);
  });

  it('keeps the open minute pending and flushes it once it is over', async () => {
    const service = `svc-${randomHex(4)}`;
    const stub = shardFor(service);
    const now = Date.now();
    await stub.add({ shard: shardOf(service), deltas: window(service, 5, now) });
    await stub.flush(now);
    expect(await d1Rows(service)).toEqual([]);
    expect((await totals(service, now - 60_000)).calls).toBe(5);
    await stub.flush(now + 2 * 60_000);
    expect((await d1Rows(service)).reduce((n, r) => n + (r.calls as number), 0)).toBe(5);
    expect((await totals(service, now - 60_000)).calls).toBe(5);
  });

  // The shard's own alarm may flush between the steps on a loaded machine (it flushes at most once
  // a second); a retry runs the crash scenario again with fresh state.
  it('counts once while a flush is in flight, and a flush redone after a crash adds nothing', { retry: 2 }, async () => {
    const service = `svc-${randomHex(4)}`;
    const stub = shardFor(service);
    const shard = shardOf(service);
    await stub.add({ shard, deltas: window(service, 9, past()) });
    // A flush that wrote D1 and then died before deleting its pending rows: its intent is stored
    // and its D1 rows exist, the pending rows are still there.
    const seq = await runInDurableObject(stub, async (_obj: ServiceMetrics, state) => {
      const sql = state.storage.sql;
      const rows = sql.exec<{ id: number; minute: number; delta: string }>('SELECT id, minute, delta FROM pending').toArray();
      const maxId = Math.max(...rows.map((r) => r.id));
      const beforeMinute = minuteOf(Date.now()) - 1;
      sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES ('intent', ?)", JSON.stringify({ seq: maxId, beforeMinute }));
      const agg = new RedAggregate();
      for (const r of rows) if (r.minute < beforeMinute) agg.addDelta(JSON.parse(r.delta) as MinuteDelta);
      await env.DB.batch(flushStatements(env.DB, agg, shard, maxId));
      return maxId;
    });
    expect((await d1Rows(service)).every((r) => r.seq === seq)).toBe(true);
    expect(await totals(service, past() - 60_000)).toMatchObject({ calls: 9, errors: 3 });

    const report = await stub.flush(Date.now());
    expect(report?.seq).toBe(seq);
    expect(report?.d1RowsWritten).toBe(0);
    expect((await d1Rows(service)).reduce((n, r) => n + (r.calls as number), 0)).toBe(9);
    expect(await totals(service, past() - 60_000)).toMatchObject({ calls: 9, errors: 3 });
  });

  it('counts a window an edge sent twice (a retry after a lost answer) once', async () => {
    const service = `svc-${randomHex(4)}`;
    const stub = shardFor(service);
    const deltas = window(service, 6, past());
    const [w1, w2] = [randomHex(8), randomHex(8)];
    await stub.add({ shard: shardOf(service), deltas, windowId: w1 });
    await stub.add({ shard: shardOf(service), deltas, windowId: w1 });
    expect((await totals(service, past() - 60_000)).calls).toBe(6);
    // another window with the same deltas is another window
    await stub.add({ shard: shardOf(service), deltas, windowId: w2 });
    expect((await totals(service, past() - 60_000)).calls).toBe(12);
  });

  it('adds a late delta for a flushed minute as a second row, never overwriting the first', async () => {
    const service = `svc-${randomHex(4)}`;
    const stub = shardFor(service);
    const at = past();
    await stub.add({ shard: shardOf(service), deltas: window(service, 4, at) });
    await stub.flush(Date.now());
    await stub.add({ shard: shardOf(service), deltas: window(service, 2, at) });
    expect((await totals(service, at - 60_000)).calls).toBe(6);
    await stub.flush(Date.now());
    expect((await d1Rows(service)).reduce((n, r) => n + (r.calls as number), 0)).toBe(6);
    expect((await totals(service, at - 60_000)).calls).toBe(6);
  });

  it('registers the instances with the minute they were seen in', async () => {
    const service = `svc-${randomHex(4)}`;
    const stub = shardFor(service);
    await stub.add({ shard: shardOf(service), deltas: window(service, 3, past()) });
    await stub.flush(Date.now());
    const inst = await env.DB.prepare('SELECT instance_id, host, sdk FROM service_instances WHERE service = ?').bind(service).all();
    expect(inst.results).toEqual([{ instance_id: `${service}-1`, host: `${service}-host`, sdk: 'opentelemetry nodejs 2.12.1' }]);
    const svc = await env.DB.prepare('SELECT name FROM services WHERE name = ?').bind(service).first();
    expect(svc).toEqual({ name: service });
  });

  it('writes two D1 rows (row + primary-key entry) per new group, instance and service', async () => {
    const service = `svc-${randomHex(4)}`;
    const stub = shardFor(service);
    // flush whatever other tests left on this shard first, so the report is this test's alone
    while (await stub.flush(Date.now() + 2 * 60_000));
    await stub.add({ shard: shardOf(service), deltas: window(service, 10, past()) });
    const report = await stub.flush(Date.now());
    // 2 groups + 1 instance + 1 service, each a row and its primary-key index entry
    expect(report).toMatchObject({ statements: 3, d1RowsWritten: 8 });
    // the same instance seen again later costs one row (the index keys did not change)
    await stub.add({ shard: shardOf(service), deltas: window(service, 1, past() + 60_000) });
    expect((await stub.flush(Date.now()))?.d1RowsWritten).toBe(2 + 1 + 1);
  });

  it('folds minute rows older than two days into hourly rows with the same totals', async () => {
    const service = `svc-${randomHex(4)}`;
    const shard = shardOf(service);
    const stub = shardFor(service);
    const hour = Math.floor((Date.now() - 3 * 86_400_000) / 3_600_000) * 3_600_000;
    // three minutes of the hour and one of the next, as flushes wrote them
    for (const [i, at] of [hour + 60_000, hour + 120_000, hour + 59 * 60_000, hour + 61 * 60_000].entries()) {
      const agg = new RedAggregate();
      for (const d of window(service, 10, at)) agg.addDelta(d);
      await env.DB.batch(flushStatements(env.DB, agg, shard, 1_000_000 + i));
    }
    const range = { services: [service], fromMinute: minuteOf(hour), toMinute: minuteOf(Date.now()), spanKinds: null };
    // Earlier tests may have left deltas pending in this shard (8 shards, random services): while any
    // are pending a reader skips this shard's D1 rows above its committed seq, which would hide the
    // rows written above. Flush them all first (a `now` past the current minute closes it too).
    await stub.flush(Date.now() + 2 * 60_000);
    const before = await loadMetricGroups(env, range);
    expect(before.reduce((n, g) => n + g.calls, 0)).toBe(40);
    await stub.add({ shard, deltas: window(service, 1, Date.now()) });

    expect(await stub.fold(Date.now())).toBeGreaterThanOrEqual(2);
    const rows = await env.DB.prepare('SELECT minute, operation, shard, calls, errors, min_ns, max_ns, hist FROM service_metrics WHERE service = ? ORDER BY minute, operation')
      .bind(service)
      .all<{ minute: number; operation: string; shard: number; calls: number; errors: number; min_ns: number; max_ns: number; hist: string }>();
    const hourly = rows.results.filter((r) => r.shard === HOURLY_SHARD);
    expect(hourly.map((r) => [r.minute, r.operation, r.calls])).toEqual([
      [minuteOf(hour), 'GET /a', 15],
      [minuteOf(hour), 'GET /b', 15],
      [minuteOf(hour) + 60, 'GET /a', 5],
      [minuteOf(hour) + 60, 'GET /b', 5],
    ]);
    expect(rows.results.filter((r) => r.shard !== HOURLY_SHARD && r.minute < minuteOf(Date.now()) - 60)).toEqual([]);
    for (const r of hourly) expect(histogramTotal(new Map(Object.entries(JSON.parse(r.hist) as Record<string, number>).map(([k, v]) => [Number(k), v])))).toBe(r.calls);

    const after = await loadMetricGroups(env, range);
    const sum = (gs: typeof before, f: (g: (typeof before)[number]) => number) => gs.reduce((n, g) => n + f(g), 0);
    expect(sum(after, (g) => g.calls) - 1).toBe(sum(before, (g) => g.calls));
    expect(sum(after, (g) => g.errors)).toBe(sum(before, (g) => g.errors) + 1);
    expect(Math.min(...after.map((g) => g.minNs!))).toBe(Math.min(...before.map((g) => g.minNs!)));
    expect(await stub.fold(Date.now())).toBe(0);
  });
});
