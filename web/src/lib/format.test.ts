import { describe, expect, it } from 'vitest';
import { formatAdjustedCount, formatAge, formatCount, formatDuration, formatRate, timeTicks } from './format';
import { serviceColor } from './colors';

describe('format', () => {
  it('groups counts by thousands', () => {
    expect([0, 5, 999, 1000, 100_000, 1_234_567, 1234.5].map(formatCount)).toEqual(['0', '5', '999', '1,000', '100,000', '1,234,567', '1,234.5']);
  });
  it('formats µs durations with sensible units', () => {
    expect(formatDuration(0)).toBe('0µs');
    expect(formatDuration(999)).toBe('999µs');
    expect(formatDuration(1500)).toBe('1.5ms');
    expect(formatDuration(123_456)).toBe('123ms');
    expect(formatDuration(2_340_000)).toBe('2.34s');
    expect(formatDuration(125_000_000)).toBe('2m 5s');
  });
  it('formats ages relative to now', () => {
    const now = 1_700_000_000_000;
    expect(formatAge(now, (now - 5_000) * 1000)).toBe('5s ago');
    expect(formatAge(now, (now - 7_200_000) * 1000)).toBe('2h ago');
  });
  it('picks nice ticks covering the range', () => {
    expect(timeTicks(1000, 5)).toEqual([0, 200, 400, 600, 800, 1000]);
    expect(timeTicks(0)).toEqual([0]);
  });
  it('gives a service the same colour every time', () => {
    expect(serviceColor('checkout')).toBe(serviceColor('checkout'));
    expect(serviceColor('checkout')).toMatch(/^#/);
  });

  it('shows adjusted counts and rates as people read them, not as the 56-bit threshold rounds them', () => {
    expect([999.9999999999991, 1, 10.000000000000002, 1234.5, 2.5].map(formatAdjustedCount)).toEqual(['1,000', '1', '10', '1,234.5', '2.5']);
    expect([0.0010000000000000009, 0.25, 1, 0.000123456789].map(formatRate)).toEqual(['0.1%', '25%', '100%', '0.01235%']);
  });
});
