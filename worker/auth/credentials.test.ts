import { describe, expect, it } from 'vitest';
import { ingestCredential, readCredential, secretsEqual } from './credentials';

const h = (init: Record<string, string>) => new Headers(init);

describe('ingest credentials', () => {
  it('takes the key from Authorization: Bearer, whatever the scheme case', () => {
    expect(ingestCredential(h({ authorization: 'Bearer etk_abc' }))).toBe('etk_abc');
    expect(ingestCredential(h({ authorization: 'bearer   etk_abc ' }))).toBe('etk_abc');
  });
  it('takes the key from x-api-key when there is no bearer', () => {
    expect(ingestCredential(h({ 'x-api-key': 'etk_xyz' }))).toBe('etk_xyz');
    expect(ingestCredential(h({ authorization: 'Basic Zm9vOmJhcg==', 'x-api-key': 'etk_xyz' }))).toBe('etk_xyz');
  });
  it('finds nothing in an empty or schemeless header', () => {
    expect(ingestCredential(h({}))).toBeNull();
    expect(ingestCredential(h({ authorization: 'etk_abc' }))).toBeNull();
    expect(ingestCredential(h({ authorization: 'Bearer ' }))).toBeNull();
  });
});

describe('read credentials', () => {
  it('accepts a bearer token or the password of Basic auth', () => {
    expect(readCredential(h({ authorization: 'Bearer tok' }))).toBe('tok');
    expect(readCredential(h({ authorization: `Basic ${btoa('grafana:s3cret:with:colons')}` }))).toBe('s3cret:with:colons');
  });
  it('ignores malformed Basic auth', () => {
    expect(readCredential(h({ authorization: 'Basic ***' }))).toBeNull();
    expect(readCredential(h({ authorization: `Basic ${btoa('nocolon')}` }))).toBeNull();
    expect(readCredential(h({ authorization: `Basic ${btoa('user:')}` }))).toBeNull();
    expect(readCredential(h({ authorization: 'Digest abc' }))).toBeNull();
  });
});

describe('secretsEqual', () => {
  it('is true only for identical secrets', async () => {
    expect(await secretsEqual('a-long-read-token', 'a-long-read-token')).toBe(true);
    expect(await secretsEqual('a-long-read-token', 'a-long-read-tokeN')).toBe(false);
    expect(await secretsEqual('', 'x')).toBe(false);
    expect(await secretsEqual('a-long-read-token-and-more', 'a-long-read-token')).toBe(false);
  });
});
