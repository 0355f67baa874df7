#!/usr/bin/env node
/**
 * Runs a TypeScript entry (a bench or a script) in Node: esbuild bundles it with the project's
 * modules to a temporary .mjs, which is then imported. Arguments after the entry are passed on.
 *   node scripts/run-ts.mjs bench/sampling.ts --flag
 */
import { build } from 'esbuild';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [entry, ...rest] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run-ts.mjs FILE.ts [args...]');
  process.exit(2);
}
// Inside the project so that the bundle's bare imports resolve from node_modules.
mkdirSync('node_modules/.cache', { recursive: true });
const dir = mkdtempSync(join(resolve('node_modules/.cache'), 'run-ts-'));
const out = join(dir, 'entry.mjs');
await build({
  entryPoints: [resolve(entry)],
  outfile: out,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'inline',
  logLevel: 'error',
  absWorkingDir: process.cwd(),
  nodePaths: [resolve('node_modules')],
});
process.argv = [process.argv[0], resolve(entry), ...rest];
try {
  await import(pathToFileURL(out).href);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
