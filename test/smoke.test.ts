import { SELF, env } from 'cloudflare:test';
import { expect, it } from 'vitest';

it('healthz answers 200', async () => {
  const res = await SELF.fetch('http://x/healthz');
  expect(res.status).toBe(200);
  const stub = env.TRACE_ASSEMBLER.get(env.TRACE_ASSEMBLER.idFromName('a'));
  expect(await stub.ping()).toBe('pong');
  const r = await env.DB.prepare('select count(*) as n from traces').first<{ n: number }>();
  expect(r?.n).toBe(0);
});
