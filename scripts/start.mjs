#!/usr/bin/env node
/**
 * `npm start -- [wrangler dev args]`: builds the site, applies the D1 migrations to the same local
 * state directory that wrangler dev will use (honouring --persist-to), then runs wrangler dev with
 * the args given. EDGETRACE_SKIP_WEB_BUILD=1 skips the site build when web/build is already there.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';

const args = process.argv.slice(2);

function persistTo(argv) {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--persist-to') return argv[i + 1];
    if (a.startsWith('--persist-to=')) return a.slice('--persist-to='.length);
  }
  return undefined;
}

function run(cmd, cmdArgs, what) {
  const r = spawnSync(cmd, cmdArgs, { stdio: 'inherit', env: { ...process.env, CI: 'true' } });
  if (r.status !== 0) {
    console.error(`edgetrace: ${what} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
}

const bin = (name) => `node_modules/.bin/${name}`;

if (existsSync('web/vite.config.ts') && !(process.env.EDGETRACE_SKIP_WEB_BUILD === '1' && existsSync('web/build/index.html'))) {
  console.log('edgetrace: building the site (web/ → web/build)');
  run(bin('vite'), ['build', 'web', '--logLevel', 'warn'], 'site build');
}
if (!existsSync('web/build/index.html')) {
  mkdirSync('web/build', { recursive: true });
  writeFileSync('web/build/index.html', '<!doctype html><title>edgetrace</title><p>edgetrace API is running.</p>\n');
}

const persist = persistTo(args);
console.log(`edgetrace: applying D1 migrations to local state${persist ? ` in ${persist}` : ''}`);
run(bin('wrangler'), ['d1', 'migrations', 'apply', 'DB', '--local', ...(persist ? ['--persist-to', persist] : [])], 'D1 migrations');

// A deployed edgetrace refuses unauthenticated ingest and reads (AUTH_REQUIRED=true in
// wrangler.toml) and keeps 0.1% of traces (SAMPLE_RATE=0.001); a local one is open and keeps every
// trace, for a quick look, unless asked otherwise. (Kept at 0.001, a trace forced through by its
// tracestate, as the demo's are, would count for 1,000 in the service map.)
const devArgs = [...args];
const localDefault = (name, value, why) => {
  if (args.some((a) => a.includes(name))) return console.log(`edgetrace: ${name} as given on the command line`);
  devArgs.push('--var', `${name}:${value}`);
  console.log(`edgetrace: running with ${name}=${value} (${why}); pass --var ${name}:VALUE to change it`);
};
localDefault('AUTH_REQUIRED', 'false', 'ingest and reads open, no keys');
localDefault('SAMPLE_RATE', '1', 'every trace kept; deployed, the default is 0.001');

const child = spawn(bin('wrangler'), ['dev', ...devArgs], { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
