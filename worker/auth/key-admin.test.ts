import { describe, expect, it } from 'vitest';
import { hashIngestKey } from './key-format';
import { createKeySql, formatKeyList, listKeysSql, revokeKeySql, sqlString } from './key-admin';

describe('keys CLI SQL', () => {
  it('stores the hash the Worker looks the key up by and a hint, never the key', async () => {
    const { key, sql } = await createKeySql('checkout', ['checkout', "o'brien"], 1_700_000_000_000);
    expect(key).toMatch(/^etk_[A-Za-z0-9_-]{43}$/);
    expect(sql).not.toContain(key);
    expect(sql).toContain(`'${await hashIngestKey(key)}'`);
    expect(sql).toContain(`'${key.slice(0, 8)}…'`);
    expect(sql).toContain(`'["checkout","o''brien"]'`);
    expect(sql).toContain('1700000000000');
  });
  it('writes NULL for a key that may send any service', async () => {
    expect((await createKeySql('all', null, 0)).sql).toContain(', NULL, 0);');
  });
  it('refuses names that are not plain', async () => {
    await expect(createKeySql("x'; DROP TABLE traces; --", null, 0)).rejects.toThrow(/key name/);
    expect(() => revokeKeySql('a b', 0)).toThrow(/key name/);
  });
  it('revokes only an active key and reads it back', () => {
    expect(revokeKeySql('k1', 5)).toBe(
      "UPDATE ingest_keys SET revoked_at = 5 WHERE name = 'k1' AND revoked_at IS NULL; SELECT name, revoked_at FROM ingest_keys WHERE name = 'k1';",
    );
    expect(listKeysSql).toMatch(/^SELECT .* FROM ingest_keys ORDER BY name;$/);
  });
  it('quotes SQL strings', () => {
    expect(sqlString("it's")).toBe("'it''s'");
  });
  it('lists keys as an aligned table without hashes', () => {
    const out = formatKeyList([
      { name: 'checkout', key_hint: 'etk_AbCd…', services: '["checkout"]', created_at: 0, revoked_at: null, last_used_at: 3_600_000 },
      { name: 'old', key_hint: 'etk_ZzZz…', services: null, created_at: 0, revoked_at: 86_400_000, last_used_at: null },
    ]);
    expect(out.split('\n')).toEqual([
      'NAME      KEY        SERVICES  CREATED               LAST USED             STATUS',
      'checkout  etk_AbCd…  checkout  1970-01-01T00:00:00Z  1970-01-01T01:00:00Z  active',
      'old       etk_ZzZz…  (all)     1970-01-01T00:00:00Z  -                     revoked 1970-01-02T00:00:00Z',
    ]);
    expect(formatKeyList([])).toMatch(/no ingest keys yet/);
  });
});
