/**
 * The wire reader's fast paths against plain references: decimal times against BigInt, strings
 * against TextDecoder, ids against a byte-by-byte hex, varints against their definition. The
 * string and id caches must never change what a read returns, whatever was read before. Hostile
 * framing (groups nested without end) fails as a WireError, never as a stack overflow.
 */
import { describe, expect, it } from 'vitest';
import { MAX_GROUP_DEPTH, Reader, WireError, WireType, uint64Decimal } from './protobuf-reader';

/** A deterministic stream of 32-bit values (no timing, no Math.random). */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0);
}

function varint(v: bigint): number[] {
  const out: number[] = [];
  let x = BigInt.asUintN(64, v);
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
  return out;
}

/** Length-delimited payloads back to back, as `Reader.string()`/`hex()` expect them. */
function delimited(payloads: Uint8Array[]): Uint8Array {
  const bytes: number[] = [];
  for (const p of payloads) bytes.push(...varint(BigInt(p.length)), ...p);
  return Uint8Array.from(bytes);
}

const hexOf = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

describe('uint64Decimal', () => {
  const check = (v: bigint) => expect(uint64Decimal(Number(v >> 32n), Number(v & 0xffffffffn))).toBe(v.toString());

  it('writes every digit at the edges of each way of writing it', () => {
    const edges = [0n, 1n, 2n ** 53n, 10n ** 17n, 10n ** 18n, 10n ** 19n, 2n ** 64n - 1n, 1764000000000000000n, 1000000000000100000n];
    for (const v of edges) for (let d = -2n; d <= 2n; d++) if (v + d >= 0n && v + d < 2n ** 64n) check(v + d);
  });

  it('writes every digit of any 64-bit value', () => {
    const next = lcg(7);
    for (let i = 0; i < 20_000; i++) check((BigInt(next()) << 32n) | BigInt(next()));
    // nanosecond times from 2001 to 2286: the 19-digit fast path
    for (let i = 0; i < 20_000; i++) check(10n ** 18n + ((BigInt(next()) << 32n) | BigInt(next())) % (9n * 10n ** 18n));
  });
});

describe('Reader strings and ids', () => {
  it('strings come back the same whatever was read before them', () => {
    const next = lcg(11);
    const alphabet = ['a', 'b', '.', '_', '/', '7', 'é', 'ü', '😀', '中'];
    const strings = Array.from({ length: 12_000 }, (_, i) => {
      let s = '';
      const len = next() % 42;
      for (let j = 0; j < len; j++) s += alphabet[next() % (i % 3 ? 6 : alphabet.length)];
      return s;
    });
    const body = delimited(strings.map((s) => new TextEncoder().encode(s)));
    // twice: the second pass meets the cache the first one filled
    for (let pass = 0; pass < 2; pass++) {
      const r = new Reader(body);
      const read = strings.map(() => r.string());
      expect(read).toEqual(strings);
      expect(r.done).toBe(true);
    }
  });

  it('ids of any length come back as lower-case hex', () => {
    const next = lcg(13);
    const ids = Array.from({ length: 6_000 }, (_, i) => {
      const len = i % 5 === 0 ? next() % 20 : i % 2 ? 16 : 8;
      // ids that differ only in their first bytes share a cache slot
      return Uint8Array.from({ length: len }, (_, j) => (j < len - 3 ? next() & 0xff : 0xab));
    });
    const body = delimited(ids);
    for (let pass = 0; pass < 2; pass++) {
      const r = new Reader(body);
      expect(ids.map(() => r.hex())).toEqual(ids.map(hexOf));
    }
  });

  it('invalid UTF-8 is a WireError at any length, even right after the valid text it resembles', () => {
    for (const len of [2, 12, 20, 40]) {
      const valid = new TextEncoder().encode(`${'x'.repeat(len - 2)}é`);
      const broken = Uint8Array.from(valid);
      broken[len - 1] = 0x28; // 0xc3 followed by a non-continuation byte
      const r = new Reader(delimited([valid, broken]));
      expect(r.string()).toBe(`${'x'.repeat(len - 2)}é`);
      expect(() => r.string()).toThrow(WireError);
      expect(() => new Reader(delimited([broken])).string()).toThrow(/invalid UTF-8 in a string at byte 1/);
    }
  });
});

