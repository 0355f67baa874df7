/**
 * Looks a presented ingest key up in D1 by its hash. Found keys are cached per isolate for
 * INGEST_KEY_CACHE_SECONDS, so a busy exporter costs one D1 read a minute, not one per request.
 * Misses (unknown or revoked keys) are cached too, for at most MISS_CACHE_SECONDS: an exporter
 * left running with a revoked or mistyped key would otherwise cost a D1 read per request. The
 * price is a delay: an isolate that missed a key refuses it for up to that long even if the key
 * then appears in D1 (isolates that did not see the miss, and fresh ones, accept it at once). A key
 * is shown only once it exists, so an exporter meets this only if its row is restored by hand.
 * `last_used_at` is refreshed at most hourly, off the request path.
 */
import { and, eq, isNull, lt, or } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { ingestKeys } from '../db/keys-schema';
import { hashIngestKey, isIngestKeyFormat } from './key-format';
import type { IngestKey } from './scope';
import { TtlCache } from './ttl-cache';

const cache = new TtlCache<IngestKey>(1_000);
/** Shorter than the hit cache: refusing a key that has become valid costs more than a D1 read. */
export const MISS_CACHE_SECONDS = 30;
// 10,000 hashes of 64 characters: a couple of MB at most. A flood of random keys only pushes out
// the oldest misses, never the found keys (it still costs a D1 read per key).
const misses = new TtlCache<true>(10_000);
const LAST_USED_EVERY_MS = 3_600_000;

export interface LookupOptions {
  nowMs: number;
  cacheSeconds: number;
  /** runs work after the response (ExecutionContext.waitUntil) */
  waitUntil: (p: Promise<unknown>) => void;
}

/** The active key for this secret, or null when it is malformed, unknown or revoked. */
export async function findIngestKey(db: D1Database, secret: string, opts: LookupOptions): Promise<IngestKey | null> {
  if (!isIngestKeyFormat(secret)) return null;
  const hash = await hashIngestKey(secret);
  const cached = cache.get(hash, opts.nowMs);
  if (cached) return cached;
  if (misses.get(hash, opts.nowMs)) return null;
  const d = drizzle(db);
  const row = await d
    .select({ name: ingestKeys.name, services: ingestKeys.services, lastUsedAt: ingestKeys.lastUsedAt })
    .from(ingestKeys)
    .where(and(eq(ingestKeys.keyHash, hash), isNull(ingestKeys.revokedAt)))
    .get();
  if (!row) {
    // INGEST_KEY_CACHE_SECONDS=0 switches both caches off
    misses.set(hash, true, Math.min(MISS_CACHE_SECONDS, opts.cacheSeconds) * 1_000, opts.nowMs);
    return null;
  }
  const key: IngestKey = { name: row.name, services: row.services === null ? null : (JSON.parse(row.services) as string[]) };
  cache.set(hash, key, opts.cacheSeconds * 1_000, opts.nowMs);
  if (row.lastUsedAt === null || row.lastUsedAt < opts.nowMs - LAST_USED_EVERY_MS)
    opts.waitUntil(
      d
        .update(ingestKeys)
        .set({ lastUsedAt: opts.nowMs })
        .where(and(eq(ingestKeys.keyHash, hash), or(isNull(ingestKeys.lastUsedAt), lt(ingestKeys.lastUsedAt, opts.nowMs - LAST_USED_EVERY_MS))))
        .run()
        .catch((err: unknown) => console.error(`recording last use of ingest key ${key.name} failed: ${String(err)}`)),
    );
  return key;
}
