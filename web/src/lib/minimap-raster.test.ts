import { describe, expect, it } from 'vitest';
import { hexPixel, rasterizeRows } from './minimap-raster';
import { miniTrace } from './test-support';
import { buildTraceView } from './trace-model';

const RED = hexPixel('#ff0000')!;
const BLUE = hexPixel('#00f')!;

describe('hexPixel', () => {
  it('packs #rgb and #rrggbb as opaque little-endian RGBA, and refuses anything else', () => {
    expect(RED).toBe(0xff0000ff);
    expect(BLUE).toBe(0xffff0000);
    expect(hexPixel('#12345')).toBeNull();
    expect(hexPixel('rgb(1 2 3)')).toBeNull();
  });
});

describe('rasterizeRows', () => {
  // a: 0–100, b: 50–100 (child of a), c: 0–10 (child of a, earlier), so rows are a, c, b.
  const view = buildTraceView(
    miniTrace([
      { id: 'a', service: 'red', start: 0, dur: 100 },
      { id: 'b', parent: 'a', service: 'blue', start: 50, dur: 50 },
      { id: 'c', parent: 'a', service: 'blue', start: 0, dur: 10 },
    ]),
  );
  const colour = (s: { service: string }) => (s.service === 'red' ? RED : BLUE);
  const rows = Int32Array.from(view.spans.keys());
  const picture = (px: Uint32Array, w: number) =>
    Array.from({ length: px.length / w }, (_, y) => Array.from(px.subarray(y * w, (y + 1) * w), (p) => (p === RED ? 'r' : p === BLUE ? 'b' : '.')).join(''));

  it('draws one bar per row at its time, with a gap under rows taller than 3 px', () => {
    expect(picture(rasterizeRows(view, rows, 10, 12, colour), 10)).toEqual([
      'rrrrrrrrrr', 'rrrrrrrrrr', 'rrrrrrrrrr', '..........',
      'b.........', 'b.........', 'b.........', '..........',
      '.....bbbbb', '.....bbbbb', '.....bbbbb', '..........',
    ]);
  });

  it('squeezes many rows into one pixel row, the lower row winning where they overlap', () => {
    expect(picture(rasterizeRows(view, rows, 10, 1, colour), 10)).toEqual(['brrrrbbbbb']);
  });

  it('gives every row at least one pixel, and an empty picture for no rows', () => {
    const tiny = buildTraceView(miniTrace([{ id: 'a', start: 0, dur: 1000 }, { id: 'b', parent: 'a', start: 500, dur: 0 }]));
    expect(picture(rasterizeRows(tiny, [0, 1], 4, 2, () => RED), 4)).toEqual(['rrrr', '..r.']);
    expect(rasterizeRows(view, [], 10, 4, colour).every((p) => p === 0)).toBe(true);
  });

  it('fills the whole bitmap from 20k full-width rows, many per pixel row', () => {
    const big = buildTraceView(miniTrace(Array.from({ length: 20_000 }, (_, i) => ({ id: (i + 1).toString(16), start: 0, dur: 100 }))));
    const px = rasterizeRows(big, Int32Array.from(big.spans.keys()), 1400, 56, () => RED);
    expect(px.every((p) => p === RED)).toBe(true);
  });
});
