#!/usr/bin/env node
/**
 * `npm run keys -- COMMAND`: manage ingest keys in the D1 database, local or remote.
 *   create NAME [--services a,b]   make a key (printed once; only its hash is stored)
 *   list                           show the keys (name, hint, scope, dates, status)
 *   revoke NAME                    refuse the key from now on (within INGEST_KEY_CACHE_SECONDS)
 * Target: --local (default; add --persist-to DIR to match `npm start -- --persist-to DIR`) or
 * --remote (the database in wrangler.toml, on Cloudflare). The SQL comes from
 * worker/auth/key-admin.ts (bundled on the fly) and runs through `wrangler d1 execute`.
 */
import { spawnSync } from 'node:child_process';
import { build } from 'esbuild';

const USAGE = `usage: npm run keys -- create NAME [--services a,b] | list | revoke NAME   [--local [--persist-to DIR] | --remote]`;

function fail(message) {
  console.error(`keys: ${message}`);
  process.exit(1);
}

function parseArgs(argv) {
  const out = { positional: [], remote: false, local: false, persistTo: undefined, services: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (flag) => {
      if (a.startsWith(`${flag}=`)) return a.slice(flag.length + 1);
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) fail(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    if (a === '--remote') out.remote = true;
    else if (a === '--local') out.local = true;
    else if (a === '--persist-to' || a.startsWith('--persist-to=')) out.persistTo = value('--persist-to');
    else if (a === '--services' || a.startsWith('--services=')) out.services = value('--services');
    else if (a === '-h' || a === '--help') {
      console.log(USAGE);
      process.exit(0);
    } else if (a.startsWith('--')) fail(`unknown option ${a}\n${USAGE}`);
    else out.positional.push(a);
  }
  if (out.remote && (out.local || out.persistTo)) fail('--remote cannot be combined with --local or --persist-to');
  return out;
}

async function loadAdmin() {
  const result = await build({
    entryPoints: ['worker/auth/key-admin.ts'],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'error',
  });
  const code = result.outputFiles[0].text;
  return import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
}

function d1(sql, target) {
  const where = target.remote ? ['--remote'] : ['--local', ...(target.persistTo ? ['--persist-to', target.persistTo] : [])];
  const r = spawnSync('node_modules/.bin/wrangler', ['d1', 'execute', 'DB', ...where, '--json', '--command', sql], {
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
  });
  if (r.error) fail(`could not run wrangler: ${r.error.message}`);
  let parsed;
  try {
    parsed = JSON.parse(r.stdout);
  } catch {
    parsed = null;
  }
  if (r.status !== 0 || !Array.isArray(parsed)) {
    const text = `${parsed?.error?.text ?? ''}\n${r.stdout}\n${r.stderr}`;
    if (/no such table: ingest_keys/.test(text))
      fail(
        target.remote
          ? 'the remote database has no ingest_keys table: apply the migrations first (npx wrangler d1 migrations apply DB --remote)'
          : 'the local database has no ingest_keys table: apply the migrations first (npm start does, or: npx wrangler d1 migrations apply DB --local' +
              `${target.persistTo ? ` --persist-to ${target.persistTo}` : ''})`,
      );
    if (/UNIQUE constraint failed: ingest_keys.name/.test(text)) return 'duplicate-name';
    fail(`wrangler d1 execute failed (exit ${r.status}):\n${text.trim()}`);
  }
  return parsed.flatMap((statement) => statement.results ?? []);
}

const args = parseArgs(process.argv.slice(2));
const [command, name, ...extra] = args.positional;
if (extra.length) fail(`unexpected argument ${extra[0]}\n${USAGE}`);
const admin = await loadAdmin();
const where = args.remote ? 'remote D1' : `local D1${args.persistTo ? ` in ${args.persistTo}` : ''}`;

try {
  if (command === 'create') {
    if (!name) fail(`create needs a NAME\n${USAGE}`);
    const services = args.services === undefined ? null : admin.parseServiceList(args.services);
    const { key, sql } = await admin.createKeySql(name, services, Date.now());
    if (d1(sql, args) === 'duplicate-name') fail(`a key named ${name} already exists (names stay taken after revoke): pick another name`);
    console.error(`created ingest key ${name} in ${where}${services ? ` for services: ${services.join(', ')}` : ' for every service'}.`);
    console.error('This is the only time the key is shown; only its hash is stored. Send it as');
    console.error('`Authorization: Bearer <key>` or `x-api-key: <key>`:');
    console.log(key);
  } else if (command === 'list') {
    if (name) fail(`list takes no NAME\n${USAGE}`);
    console.log(admin.formatKeyList(d1(admin.listKeysSql, args)));
  } else if (command === 'revoke') {
    if (!name) fail(`revoke needs a NAME\n${USAGE}`);
    const now = Date.now();
    const [row] = d1(admin.revokeKeySql(name, now), args);
    if (!row) fail(`no key named ${name} in ${where}`);
    // the UPDATE skips a key that is already revoked, so an earlier time means this run changed nothing
    if (row.revoked_at !== now) console.log(`ingest key ${name} in ${where} was already revoked (at ${new Date(row.revoked_at).toISOString()}).`);
    else console.log(`revoked ingest key ${name} in ${where} (at ${new Date(row.revoked_at).toISOString()}).`);
  } else fail(command ? `unknown command ${command}\n${USAGE}` : USAGE);
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}
