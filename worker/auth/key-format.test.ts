import { describe, expect, it } from 'vitest';
import { checkKeyName, generateIngestKey, hashIngestKey, isIngestKeyFormat, keyHint, parseServiceList } from './key-format';

describe('ingest key format', () => {
  it('generates distinct keys of the documented shape', () => {
    const keys = Array.from({ length: 200 }, generateIngestKey);
    expect(new Set(keys).size).toBe(200);
    for (const k of keys) {
      expect(k).toMatch(/^etk_[A-Za-z0-9_-]{43}$/);
      expect(isIngestKeyFormat(k)).toBe(true);
    }
  });

  it('refuses text that is not a key before any lookup', () => {
    for (const bad of ['', 'etk_', 'etk_short', `etk_${'a'.repeat(44)}`, `xyz_${'a'.repeat(43)}`, `etk_${'a'.repeat(42)}=`, `etk_${'a'.repeat(42)}/`])
      expect(isIngestKeyFormat(bad)).toBe(false);
  });

  it('hashes with SHA-256, lower-case hex', async () => {
    expect(await hashIngestKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('shows only a hint of a key', () => {
    expect(keyHint('etk_ABCDEFGHIJ')).toBe('etk_ABCD…');
  });

  it('accepts plain key names and refuses ones that would need quoting', () => {
    expect(checkKeyName('checkout-prod.v2')).toBe('checkout-prod.v2');
    for (const bad of ['', '-x', "a'b", 'a b', 'a;b', 'x'.repeat(65), 'ü'])
      expect(() => checkKeyName(bad)).toThrow(/key name/);
  });

  it('parses a service scope into a sorted set', () => {
    expect(parseServiceList('b, a,b')).toEqual(['a', 'b']);
    expect(parseServiceList('frontend web')).toEqual(['frontend web']);
    expect(() => parseServiceList('a,,b')).toThrow(/service name/);
    expect(() => parseServiceList('a,b\tc')).toThrow(/service name/);
  });
});
