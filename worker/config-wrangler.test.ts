/**
 * What a deploy ships: wrangler.toml read by wrangler's own config reader (as `wrangler deploy`
 * reads it), its vars run through the Worker's config readers. `npm start` and the tests override
 * these vars, so nothing else notices when a safety default in the file changes.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { experimental_readRawConfig } from 'wrangler';
import { defaultAuthConfig, readAuthConfig } from './auth/auth-config';
import { defaultRetention, readRetentionConfig } from './retention-plan';

const path = fileURLToPath(new URL('../wrangler.toml', import.meta.url));
const text = readFileSync(path, 'utf8');
const { rawConfig } = experimental_readRawConfig({ config: path });

// Vars are not inherited by [env.NAME] sections: an environment without vars of its own deploys
// with none, and then the code's defaults apply. Each deployable configuration is checked.
const deployments: [string, Record<string, unknown>][] = [
  ['the top level', { ...rawConfig.vars }],
  ...Object.entries((rawConfig.env ?? {}) as Record<string, { vars?: Record<string, unknown> }>).map(
    ([name, env]): [string, Record<string, unknown>] => [`[env.${name}]`, { ...env.vars }],
  ),
];

it('ships AUTH_REQUIRED = "true"', () => {
  expect(text).toMatch(/^AUTH_REQUIRED = "true"$/m);
  expect(rawConfig.vars?.AUTH_REQUIRED).toBe('true');
});

describe.each(deployments)('%s', (_, vars) => {
  const auth = readAuthConfig(vars);

  it('requires an ingest key and a read credential', () => {
    expect(auth.authRequired).toBe(true);
  });

  it('holds no secret: READ_TOKEN is set with `wrangler secret put`', () => {
    expect(Object.keys(vars).filter((name) => /TOKEN|SECRET|PASSWORD/i.test(name))).toEqual([]);
  });

  it('lets no browser origin post spans until CORS_ORIGINS names one', () => {
    expect(auth.corsOrigins).toEqual({ any: false, exact: new Set(), suffixes: [] });
  });

  it('limits each ingest key, and stops trusting a revoked key within a minute', () => {
    expect(auth.rateLimit).toEqual({ requests: defaultAuthConfig.rateLimitRequests, periodSeconds: defaultAuthConfig.rateLimitPeriodSeconds });
    expect(auth.keyCacheSeconds).toBeGreaterThan(0);
    expect(auth.keyCacheSeconds).toBeLessThanOrEqual(60);
  });

  it('deletes traces after RETENTION_DAYS', () => {
    expect(readRetentionConfig(vars).retentionDays).toBe(defaultRetention.retentionDays);
  });
});

it('runs the retention cron', () => {
  expect(rawConfig.triggers?.crons?.length).toBeGreaterThan(0);
});

it('runs the Worker, and its access checks, before any static asset on the API and ingest paths', () => {
  // with single-page-application fallback, a path not listed here could be answered by the site
  expect(rawConfig.assets?.run_worker_first).toEqual(expect.arrayContaining(['/api/*', '/v1/*']));
});
