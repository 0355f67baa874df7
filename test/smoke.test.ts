/** The Worker loads in workerd, answers its health check, and the test D1 has the migrated schema. */
import { SELF, env } from 'cloudflare:test';
import { expect, it } from 'vitest';

it('healthz answers 200 and the migrations are applied', async () => {
  const res = await SELF.fetch('http://x/healthz');
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ ok: true });
  const r = await env.DB.prepare('select count(*) as n from traces').first<{ n: number }>();
  expect(r?.n).toBe(0);
});
