#!/usr/bin/env node
/**
 * The deploy check CI runs: `wrangler deploy --dry-run` builds the Worker bundle exactly as a real
 * deploy would (no account needed), then the bundle's gzip size is compared with the Workers limit.
 * Limits (compressed): 3 MiB on the Free plan, 10 MiB on Paid; edgetrace must fit the Free one.
 *   node scripts/check-deploy.mjs
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const FREE_LIMIT = 3 * 1024 * 1024;
const PAID_LIMIT = 10 * 1024 * 1024;

if (!existsSync('web/build/index.html')) {
  const site = spawnSync('node_modules/.bin/vite', ['build', 'web', '--logLevel', 'warn'], { stdio: 'inherit' });
  if (site.status !== 0) process.exit(site.status ?? 1);
}
const out = mkdtempSync(join(tmpdir(), 'edgetrace-deploy-'));
try {
  const r = spawnSync('node_modules/.bin/wrangler', ['deploy', '--dry-run', '--outdir', out], {
    encoding: 'utf8',
    env: { ...process.env, CI: 'true', NO_COLOR: '1' },
  });
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  if (r.status !== 0) {
    console.error(`deploy check: wrangler deploy --dry-run failed (exit ${r.status})`);
    process.exit(1);
  }
  const files = readdirSync(out, { recursive: true })
    .map((f) => join(out, String(f)))
    .filter((f) => statSync(f).isFile() && !f.endsWith('.map'));
  const raw = files.reduce((n, f) => n + statSync(f).size, 0);
  const gz = files.reduce((n, f) => n + gzipSync(readFileSync(f)).length, 0);
  const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
  console.log(`deploy check: bundle ${kib(raw)}, ${kib(gz)} gzip (limit ${kib(FREE_LIMIT)} Free, ${kib(PAID_LIMIT)} Paid)`);
  if (gz > FREE_LIMIT) {
    console.error('deploy check: the bundle is over the Workers Free plan size limit');
    process.exit(1);
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
