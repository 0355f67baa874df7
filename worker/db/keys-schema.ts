/**
 * Ingest keys in D1. Only the SHA-256 of a key is stored (the key is shown once, by the keys CLI);
 * the Worker looks a presented key up by that hash. `services` scopes a key to some services.
 */
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const ingestKeys = sqliteTable('ingest_keys', {
  name: text('name').primaryKey(),
  /** lower-case hex SHA-256 of the whole key */
  keyHash: text('key_hash').notNull().unique(),
  /** the key's first characters (`etk_AbCd…`), so that people can tell their keys apart */
  keyHint: text('key_hint').notNull(),
  /** JSON array of service names the key may send spans for; null = every service */
  services: text('services'),
  /** ms since epoch */
  createdAt: integer('created_at').notNull(),
  /** ms since epoch; a revoked key is kept (listed as revoked) but refused */
  revokedAt: integer('revoked_at'),
  /** ms since epoch, refreshed at most hourly (D1 bills every row write) */
  lastUsedAt: integer('last_used_at'),
});
