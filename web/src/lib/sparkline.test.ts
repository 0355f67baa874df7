import { describe, expect, it } from 'vitest';
import { seriesMax, sparkPath } from './sparkline';

const frame = { width: 100, height: 21, from: 0, to: 100_000, step: 10_000 };

describe('sparkPath', () => {
  it('scales time across the width and values from zero to the top', () => {
    expect(sparkPath([{ t: 0, v: 0 }, { t: 50_000, v: 5 }, { t: 100_000, v: 10 }], { ...frame, step: 50_000 })).toBe('M0,20.5L50,10.5L100,0.5');
  });
  it('breaks the line over a gap and draws a lone point as a dot', () => {
    const d = sparkPath([{ t: 0, v: 1 }, { t: 10_000, v: 1 }, { t: 50_000, v: 1 }, { t: 90_000, v: 1 }, { t: 100_000, v: 1 }], frame);
    expect(d).toBe('M0,0.5L10,0.5M50,0.5h0M90,0.5L100,0.5');
  });
  it('uses a shared top when given one, and draws nothing without points', () => {
    expect(sparkPath([{ t: 0, v: 5 }, { t: 10_000, v: 5 }], { ...frame, max: 10 })).toBe('M0,10.5L10,10.5');
    expect(sparkPath([], frame)).toBe('');
    expect(sparkPath([{ t: 0, v: 0 }, { t: 10_000, v: 0 }], frame)).toBe('M0,20.5L10,20.5');
  });
  it('seriesMax is the top of several series', () => {
    expect(seriesMax([{ t: 0, v: 3 }], [], [{ t: 0, v: 7 }])).toBe(7);
    expect(seriesMax()).toBe(0);
  });
});
