import { beforeAll, describe, expect, it } from 'vitest';
import { AccessJwtError, accessCertsUrl, verifyAccessJwt, type AccessSettings } from './access-jwt';
import { AccessKeysUnavailableError, JwksCache, importJwks } from './jwks';

const settings: AccessSettings = { teamDomain: 'myteam.cloudflareaccess.com', aud: 'aud-tag-123' };
const NOW = 1_800_000_000;

const enc = (v: unknown) => b64url(new TextEncoder().encode(JSON.stringify(v)));
function b64url(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

let pair: CryptoKeyPair;
let other: CryptoKeyPair;
let jwks: { keys: JsonWebKey[] };

async function rsaPair(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    true,
    ['sign', 'verify'],
  ) as Promise<CryptoKeyPair>;
}

async function sign(header: Record<string, unknown>, claims: Record<string, unknown>, key = pair.privateKey): Promise<string> {
  const input = `${enc(header)}.${enc(claims)}`;
  const sig = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', key, new TextEncoder().encode(input));
  return `${input}.${b64url(new Uint8Array(sig))}`;
}

const goodClaims = () => ({ iss: 'https://myteam.cloudflareaccess.com', aud: ['aud-tag-123'], exp: NOW + 600, nbf: NOW - 5, iat: NOW - 5, email: 'a@b.c' });
const header = { alg: 'RS256', kid: 'k1', typ: 'JWT' };

beforeAll(async () => {
  pair = await rsaPair();
  other = await rsaPair();
  const pub = (await crypto.subtle.exportKey('jwk', pair.publicKey)) as JsonWebKey;
  jwks = { keys: [{ ...pub, kid: 'k1', alg: 'RS256', use: 'sig' } as JsonWebKey, { kty: 'EC', kid: 'ec', crv: 'P-256', x: 'x', y: 'y' } as JsonWebKey] };
});

const resolver = async () => {
  const keys = await importJwks(jwks);
  return async (kid: string) => keys.get(kid) ?? null;
};

describe('verifyAccessJwt', () => {
  it('accepts a token signed by a team key for this audience and returns its claims', async () => {
    const claims = await verifyAccessJwt(await sign(header, goodClaims()), settings, await resolver(), NOW);
    expect(claims.email).toBe('a@b.c');
  });
  it('accepts a string audience', async () => {
    const token = await sign(header, { ...goodClaims(), aud: 'aud-tag-123' });
    await expect(verifyAccessJwt(token, settings, await resolver(), NOW)).resolves.toBeTruthy();
  });
  const refusals: [string, () => Promise<string>, RegExp][] = [
    ['another audience', () => sign(header, { ...goodClaims(), aud: ['other'] }), /audience/],
    ['another issuer', () => sign(header, { ...goodClaims(), iss: 'https://evil.cloudflareaccess.com' }), /issuer/],
    ['an expired token', () => sign(header, { ...goodClaims(), exp: NOW - 61 }), /expired/],
    ['a token not valid yet', () => sign(header, { ...goodClaims(), nbf: NOW + 120 }), /not valid yet/],
    ['a token without exp', () => sign(header, { ...goodClaims(), exp: undefined }), /no exp/],
    ['alg none', async () => `${enc({ alg: 'none', kid: 'k1' })}.${enc(goodClaims())}.`, /not RS256/],
    ['alg HS256', () => sign({ ...header, alg: 'HS256' }, goodClaims()), /not RS256/],
    ['an unknown kid', () => sign({ ...header, kid: 'k9' }, goodClaims()), /not one of the team's keys/],
    ['a signature by another key', () => sign(header, goodClaims(), other.privateKey), /signature is invalid/],
    [
      'a payload changed after signing',
      async () => {
        const [h, , s] = (await sign(header, goodClaims())).split('.');
        return `${h}.${enc({ ...goodClaims(), email: 'admin@b.c' })}.${s}`;
      },
      /signature is invalid/,
    ],
    ['garbage', async () => 'not-a-jwt', /not a JWT/],
    ['a non-JSON header', async () => `${b64url(new TextEncoder().encode('{'))}.e30.AA`, /header is not JSON/],
    ['a non-base64 signature', async () => `${enc(header)}.${enc(goodClaims())}.***`, /not base64url/],
  ];
  for (const [what, make, message] of refusals)
    it(`refuses ${what}`, async () => {
      const err = await verifyAccessJwt(await make(), settings, await resolver(), NOW).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AccessJwtError);
      expect((err as Error).message).toMatch(message);
    });
});

describe('JwksCache', () => {
  const url = accessCertsUrl(settings);

  it('fetches the team certs once and serves keys from the cache', async () => {
    const fetched: string[] = [];
    const cache = new JwksCache(async (u) => (fetched.push(u), jwks));
    expect(await cache.key(url, 'k1', 0)).toBeTruthy();
    expect(await cache.key(url, 'k1', 1_000)).toBeTruthy();
    expect(fetched).toEqual(['https://myteam.cloudflareaccess.com/cdn-cgi/access/certs']);
  });
  it('shares one fetch between concurrent requests', async () => {
    let calls = 0;
    const cache = new JwksCache(async () => (calls++, jwks));
    await Promise.all([cache.key(url, 'k1', 0), cache.key(url, 'k1', 0), cache.key(url, 'k1', 0)]);
    expect(calls).toBe(1);
  });
  it('refetches for an unknown kid (a rotated key) at most once a minute', async () => {
    let calls = 0;
    const cache = new JwksCache(async () => (calls++, jwks));
    await cache.key(url, 'k1', 0);
    expect(await cache.key(url, 'rotated', 1_000)).toBeNull();
    expect(calls).toBe(1);
    expect(await cache.key(url, 'rotated', 60_000)).toBeNull();
    expect(await cache.key(url, 'rotated', 61_000)).toBeNull();
    expect(calls).toBe(2);
  });
  it('refetches after an hour', async () => {
    let calls = 0;
    const cache = new JwksCache(async () => (calls++, jwks));
    await cache.key(url, 'k1', 0);
    await cache.key(url, 'k1', 3_600_000);
    expect(calls).toBe(2);
  });
  it('keeps using the cached keys when a refresh fails', async () => {
    let fail = false;
    const cache = new JwksCache(async () => {
      if (fail) throw new Error('certs endpoint down');
      return jwks;
    });
    await cache.key(url, 'k1', 0);
    fail = true;
    expect(await cache.key(url, 'k1', 3_600_000)).toBeTruthy();
  });
  it('says the keys are unavailable when it never got them, without fetching on every request', async () => {
    let calls = 0;
    const cache = new JwksCache(async () => {
      calls++;
      throw new Error('down');
    });
    await expect(cache.key(url, 'k1', 0)).rejects.toBeInstanceOf(AccessKeysUnavailableError);
    await expect(cache.key(url, 'k1', 10_000)).rejects.toBeInstanceOf(AccessKeysUnavailableError);
    expect(calls).toBe(1);
  });
  it('refuses a document without keys', async () => {
    await expect(importJwks({ nope: 1 })).rejects.toThrow(/no keys array/);
  });
});
