import { describe, expect, it } from 'vitest';
import { allowedOrigin, parseCorsOrigins } from './cors';

describe('CORS origins', () => {
  it('allows no origin by default', () => {
    expect(allowedOrigin(parseCorsOrigins(''), 'https://shop.example.com')).toBeNull();
  });
  it('allows every origin with *', () => {
    expect(allowedOrigin(parseCorsOrigins('*'), 'https://any.example')).toBe('*');
  });
  it('matches exact origins, ignoring case and a trailing slash in the config', () => {
    const o = parseCorsOrigins('https://Shop.example.com/, http://localhost:5173');
    expect(allowedOrigin(o, 'https://shop.example.com')).toBe('https://shop.example.com');
    expect(allowedOrigin(o, 'http://localhost:5173')).toBe('http://localhost:5173');
    expect(allowedOrigin(o, 'http://shop.example.com')).toBeNull();
    expect(allowedOrigin(o, 'https://shop.example.com.evil.test')).toBeNull();
    expect(allowedOrigin(o, null)).toBeNull();
  });
  it('matches one subdomain level of a wildcard, never the bare domain or a look-alike', () => {
    const o = parseCorsOrigins('https://*.example.com');
    expect(allowedOrigin(o, 'https://a.example.com')).toBe('https://a.example.com');
    expect(allowedOrigin(o, 'https://example.com')).toBeNull();
    expect(allowedOrigin(o, 'https://a.b.example.com')).toBeNull();
    expect(allowedOrigin(o, 'https://evilexample.com')).toBeNull();
    expect(allowedOrigin(o, 'http://a.example.com')).toBeNull();
  });
  it('refuses config that is not a list of origins', () => {
    expect(() => parseCorsOrigins('*, https://a.com')).toThrow(/cannot be combined/);
    expect(() => parseCorsOrigins('example.com')).toThrow(/not an origin/);
    expect(() => parseCorsOrigins('https://a.com/path')).toThrow(/not an origin/);
  });
});
