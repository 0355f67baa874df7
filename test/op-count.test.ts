/**
 * durable/op-count.ts against real local D1: the counting wrapper adds up the rows D1 itself
 * reports written and read (both are billed), including for first(), which reports nothing, and
 * answers exactly as the binding does.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { countingD1, newOpCounts } from '../durable/op-count';
import { randomHex } from './helpers/spans';

/** A table of its own per test, three rows, no index but the rowid. */
async function probeTable(): Promise<string> {
  const table = `op_count_probe_${randomHex(4)}`;
  await env.DB.prepare(`CREATE TABLE ${table} (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`).run();
  return table;
}

describe('countingD1', () => {
  it('counts the rows D1 reports written and read, for run, all and batch', async () => {
    const table = await probeTable();
    const counts = newOpCounts();
    const db = countingD1(env.DB, counts);
    const inserted = await db.batch(['a', 'b', 'c'].map((v) => db.prepare(`INSERT INTO ${table} (v) VALUES (?)`).bind(v)));
    expect(counts.d1RowsWritten).toBe(3);
    expect(counts.d1RowsWritten).toBe(inserted.reduce((n, r) => n + r.meta.rows_written, 0));

    const all = await db.prepare(`SELECT v FROM ${table} ORDER BY id`).all<{ v: string }>();
    expect(all.results.map((r) => r.v)).toEqual(['a', 'b', 'c']);
    expect(all.meta.rows_read).toBe(3);
    const updated = await db.prepare(`UPDATE ${table} SET v = 'z' WHERE id = 2`).run();
    expect(counts.d1RowsRead).toBe(3 + updated.meta.rows_read);
    expect(counts.d1RowsWritten).toBe(3 + updated.meta.rows_written);
  });

  it('first() counts the rows its query reads and answers as the binding does', async () => {
    const table = await probeTable();
    await env.DB.batch(['a', 'b', 'c'].map((v) => env.DB.prepare(`INSERT INTO ${table} (v) VALUES (?)`).bind(v)));
    const counts = newOpCounts();
    const db = countingD1(env.DB, counts);
    const query = `SELECT id, v FROM ${table} WHERE v >= ? ORDER BY id`;

    expect(await db.prepare(query).bind('b').first()).toEqual(await env.DB.prepare(query).bind('b').first());
    // the whole query ran: three rows scanned without an index on v, though only one is answered
    expect(counts.d1RowsRead).toBe(3);
    expect(await db.prepare(query).bind('b').first('v')).toBe('b');
    expect(await db.prepare(query).bind('x').first()).toBeNull();
    expect(await db.prepare(query).bind('x').first('v')).toBeNull();
    await expect(db.prepare(query).bind('a').first('nope')).rejects.toThrow(/D1_COLUMN_NOTFOUND/);
    await expect(env.DB.prepare(query).bind('a').first('nope')).rejects.toThrow(/D1_COLUMN_NOTFOUND/);
    // five queries through the wrapper, each scanning the three rows
    expect(counts.d1RowsRead).toBe(15);
    expect(counts.d1RowsWritten).toBe(0);
  });
});
