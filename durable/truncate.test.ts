import { describe, expect, it } from 'vitest';
import type { SpanEvent } from '../worker/span/model';
import { DEFAULT_SPAN_LIMITS, truncateSpan } from './truncate';
import { at, kv, sid, span, str } from './test-spans';

const limits = { ...DEFAULT_SPAN_LIMITS, attributesPerSpan: 2, eventsPerSpan: 1, linksPerSpan: 1, attributesPerEvent: 1, valueLength: 4 };
const event = (name: string, n: number): SpanEvent => ({ timeUnixNano: at(1), name, attributes: Array.from({ length: n }, (_, i) => kv(`e${i}`, str('x'))) });

describe('truncateSpan', () => {
  it('returns the same span when it is within the limits', () => {
    const s = span({ id: 1, start: 0, end: 1, attributes: [kv('a', str('abcd'))] });
    const r = truncateSpan(s, limits);
    expect(r.span).toBe(s);
    expect([r.truncatedValues, r.droppedEntries]).toEqual([0, 0]);
  });

  it('drops attributes, events and links past the counts and records them in the dropped counts', () => {
    const s = span({ id: 1, start: 0, end: 1, attributes: [kv('a', str('1')), kv('b', str('2')), kv('c', str('3'))] });
    s.droppedAttributesCount = 5;
    s.events = [event('one', 3), event('two', 0)];
    s.links = [{ traceId: s.traceId, spanId: sid(7), attributes: [] }, { traceId: s.traceId, spanId: sid(8), attributes: [] }];
    const r = truncateSpan(s, limits);
    expect(r.span.attributes.map((a) => a.key)).toEqual(['a', 'b']);
    expect(r.span.droppedAttributesCount).toBe(6);
    expect(r.span.events.map((e) => e.name)).toEqual(['one']);
    expect(r.span.droppedEventsCount).toBe(1);
    expect(r.span.events[0]!.attributes).toHaveLength(1);
    expect(r.span.events[0]!.droppedAttributesCount).toBe(2);
    expect(r.span.links.map((l) => l.spanId)).toEqual([sid(7)]);
    expect(r.span.droppedLinksCount).toBe(1);
    expect(r.droppedEntries).toBe(1 + 1 + 2 + 1);
    // the input is not changed
    expect(s.attributes).toHaveLength(3);
    expect(s.events[0]!.attributes).toHaveLength(3);
  });

  it('cuts long strings (nested too) and bytes, counting each cut value', () => {
    const s = span({
      id: 1,
      start: 0,
      end: 1,
      attributes: [
        kv('s', str('abcdefgh')),
        kv('arr', { arrayValue: { values: [str('xyzxyz'), { intValue: '123456789' }] } }),
        kv('kv', { kvlistValue: { values: [kv('in', str('12345'))] } }),
        kv('b', { bytesValue: 'AAECAwQFBgc=' }),
      ],
    });
    const r = truncateSpan(s, { ...limits, attributesPerSpan: 10 });
    expect(r.span.attributes).toEqual([
      kv('s', str('abcd')),
      kv('arr', { arrayValue: { values: [str('xyzx'), { intValue: '123456789' }] } }),
      kv('kv', { kvlistValue: { values: [kv('in', str('1234'))] } }),
      kv('b', { bytesValue: 'AAEC' }),
    ]);
    expect(r.truncatedValues).toBe(4);
  });

  it('never splits a surrogate pair', () => {
    const s = span({ id: 1, start: 0, end: 1, attributes: [kv('e', str('abc😀x'))] });
    expect(truncateSpan(s, limits).span.attributes[0]!.value).toEqual(str('abc'));
  });
});
