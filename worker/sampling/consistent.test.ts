import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALWAYS,
  compareRandomness,
  effectiveProbability,
  formatThreshold,
  NEVER,
  parseRandomness,
  parseThreshold,
  probabilityToThreshold,
  randomnessAtLeast,
  thresholdToProbability,
  type Threshold,
} from './consistent';

const hex14 = fc.stringMatching(/^[0-9a-f]{14}$/);

describe('thresholds', () => {
  it('T = (1 - p) * 2^56 as 14 hex digits, written without trailing zeros', () => {
    expect(probabilityToThreshold(1)).toBe(ALWAYS);
    expect(probabilityToThreshold(0.5)).toBe('80000000000000');
    expect(probabilityToThreshold(0.25)).toBe('c0000000000000');
    expect(probabilityToThreshold(0.1)).toBe('e6666666666666');
    expect(formatThreshold(probabilityToThreshold(0.25))).toBe('c');
    expect(formatThreshold(ALWAYS)).toBe('0');
    expect(probabilityToThreshold(0)).toBe(NEVER);
    expect(probabilityToThreshold(2 ** -60)).toBe(NEVER);
    expect(formatThreshold(NEVER)).toBeNull();
  });

  it('a threshold round-trips to the probability it applies', () => {
    expect(thresholdToProbability(probabilityToThreshold(0.25))).toBe(0.25);
    expect(thresholdToProbability(NEVER)).toBe(0);
    fc.assert(
      fc.property(fc.double({ min: 1e-9, max: 1, noNaN: true }), (p) => {
        expect(Math.abs(effectiveProbability(p) - p)).toBeLessThanOrEqual(2 ** -56);
      }),
    );
  });

  it('reads th values padded with trailing zeros and refuses malformed ones', () => {
    expect(parseThreshold('c')).toBe('c0000000000000');
    expect(parseThreshold('0')).toBe(ALWAYS);
    expect(parseThreshold('')).toBeNull();
    expect(parseThreshold('C')).toBeNull();
    expect(parseThreshold('fffffffffffffff')).toBeNull();
    expect(parseThreshold('g')).toBeNull();
    expect(parseRandomness('0123456789abcd')).toBe('0123456789abcd');
    expect(parseRandomness('0123456789abc')).toBeNull();
  });
});

describe('R >= T', () => {
  it('compares 56-bit values exactly at the boundary', () => {
    const t = probabilityToThreshold(0.5);
    expect(randomnessAtLeast('80000000000000', 0, t)).toBe(true);
    expect(randomnessAtLeast('7fffffffffffff', 0, t)).toBe(false);
    expect(randomnessAtLeast('0000000000000000ff80000000000000', 18, t)).toBe(true);
    expect(randomnessAtLeast('00000000000000000000000000000000', 18, ALWAYS)).toBe(true);
    expect(randomnessAtLeast('ffffffffffffffffffffffffffffffff', 18, NEVER)).toBe(false);
  });

  it('agrees with bigint comparison for any R and T', () => {
    fc.assert(
      fc.property(hex14, hex14, (r, t) => {
        expect(randomnessAtLeast(r, 0, t as Threshold)).toBe(BigInt(`0x${r}`) >= BigInt(`0x${t}`));
        expect(Math.sign(compareRandomness(r, 0, t, 0))).toBe(Math.sign(Number(BigInt(`0x${r}`) - BigInt(`0x${t}`))));
      }),
    );
  });

  it('is nested: a trace kept at a lower rate is kept at every higher rate', () => {
    fc.assert(
      fc.property(hex14, fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (r, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        if (randomnessAtLeast(r, 0, probabilityToThreshold(lo))) expect(randomnessAtLeast(r, 0, probabilityToThreshold(hi))).toBe(true);
      }),
    );
  });
});
