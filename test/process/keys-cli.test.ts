/**
 * `npm run keys` as ops run it: the real CLI (scripts/keys.mjs → wrangler d1 execute) against a
 * local D1 in a temporary --persist-to directory, migrated the way `npm start` migrates it. Rows
 * are checked through the CLI's own list and through `wrangler d1 execute`. Each wrangler run
 * starts a local runtime (several seconds), so the steps share one database and run in order.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { newStateDir, removeStateDir } from './dev-server';

const stateDir = newStateDir();
const WRANGLER = 'node_modules/.bin/wrangler';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true', NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const keys = (...args: string[]) => run(process.execPath, ['scripts/keys.mjs', ...args, '--persist-to', stateDir]);
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

beforeAll(async () => {
  const r = await run(WRANGLER, ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', stateDir]);
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
});
afterAll(() => removeStateDir(stateDir));

let plainKey = '';
let scopedKey = '';

it('create NAME prints the new key once, alone on stdout, and says it will not be shown again', async () => {
  const r = await keys('create', 'cli-plain');
  expect(r.status, r.stderr).toBe(0);
  plainKey = r.stdout.trim();
  expect(plainKey).toMatch(/^etk_[A-Za-z0-9_-]{43}$/);
  expect(r.stderr).toContain(`created ingest key cli-plain in local D1 in ${stateDir} for every service.`);
  expect(r.stderr).toMatch(/only time the key is shown; only its hash is stored/);
  expect(r.stderr).not.toContain(plainKey);
});

it('create NAME --services scopes the key to those services', async () => {
  const r = await keys('create', 'cli-scoped', '--services', 'checkout,billing');
  expect(r.status, r.stderr).toBe(0);
  scopedKey = r.stdout.trim();
  expect(scopedKey).toMatch(/^etk_[A-Za-z0-9_-]{43}$/);
  expect(scopedKey).not.toBe(plainKey);
  expect(r.stderr).toMatch(/created ingest key cli-scoped in .* for services: billing, checkout\./);
});

it('list shows each key by name, hint and scope, never the key itself', async () => {
  const r = await keys('list');
  expect(r.status, r.stderr).toBe(0);
  const lines = r.stdout.trim().split('\n');
  expect(lines[0]).toMatch(/^NAME\s+KEY\s+SERVICES\s+CREATED\s+LAST USED\s+STATUS$/);
  expect(lines[1]).toMatch(new RegExp(`^cli-plain\\s+${plainKey.slice(0, 8)}…\\s+\\(all\\)\\s+\\S+Z\\s+-\\s+active$`));
  expect(lines[2]).toMatch(new RegExp(`^cli-scoped\\s+${scopedKey.slice(0, 8)}…\\s+billing,checkout\\s+\\S+Z\\s+-\\s+active$`));
  expect(lines).toHaveLength(3);
  expect(r.stdout).not.toContain(plainKey);
  expect(r.stdout).not.toContain(scopedKey);
});

it('refuses a second key with a taken name, saying why, and prints no key', async () => {
  const r = await keys('create', 'cli-plain');
  expect(r.status).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr.trim()).toBe('keys: a key named cli-plain already exists (names stay taken after revoke): pick another name');
});

it('revoke NAME revokes the key, says so when it already was, and fails on an unknown name', async () => {
  const first = await keys('revoke', 'cli-plain');
  expect(first.status, first.stderr).toBe(0);
  expect(first.stdout).toMatch(/^revoked ingest key cli-plain in local D1 in .* \(at \d{4}-\d\d-\d\dT[\d:.]+Z\)\.\n$/);
  const again = await keys('revoke', 'cli-plain');
  expect(again.status, again.stderr).toBe(0);
  expect(again.stdout).toMatch(/^ingest key cli-plain in .* was already revoked \(at /);
  const unknown = await keys('revoke', 'cli-nobody');
  expect(unknown.status).toBe(1);
  expect(unknown.stderr.trim()).toBe(`keys: no key named cli-nobody in local D1 in ${stateDir}`);
});

it('leaves rows holding only hashes, the scope and the revocation, as the Worker reads them', async () => {
  const r = await run(WRANGLER, [
    'd1', 'execute', 'DB', '--local', '--persist-to', stateDir, '--json',
    '--command', 'SELECT name, key_hash, key_hint, services, revoked_at FROM ingest_keys ORDER BY name',
  ]);
  expect(r.status, r.stderr).toBe(0);
  const rows = (JSON.parse(r.stdout) as { results: Record<string, unknown>[] }[])[0]!.results;
  expect(rows).toEqual([
    { name: 'cli-plain', key_hash: sha256(plainKey), key_hint: `${plainKey.slice(0, 8)}…`, services: null, revoked_at: expect.any(Number) },
    { name: 'cli-scoped', key_hash: sha256(scopedKey), key_hint: `${scopedKey.slice(0, 8)}…`, services: '["billing","checkout"]', revoked_at: null },
  ]);
  expect(r.stdout).not.toContain(plainKey);
  expect(r.stdout).not.toContain(scopedKey);
});
