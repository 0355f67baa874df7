import { describe, expect, it } from 'vitest';
import { buildRegistry } from './registry';

describe('registry', () => {
  const now = 10_000_000;
  it('groups instances under their service, live first, gone after the TTL', () => {
    const reg = buildRegistry(
      [{ name: 'cart', firstSeenMs: 100, lastSeenMs: now - 1000 }],
      [
        { service: 'cart', id: 'b', host: 'h2', sdk: 'sdk', firstSeenMs: 100, lastSeenMs: now - 400_000 },
        { service: 'cart', id: 'a', host: 'h1', sdk: 'sdk', firstSeenMs: 200, lastSeenMs: now - 1000 },
        { service: 'api', id: 'x', host: '', sdk: '', firstSeenMs: now - 5, lastSeenMs: now - 5 },
      ],
      now,
      300,
    );
    expect(reg.map((s) => s.service)).toEqual(['api', 'cart']);
    expect(reg[1]!.instances.map((i) => [i.id, i.status])).toEqual([
      ['a', 'live'],
      ['b', 'gone'],
    ]);
    // a service not yet in D1 (only pending) still shows, with its instance's times
    expect(reg[0]).toMatchObject({ service: 'api', firstSeen: now - 5, lastSeen: now - 5 });
  });
});
