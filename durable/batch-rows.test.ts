import { describe, expect, it } from 'vitest';
import type { Span } from '../worker/span/model';
import { batchRows, fitSpan, MAX_ROW_CHARS, STORAGE_TRUNCATED_KEY } from './batch-rows';
import { kv, span, str } from './test-spans';

const fat = (id: number, chars: number): Span => span({ id, start: 0, end: 1, attributes: [kv('payload', str('x'.repeat(chars)))] });

describe('batchRows', () => {
  it('keeps a small batch in one row, spans and ids in order', () => {
    const spans = [fat(1, 10), fat(2, 10), fat(3, 10)];
    const rows = batchRows(spans);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.spanIds.split(',')).toEqual(spans.map((s) => s.spanId));
    expect(JSON.parse(rows[0]!.json)).toEqual(spans);
  });

  it('splits a batch larger than a row into rows under the limit, losing no span', () => {
    // 5,000 spans of ~1.2 KB: about 6 MB of JSON, three times the 2 MB row limit of DO SQLite
    const spans = Array.from({ length: 5_000 }, (_, i) => fat(i + 1, 1_200));
    const rows = batchRows(spans);
    expect(rows.length).toBeGreaterThan(10);
    for (const r of rows) expect(r.json.length).toBeLessThanOrEqual(MAX_ROW_CHARS);
    const back = rows.flatMap((r) => JSON.parse(r.json) as Span[]);
    expect(back).toEqual(spans);
    expect(rows.flatMap((r) => r.spanIds.split(','))).toEqual(spans.map((s) => s.spanId));
  });

  it('honours a smaller row size exactly at the boundary', () => {
    const spans = [fat(1, 50), fat(2, 50), fat(3, 50)];
    const one = JSON.stringify(spans[0]).length;
    const rows = batchRows(spans, 2 + one * 2 + 1);
    expect(rows.map((r) => (JSON.parse(r.json) as Span[]).length)).toEqual([2, 1]);
  });
});

describe('fitSpan', () => {
  it('leaves a span that fits untouched', () => {
    const s = fat(1, 100);
    expect(fitSpan(s)).toBe(JSON.stringify(s));
  });

  it('cuts a span larger than a row and says so on the span', () => {
    // 200 values of 16 KB: 3.2 MB, over a row even within the assembly limits
    const s = span({ id: 1, start: 0, end: 1, attributes: Array.from({ length: 200 }, (_, i) => kv(`k${i}`, str('y'.repeat(16_000)))) });
    const out = fitSpan(s);
    expect(out.length).toBeLessThanOrEqual(MAX_ROW_CHARS);
    const back = JSON.parse(out) as Span;
    expect(back.spanId).toBe(s.spanId);
    expect(back.startTimeUnixNano).toBe(s.startTimeUnixNano);
    const note = back.attributes.find((a) => a.key === STORAGE_TRUNCATED_KEY);
    expect(note?.value).toMatchObject({ stringValue: expect.stringContaining('larger than a storage row') });
    // attributes past the count are counted, not silently lost
    expect((back.droppedAttributesCount ?? 0) + back.attributes.length - 1).toBe(200);
  });
});
