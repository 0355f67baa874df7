import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config';
import { readAuthConfig } from './auth-config';

describe('readAuthConfig', () => {
  it('requires auth when the var is absent, with the documented defaults', () => {
    const c = readAuthConfig({});
    expect(c.authRequired).toBe(true);
    expect(c.readToken).toBeNull();
    expect(c.access).toBeNull();
    expect(c.corsOrigins).toEqual({ any: false, exact: new Set(), suffixes: [] });
    expect(c.rateLimit).toEqual({ requests: 60_000, periodSeconds: 60 });
    expect(c.keyCacheSeconds).toBe(60);
  });
  it('reads booleans the way people write them', () => {
    expect(readAuthConfig({ AUTH_REQUIRED: 'false' }).authRequired).toBe(false);
    expect(readAuthConfig({ AUTH_REQUIRED: 'TRUE' }).authRequired).toBe(true);
    expect(readAuthConfig({ AUTH_REQUIRED: '0' }).authRequired).toBe(false);
    expect(() => readAuthConfig({ AUTH_REQUIRED: 'maybe' })).toThrow(ConfigError);
  });
  it('refuses a short read token', () => {
    expect(() => readAuthConfig({ READ_TOKEN: 'short' })).toThrow(/READ_TOKEN: must be at least 16/);
    expect(readAuthConfig({ READ_TOKEN: ' 0123456789abcdef ' }).readToken).toBe('0123456789abcdef');
  });
  it('needs both Access vars, and normalises the team domain', () => {
    expect(readAuthConfig({ ACCESS_TEAM_DOMAIN: 'https://MyTeam.cloudflareaccess.com/', ACCESS_AUD: 'aud1' }).access).toEqual({
      teamDomain: 'myteam.cloudflareaccess.com',
      aud: 'aud1',
    });
    expect(() => readAuthConfig({ ACCESS_TEAM_DOMAIN: 'x.cloudflareaccess.com' })).toThrow(/ACCESS_AUD/);
    expect(() => readAuthConfig({ ACCESS_AUD: 'a' })).toThrow(/ACCESS_TEAM_DOMAIN/);
    expect(() => readAuthConfig({ ACCESS_TEAM_DOMAIN: 'evil.com/path?', ACCESS_AUD: 'a' })).toThrow(/host name/);
  });
  it('names the var of a wrong CORS or rate-limit value', () => {
    expect(() => readAuthConfig({ CORS_ORIGINS: 'nope' })).toThrow(/^CORS_ORIGINS: /);
    expect(() => readAuthConfig({ RATE_LIMIT_REQUESTS: '-1' })).toThrow(/^RATE_LIMIT_REQUESTS: /);
    expect(() => readAuthConfig({ RATE_LIMIT_PERIOD_SECONDS: '1.5' })).toThrow(/^RATE_LIMIT_PERIOD_SECONDS: /);
    expect(readAuthConfig({ RATE_LIMIT_REQUESTS: '0' }).rateLimit.requests).toBe(0);
  });
});
