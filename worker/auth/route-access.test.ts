import { describe, expect, it } from 'vitest';
import { routeAccess } from './route-access';

describe('routeAccess', () => {
  it('needs an ingest key to post spans', () => {
    expect(routeAccess('POST', '/v1/traces')).toBe('ingest');
    expect(routeAccess('POST', '/api/v2/spans')).toBe('ingest');
  });
  it('needs read access for the API, including routes added later and other methods on ingest paths', () => {
    for (const p of ['/api/services', '/api/traces/abc', '/api/dependencies', '/api/whatever/new', '/api', '/v1/other'])
      expect(routeAccess('GET', p)).toBe('read');
    expect(routeAccess('GET', '/api/v2/spans')).toBe('read');
    expect(routeAccess('DELETE', '/api/admin/x')).toBe('read');
  });
  it('cannot be dodged with case, repeated or trailing slashes', () => {
    expect(routeAccess('GET', '//api//services/')).toBe('read');
    expect(routeAccess('GET', '/API/services')).toBe('read');
    expect(routeAccess('POST', '/v1/traces/')).toBe('ingest');
    expect(routeAccess('post', '/V1//Traces')).toBe('ingest');
  });
  it('leaves the health check, the session endpoint and the site open', () => {
    expect(routeAccess('GET', '/healthz')).toBe('open');
    expect(routeAccess('POST', '/api/session')).toBe('open');
    expect(routeAccess('GET', '/api/session/')).toBe('open');
    expect(routeAccess('GET', '/')).toBe('open');
    expect(routeAccess('GET', '/trace/abc')).toBe('open');
  });
});
