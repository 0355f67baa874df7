#!/usr/bin/env node
/**
 * Runs a TypeScript entry (a bench or a script) in Node: esbuild bundles it with the project's
 * modules to a temporary .mjs, which is then imported. Arguments after the entry are passed on.
 *   node scripts/run-ts.mjs bench/sampling.ts --flag
 * The bundle's directory, node_modules/.cache/run-ts-<pid>-*, is removed however the run ends:
 * normally, by process.exit in the entry, or by SIGINT/SIGTERM. Only SIGKILL skips that; its
 * leftovers are removed by the next run once they are an hour old (and by bench/run.mjs at once,
 * which knows the pid).
 */
import { build } from 'esbuild';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [entry, ...rest] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run-ts.mjs FILE.ts [args...]');
  process.exit(2);
}
// Inside the project so that the bundle's bare imports resolve from node_modules.
const cache = resolve('node_modules/.cache');
mkdirSync(cache, { recursive: true });

/** Whether a process is still running (so its directory is in use, however old it is). */
function running(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

// Bundles of runs that were SIGKILLed: older than an hour and their process gone.
const HOUR_MS = 3_600_000;
for (const name of readdirSync(cache)) {
  if (!name.startsWith('run-ts-')) continue;
  const dir = join(cache, name);
  const pid = Number(/^run-ts-(\d+)-/.exec(name)?.[1]);
  try {
    if (Date.now() - statSync(dir).mtimeMs > HOUR_MS && !(pid > 0 && running(pid))) rmSync(dir, { recursive: true, force: true });
  } catch (err) {
    // another run removed it first
    if (err.code !== 'ENOENT') throw err;
  }
}

const dir = mkdtempSync(join(cache, `run-ts-${process.pid}-`));
const clean = () => rmSync(dir, { recursive: true, force: true });
// 'exit' also covers an entry that calls process.exit; a signal would end Node without it.
process.on('exit', clean);
for (const [signal, number] of [
  ['SIGINT', 2],
  ['SIGTERM', 15],
])
  process.once(signal, () => process.exit(128 + number));

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
  clean();
}
