import { describe, expect, it } from 'vitest';
import { IdIndex } from './id-index';

describe('IdIndex', () => {
  it('finds what was added, keeps the first value of a repeated id, and answers -1 otherwise', () => {
    const ix = new IdIndex(4);
    expect(ix.add('00000000000000aa', 0)).toBe(true);
    expect(ix.add('00000000000000bb', 1)).toBe(true);
    expect(ix.add('00000000000000aa', 7)).toBe(false);
    expect([ix.get('00000000000000aa'), ix.get('00000000000000bb'), ix.get('00000000000000cc')]).toEqual([0, 1, -1]);
    expect(ix.size).toBe(2);
  });
  it('holds 100k span ids, colliding or not, and re-points values in one pass', () => {
    const n = 100_000;
    const ids = Array.from({ length: n }, (_, i) => (i * 2654435761).toString(16).padStart(16, '0'));
    const ix = new IdIndex(n);
    expect(ids.filter((id, i) => ix.add(id, i)).length).toBe(n);
    const reversed = Int32Array.from({ length: n }, (_, i) => n - 1 - i);
    ix.remap(reversed);
    expect([ix.get(ids[0]!), ix.get(ids[n - 1]!), ix.get(ids[4242]!)]).toEqual([n - 1, 0, n - 1 - 4242]);
    expect(ix.get('ffffffffffffffff')).toBe(-1);
  });
  it('takes ids of any length, the empty one included', () => {
    const ix = new IdIndex(3);
    ix.add('', 1);
    ix.add('x', 2);
    ix.add('a much longer hand-made span id', 3);
    expect([ix.get(''), ix.get('x'), ix.get('a much longer hand-made span id')]).toEqual([1, 2, 3]);
  });
  it('refuses more ids than its capacity allows', () => {
    const ix = new IdIndex(1);
    expect(() => {
      for (let i = 0; i < 100; i++) ix.add(String(i), i);
    }).toThrow(RangeError);
  });
});
