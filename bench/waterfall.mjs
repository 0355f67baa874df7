#!/usr/bin/env node
/**
 * Waterfall benchmark in headless Chromium: for traces of 1k, 10k and 100k spans, the time until
 * the first waterfall rows are painted and the frame times while scrolling (requestAnimationFrame
 * deltas measured in the page). Target (issue 7): 100k spans painted in < 2 s, scrolling at 60 fps.
 *
 *   node bench/waterfall.mjs                    # opens generated traces through "Open JSON" on web/build
 *   node bench/waterfall.mjs --sizes 1000,10000
 *   node bench/waterfall.mjs --url http://127.0.0.1:8787 --ids a,b,c   # traces already in a running edgetrace
 *
 * Needs Node ≥ 22.18 (run it through npm, whose node_modules/.bin/node is 22) and web/build.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium } from '../test/browser/chromium.mjs';
import { envelope, makeTrace } from '../test/browser/fixtures.ts';
import { serveSite } from '../test/browser/static-site.mjs';

const { values } = parseArgs({
  options: { sizes: { type: 'string', default: '1000,10000,100000' }, url: { type: 'string' }, ids: { type: 'string' }, frames: { type: 'string', default: '180' } },
});
const FRAMES = Number(values.frames);

/** In the page: resolves when a waterfall row exists and two frames have passed (it is painted). */
const waitPainted = () =>
  new Promise((resolve) => {
    const done = () => requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now())));
    if (document.querySelector('[data-testid=waterfall] [role=treeitem]')) return done();
    const mo = new MutationObserver(() => {
      if (document.querySelector('[data-testid=waterfall] [role=treeitem]')) {
        mo.disconnect();
        done();
      }
    });
    mo.observe(document.body, { childList: true, subtree: true });
  });

/** In the page: scroll the waterfall by `step` px per frame for `frames` frames; the frame deltas. */
const scrollFrames = ({ frames, step }) =>
  new Promise((resolve) => {
    const el = document.querySelector('[data-testid=waterfall]');
    const deltas = [];
    let last = performance.now();
    let n = 0;
    const tick = (t) => {
      deltas.push(t - last);
      last = t;
      el.scrollTop += step;
      if (el.scrollTop + el.clientHeight >= el.scrollHeight - 1) el.scrollTop = 0;
      if (++n < frames) requestAnimationFrame(tick);
      else resolve(deltas.slice(2)); // the first deltas include setup
    };
    requestAnimationFrame((t) => {
      last = t;
      requestAnimationFrame(tick);
    });
  });

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

/** In the page: the site's edgetrace:* marks (web/src/lib/perf-marks.ts), as [name, ms]. */
const readMarks = () =>
  performance
    .getEntriesByType('mark')
    .filter((m) => m.name.startsWith('edgetrace:'))
    .map((m) => [m.name.slice('edgetrace:'.length), m.startTime]);

/** "read 80 · json-parsed 410 · …": the time from each mark to the next, from `from` on. */
function phases(marks, from, paintedAt) {
  const out = [];
  let last = from;
  for (const [name, t] of marks) {
    if (t < from) continue;
    out.push(`${name} ${Math.round(t - last)}`);
    last = t;
  }
  out.push(`painted ${Math.round(paintedAt - last)}`);
  return out.join(' · ');
}

async function measure(page, label, open) {
  const { ms: firstRowsMs, from, paintedAt } = await open();
  const marks = await page.evaluate(readMarks);
  const rows = await page.locator('[data-testid=waterfall] [role=treeitem]').count();
  const deltas = await page.evaluate(scrollFrames, { frames: FRAMES, step: 240 });
  const mean = deltas.reduce((a, b) => a + b, 0) / deltas.length;
  const r = {
    trace: label,
    'first rows painted (ms)': Math.round(firstRowsMs),
    'rows in DOM': rows,
    'scroll frame median (ms)': +pct(deltas, 50).toFixed(1),
    'scroll frame p95 (ms)': +pct(deltas, 95).toFixed(1),
    'scroll frame max (ms)': +Math.max(...deltas).toFixed(1),
    'scroll fps (mean)': +(1000 / mean).toFixed(1),
    'phases (ms)': phases(marks, from, paintedAt),
  };
  console.log(JSON.stringify(r));
  return r;
}

const browser = await launchChromium();
const results = [];
try {
  const page = await browser.context.newPage();
  if (values.url) {
    for (const id of (values.ids ?? '').split(',').filter(Boolean)) {
      results.push(
        await measure(page, id, async () => {
          await page.goto(`${values.url}/trace/${id}`, { waitUntil: 'commit' });
          // Navigation start is the page's time origin, so the painted time is already relative to it.
          const paintedAt = await page.evaluate(waitPainted);
          return { ms: paintedAt, from: 0, paintedAt };
        }),
      );
    }
  } else {
    const site = await serveSite('web/build');
    const dir = mkdtempSync(join(tmpdir(), 'edgetrace-bench-'));
    try {
      for (const n of values.sizes.split(',').map(Number)) {
        const file = join(dir, `trace-${n}.json`);
        writeFileSync(file, JSON.stringify(envelope(makeTrace({ spans: n, seed: 42 }))));
        await page.goto(`${site.url}/`);
        await page.waitForSelector('[data-testid=open-file]', { state: 'attached' });
        results.push(
          await measure(page, `${n.toLocaleString('en')} spans (Open JSON)`, async () => {
            const painted = page.evaluate(() => {
              // From the moment the file is chosen: read, parse, validate, build, lay out, paint.
              const input = document.querySelector('[data-testid=open-file]');
              return new Promise((resolve) => {
                input.addEventListener('change', () => {
                  const t0 = performance.now();
                  resolve(new Promise((r) => requestAnimationFrame(() => r(null))).then(() => t0));
                }, { once: true });
              });
            });
            await page.setInputFiles('[data-testid=open-file]', file);
            const t0 = await painted;
            const t1 = await page.evaluate(waitPainted);
            return { ms: t1 - t0, from: t0, paintedAt: t1 };
          }),
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await site.close();
    }
  }
} finally {
  await browser.close();
}
console.table(results);
