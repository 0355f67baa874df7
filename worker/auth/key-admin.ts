/**
 * The SQL behind `npm run keys` (scripts/keys.mjs runs it with `wrangler d1 execute`, which takes
 * plain SQL text, so values are validated and quoted here). Creating a key makes the key, stores
 * its hash and returns the key for the CLI to print once; it is never stored or sent anywhere.
 */
import { checkKeyName, generateIngestKey, hashIngestKey, keyHint } from './key-format';

export { parseServiceList } from './key-format';

/** A SQL string literal. Names and services are validated before they get here; quoting is the second line. */
export const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;

export interface NewKey {
  key: string;
  sql: string;
}

export async function createKeySql(name: string, services: readonly string[] | null, nowMs: number): Promise<NewKey> {
  checkKeyName(name);
  const key = generateIngestKey();
  const scope = services === null ? 'NULL' : sqlString(JSON.stringify(services));
  const sql =
    'INSERT INTO ingest_keys (name, key_hash, key_hint, services, created_at) VALUES ' +
    `(${sqlString(name)}, ${sqlString(await hashIngestKey(key))}, ${sqlString(keyHint(key))}, ${scope}, ${Math.trunc(nowMs)});`;
  return { key, sql };
}

export const listKeysSql = 'SELECT name, key_hint, services, created_at, revoked_at, last_used_at FROM ingest_keys ORDER BY name;';

/** Revokes and then reads the row back, so the CLI can tell "revoked" from "no such key" from "already revoked". */
export function revokeKeySql(name: string, nowMs: number): string {
  checkKeyName(name);
  return (
    `UPDATE ingest_keys SET revoked_at = ${Math.trunc(nowMs)} WHERE name = ${sqlString(name)} AND revoked_at IS NULL; ` +
    `SELECT name, revoked_at FROM ingest_keys WHERE name = ${sqlString(name)};`
  );
}

export interface KeyListRow {
  name: string;
  key_hint: string;
  services: string | null;
  created_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
}

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'));

/** The `keys list` table. */
export function formatKeyList(rows: readonly KeyListRow[]): string {
  if (rows.length === 0) return 'no ingest keys yet (create one: npm run keys -- create NAME)';
  const table = [
    ['NAME', 'KEY', 'SERVICES', 'CREATED', 'LAST USED', 'STATUS'],
    ...rows.map((r) => [
      r.name,
      r.key_hint,
      r.services === null ? '(all)' : (JSON.parse(r.services) as string[]).join(','),
      iso(r.created_at),
      iso(r.last_used_at),
      r.revoked_at === null ? 'active' : `revoked ${iso(r.revoked_at)}`,
    ]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return table.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}
