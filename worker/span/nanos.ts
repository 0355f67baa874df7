/**
 * Arithmetic on nanosecond timestamps. They travel as decimal strings because a JS number cannot
 * hold a current Unix time in ns exactly; bigint does the maths.
 */
import type { Micros, Nanos, UnixNanos } from './model';

export const nanos = (s: string): bigint => BigInt(s);

export const toUnixNanos = (n: bigint): UnixNanos => n.toString() as UnixNanos;

export const toNanos = (n: bigint): Nanos => n.toString() as Nanos;

/** ns → µs, rounded down (Jaeger shows µs). */
export const nanosToMicros = (n: bigint): Micros => Number(n / 1000n) as Micros;

export const microsToNanos = (us: number): bigint => BigInt(Math.trunc(us)) * 1000n;

/** Duration between two timestamps in ns, never negative. */
export const durationNanos = (start: string, end: string): bigint => {
  const d = BigInt(end) - BigInt(start);
  return d < 0n ? 0n : d;
};
