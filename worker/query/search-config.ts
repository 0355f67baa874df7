/**
 * Which attribute keys the search index holds: the defaults (the keys engineers filter on most)
 * plus the operator's `INDEXED_TAG_KEYS`, a comma list of span or resource attribute keys. Every
 * key costs one index row per distinct value per trace, so the set is explicit, not "everything".
 */
import { ConfigError } from '../config';
import { SEP } from './search-terms';

export const DEFAULT_INDEXED_TAG_KEYS = [
  'http.request.method',
  'http.response.status_code',
  'http.route',
  'url.path',
  'error',
  'db.system',
  'rpc.method',
  'peer.service',
] as const;

export interface SearchConfig {
  /** attribute keys whose values are indexed, sorted */
  indexedTagKeys: readonly string[];
}

const MAX_KEY_LENGTH = 256;

/** Parses `INDEXED_TAG_KEYS` (comma separated, blanks ignored) and adds the defaults. */
export function parseIndexedTagKeys(raw: unknown): string[] {
  const keys = new Set<string>(DEFAULT_INDEXED_TAG_KEYS);
  if (raw !== undefined && raw !== null) {
    if (typeof raw !== 'string') throw new ConfigError('INDEXED_TAG_KEYS', `must be a comma-separated list of keys, got ${JSON.stringify(raw)}`);
    for (const part of raw.split(',')) {
      const key = part.trim();
      if (key === '') continue;
      if (key.length > MAX_KEY_LENGTH) throw new ConfigError('INDEXED_TAG_KEYS', `key "${key.slice(0, 40)}..." is longer than ${MAX_KEY_LENGTH} characters`);
      if (key.includes(SEP)) throw new ConfigError('INDEXED_TAG_KEYS', `key ${JSON.stringify(key)} contains a control character`);
      keys.add(key);
    }
  }
  return [...keys].sort();
}

let cache: { raw: unknown; config: SearchConfig } | null = null;

/** The search configuration from the Worker's vars (parsed once per distinct value). */
export function searchConfig(env: { INDEXED_TAG_KEYS?: unknown }): SearchConfig {
  const raw = env.INDEXED_TAG_KEYS;
  if (cache === null || cache.raw !== raw) cache = { raw, config: { indexedTagKeys: parseIndexedTagKeys(raw) } };
  return cache.config;
}
