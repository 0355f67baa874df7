/**
 * OpenTelemetry consistent probability sampling arithmetic (the "TraceState Probability Sampling"
 * spec, OTEP 235): a trace carries 56 bits of randomness R (an explicit `rv` in tracestate, else
 * the low 56 bits of the traceId) and a sampler with probability p keeps it iff R >= T, where the
 * rejection threshold T = (1 - p) * 2^56. Because R belongs to the trace, every sampler that uses
 * this rule agrees, and a lower probability keeps a subset of what a higher one keeps.
 *
 * 56 bits do not fit a JS number exactly, so R and T stay 14-digit lower-case hex strings and are
 * compared character by character: for equal-length lower-case hex, character order is numeric
 * order ('0'-'9' < 'a'-'f' in char codes), and the comparison allocates nothing.
 */

/** A rejection threshold: exactly 14 lower-case hex digits, or NEVER (probability 0). */
export type Threshold = string & { readonly __brand: 'Threshold' };

/** Probability 0: no R reaches it (2^56 needs 15 digits, so it gets a sentinel). */
export const NEVER = 'never' as Threshold;
/** Probability 1: every R is >= 0. */
export const ALWAYS = '00000000000000' as Threshold;

const TWO_56 = 2 ** 56;
const TWO_56_BIG = 1n << 56n;
export const HEX_DIGITS = 14;
/** Offset of the low 56 bits (the last 14 hex digits) in a 32-digit traceId. */
export const TRACE_ID_RANDOMNESS_OFFSET = 18;

/** T = (1 - p) * 2^56, rounded to the nearest integer; p must already be within [0, 1]. */
export function probabilityToThreshold(p: number): Threshold {
  if (!(p > 0)) return NEVER;
  if (p >= 1) return ALWAYS;
  // p * 2^56 is exact in binary floating point (a power-of-two scale), so only the rounding to an
  // integer loses anything; below 2^-57 it rounds to 0, which is probability 0.
  const kept = BigInt(Math.round(p * TWO_56));
  if (kept === 0n) return NEVER;
  return (TWO_56_BIG - kept).toString(16).padStart(HEX_DIGITS, '0') as Threshold;
}

/** The probability a threshold really samples with ((2^56 - T) / 2^56): the adjusted count's base. */
export function thresholdToProbability(t: Threshold): number {
  if (t === NEVER) return 0;
  return Number(TWO_56_BIG - BigInt(`0x${t}`)) / TWO_56;
}

/** The probability a rate is actually applied with once rounded to a 56-bit threshold. */
export function effectiveProbability(p: number): number {
  return thresholdToProbability(probabilityToThreshold(p));
}

/**
 * R >= T, where R is the 14 hex digits of `src` starting at `offset` (a traceId at offset 18, or an
 * rv at offset 0). No allocation: this runs once per span on the ingest path.
 */
export function randomnessAtLeast(src: string, offset: number, t: Threshold): boolean {
  if (t === NEVER) return false;
  for (let i = 0; i < HEX_DIGITS; i++) {
    const a = src.charCodeAt(offset + i);
    const b = t.charCodeAt(i);
    if (a !== b) return a > b;
  }
  return true;
}

/** Orders two randomness windows (negative when the first is smaller), without allocating. */
export function compareRandomness(a: string, aOffset: number, b: string, bOffset: number): number {
  for (let i = 0; i < HEX_DIGITS; i++) {
    const d = a.charCodeAt(aOffset + i) - b.charCodeAt(bOffset + i);
    if (d !== 0) return d;
  }
  return 0;
}

/** The lower (more permissive) of two thresholds. */
export function minThreshold(a: Threshold, b: Threshold): Threshold {
  if (a === NEVER) return b;
  if (b === NEVER) return a;
  return compareRandomness(a, 0, b, 0) <= 0 ? a : b;
}

/** The higher (more restrictive) of two thresholds. */
export function maxThreshold(a: Threshold, b: Threshold): Threshold {
  if (a === NEVER || b === NEVER) return NEVER;
  return compareRandomness(a, 0, b, 0) >= 0 ? a : b;
}

const HEX_RE = /^[0-9a-f]+$/;

/**
 * Reads a tracestate `th` value: 1 to 14 lower-case hex digits, implicitly padded with trailing
 * zeros (the spec drops them when writing). Returns null when malformed.
 */
export function parseThreshold(th: string): Threshold | null {
  if (th.length < 1 || th.length > HEX_DIGITS || !HEX_RE.test(th)) return null;
  return th.padEnd(HEX_DIGITS, '0') as Threshold;
}

/** Writes a threshold as the spec's `th` value: trailing zeros dropped, "0" for probability 1. */
export function formatThreshold(t: Threshold): string | null {
  if (t === NEVER) return null;
  const trimmed = t.replace(/0+$/, '');
  return trimmed === '' ? '0' : trimmed;
}

/** Reads a tracestate `rv` value: exactly 14 lower-case hex digits, else null. */
export function parseRandomness(rv: string): string | null {
  return rv.length === HEX_DIGITS && HEX_RE.test(rv) ? rv : null;
}
