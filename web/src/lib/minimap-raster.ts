/**
 * The minimap's picture: every waterfall row as a bar, squeezed into a small bitmap (one pixel
 * row holds many waterfall rows on a big trace). Painting rows bottom-up with a "next unpainted
 * pixel" pointer per pixel row (union-find), each pixel is written once, so 100k full-width rows
 * cost the bitmap's size, not 100k × its width — the canvas API's fillRect per row does not.
 */
import type { TraceView, ViewSpan } from './trace-model';

/** `#rgb` or `#rrggbb` → an opaque RGBA pixel as ImageData stores it (little-endian ABGR); else null. */
export function hexPixel(css: string): number | null {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(css.trim());
  if (!m) return null;
  const h = m[1]!.length === 3 ? [...m[1]!].map((c) => c + c).join('') : m[1]!;
  const r = parseInt(h.slice(0, 2), 16);
  const g = parseInt(h.slice(2, 4), 16);
  const b = parseInt(h.slice(4, 6), 16);
  return ((0xff << 24) | (b << 16) | (g << 8) | r) >>> 0;
}

/**
 * Pixels (width × height, row-major, 0 = transparent) for the rows `rows` (span indices, top to
 * bottom) of `view`; `pixelOf` gives a span's colour. Where rows share a pixel the lower one wins,
 * as it would if each were drawn over the one before.
 */
export function rasterizeRows(
  view: TraceView,
  rows: ArrayLike<number>,
  width: number,
  height: number,
  pixelOf: (span: ViewSpan) => number,
): Uint32Array<ArrayBuffer> {
  const w = Math.max(0, Math.floor(width));
  const h = Math.max(0, Math.floor(height));
  const out = new Uint32Array(w * h);
  const n = rows.length;
  if (n === 0 || w === 0 || h === 0) return out;
  // next[y * (w + 1) + x]: the first unpainted pixel at or after x on pixel row y (w: none).
  const stride = w + 1;
  const next = new Int32Array(stride * h);
  for (let y = 0; y < h; y++) for (let x = 0; x <= w; x++) next[y * stride + x] = x;
  const find = (base: number, x: number): number => {
    let r = x;
    while (next[base + r]! !== r) r = next[base + r]!;
    // Path compression: later searches through x jump straight to r.
    while (next[base + x]! !== r) {
      const up = next[base + x]!;
      next[base + x] = r;
      x = up;
    }
    return r;
  };
  const total = view.durationUs || 1;
  const rowPx = h / n;
  // Rows taller than 3 px keep a one-pixel gap below them, so neighbours stay apart.
  const gap = rowPx > 3 ? 1 : 0;
  for (let k = n - 1; k >= 0; k--) {
    const s = view.spans[rows[k]!]!;
    const y0 = Math.min(h - 1, Math.floor(k * rowPx));
    const y1 = Math.max(y0 + 1, Math.floor((k + 1) * rowPx) - gap);
    const x0 = Math.min(w - 1, Math.max(0, Math.floor((s.start / total) * w)));
    const x1 = Math.min(w, Math.max(x0 + 1, Math.ceil(((s.start + s.duration) / total) * w)));
    const px = pixelOf(s);
    for (let y = y0; y < y1; y++) {
      const base = y * stride;
      for (let x = find(base, x0); x < x1; x = find(base, x + 1)) {
        out[y * w + x] = px;
        next[base + x] = x + 1;
      }
    }
  }
  return out;
}
