import { describe, expect, it } from 'vitest';
import { dedupeSpans } from './dedupe';
import { span } from './test-spans';

describe('dedupeSpans', () => {
  it('keeps one span per spanId, the first copy, in input order', () => {
    const a = span({ id: 1, start: 0, end: 10, name: 'first' });
    const b = span({ id: 2, start: 1, end: 5 });
    const a2 = span({ id: 1, start: 0, end: 10, name: 'retry' });
    const c = span({ id: 3, start: 2, end: 4 });
    const out = dedupeSpans([b, a, a2, c, b]);
    expect(out.map((s) => s.spanId)).toEqual([b.spanId, a.spanId, c.spanId]);
    expect(out[1]!.name).toBe('first');
  });

  it('accepts any iterable and returns an empty list for no spans', () => {
    function* gen() {
      yield span({ id: 9, start: 0, end: 1 });
      yield span({ id: 9, start: 0, end: 1 });
    }
    expect(dedupeSpans(gen())).toHaveLength(1);
    expect(dedupeSpans([])).toEqual([]);
  });
});