describe('Reader varints', () => {
  it('reads one, two and longer varints, also as the last byte of a message', () => {
    const values = [0n, 1n, 127n, 128n, 300n, 16383n, 16384n, 2n ** 31n, 2n ** 32n - 1n];
    for (const v of values) {
      const r = new Reader(Uint8Array.from(varint(v)));
      expect(r.uint32()).toBe(Number(v));
      expect(r.done).toBe(true);
    }
    // longer than 32 bits: truncated to the low 32, as protobuf does for uint32
    expect(new Reader(Uint8Array.from(varint(2n ** 32n + 5n))).uint32()).toBe(5);
  });

  it('reads int64 values as decimal strings, negative ones too', () => {
    for (const v of [0n, 5n, 127n, 128n, 2n ** 32n, -1n, -9007199254740991n, 2n ** 63n - 1n, -(2n ** 63n)]) {
      expect(new Reader(Uint8Array.from(varint(v))).int64String()).toBe(v.toString());
    }
  });

  it('refuses truncated and overlong varints', () => {
    expect(() => new Reader(Uint8Array.from([0x80])).uint32()).toThrow(/truncated varint at byte 1/);
    expect(() => new Reader(Uint8Array.from([0xff, 0xff])).uint32()).toThrow(/truncated varint at byte 2/);
    expect(() => new Reader(Uint8Array.from([0x80])).int64String()).toThrow(WireError);
    expect(() => new Reader(new Uint8Array(11).fill(0xff)).uint32()).toThrow(/longer than 10 bytes/);
  });
});

describe('Reader skipping groups', () => {
  /** Reads the first tag and skips its field, as a decoder does with a field it does not know. */
  const skipFirst = (bytes: Uint8Array) => {
    const r = new Reader(bytes);
    r.skip(r.uint32() & 7);
    return r;
  };

  it('skips nested groups and the fields inside them, and reads on after them', () => {
    // group 1 { varint 2 = 5; group 2 { fixed32 3; bytes 4 } } then varint 3 = 7
    const r = skipFirst(Uint8Array.from([0x0b, 0x10, 0x05, 0x13, 0x1d, 1, 2, 3, 4, 0x22, 0x01, 0xff, 0x14, 0x0c, 0x18, 0x07]));
    expect(r.uint32()).toBe(0x18);
    expect(r.uint32()).toBe(7);
    expect(r.done).toBe(true);
  });

  it(`skips groups nested ${MAX_GROUP_DEPTH} deep`, () => {
    const bytes = Uint8Array.from([...new Array<number>(MAX_GROUP_DEPTH).fill(0x0b), ...new Array<number>(MAX_GROUP_DEPTH).fill(0x0c)]);
    expect(skipFirst(bytes).done).toBe(true);
  });

  it('refuses a long chain of START_GROUP tags with a WireError naming the byte, not a stack overflow', () => {
    const chains = [
      new Uint8Array(100_000).fill(0x0b),
      // START_GROUP tags of other field numbers, one and two bytes long
      Uint8Array.from({ length: 100_000 }, (_, i) => ((1 + (i % 15)) << 3) | WireType.START_GROUP),
      Uint8Array.from({ length: 100_000 }, (_, i) => (i % 2 ? 0x01 : 0x83)),
      // a field before each group
      Uint8Array.from({ length: 99_999 }, (_, i) => [0x0b, 0x08, 0x01][i % 3]!),
    ];
    for (const bytes of chains) {
      let thrown: unknown;
      try {
        skipFirst(bytes);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(WireError);
      expect((thrown as Error).message).toMatch(new RegExp(`^groups nested deeper than ${MAX_GROUP_DEPTH} levels at byte \\d+$`));
    }
    expect(() => skipFirst(new Uint8Array(100_000).fill(0x0b))).toThrow(`groups nested deeper than ${MAX_GROUP_DEPTH} levels at byte ${MAX_GROUP_DEPTH}`);
  });

  it('refuses a group that never ends', () => {
    expect(() => skipFirst(Uint8Array.from([0x0b, 0x0b, 0x08, 0x01, 0x0c]))).toThrow(/truncated varint at byte 5/);
  });
});
