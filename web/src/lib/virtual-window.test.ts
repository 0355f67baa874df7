import { describe, expect, it } from 'vitest';
import { scrollToRow, visibleRows } from './virtual-window';

describe('visibleRows', () => {
  it('covers the viewport plus overscan, clamped to the list', () => {
    expect(visibleRows(0, 100, 20, 1000, 2)).toEqual({ start: 0, end: 7 });
    expect(visibleRows(1000, 100, 20, 1000, 2)).toEqual({ start: 48, end: 57 });
    expect(visibleRows(19_990, 100, 20, 1000, 2)).toEqual({ start: 997, end: 1000 });
  });
  it('is empty for an empty list', () => {
    expect(visibleRows(0, 100, 20, 0)).toEqual({ start: 0, end: 0 });
  });
  it('renders a window whose size does not grow with the list', () => {
    const w = visibleRows(500_000, 800, 24, 100_000);
    expect(w.end - w.start).toBeLessThan(60);
  });
});

describe('scrollToRow', () => {
  it('scrolls the least needed to show a row', () => {
    expect(scrollToRow(5, 0, 100, 20)).toBe(20); // row 5 ends at 120
    expect(scrollToRow(1, 100, 100, 20)).toBe(20);
    expect(scrollToRow(6, 100, 100, 20)).toBe(100);
  });
});
