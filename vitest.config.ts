/**
 * Projects: `unit` runs the pure core in plain Node; the `workers*` projects run the Worker and the
 * Durable Objects inside workerd with real local D1, R2, DO storage and alarms (one project per set
 * of vars the tests need: sampling modes are configuration); `process` drives `npm start` as a real
 * process (real exporters over HTTP, SIGKILL and restart).
 */
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig, type TestProjectConfiguration } from 'vitest/config';

const migrations = await readD1Migrations('./migrations');

/** Files that need vars of their own run in their own project, with those vars. */
const SAMPLING_RULES = JSON.stringify([
  { name: 'vip', attributes: { 'customer.tier': 'gold' }, rate: 1 },
  { name: 'payments', service: 'payments', rate: 0.5 },
  { name: 'checkout-submit', operation: 'POST /checkout', rate: 1 },
  { name: 'queue-consumers', kind: 'consumer', rate: 1 },
]);
const TAIL_POLICIES = JSON.stringify([
  { type: 'error', name: 'errors' },
  { type: 'latency', name: 'slow', thresholdMs: 500 },
  { type: 'attribute', name: 'beta', key: 'feature.flag', values: ['beta'] },
  { type: 'spanCount', name: 'big', min: 5 },
]);
const varProjects: { name: string; include: string[]; vars: Record<string, string> }[] = [
  { name: 'workers-rules', include: ['test/sampling/rules.test.ts'], vars: { SAMPLE_RATE: '0', SAMPLING_RULES } },
  { name: 'workers-tail', include: ['test/sampling/tail.test.ts'], vars: { SAMPLE_RATE: '0.25', TAIL_PRESAMPLE_RATE: '1', TAIL_POLICIES } },
];

function workersProject(name: string, include: string[], exclude: string[], vars: Record<string, string>): TestProjectConfiguration {
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: './wrangler.toml' },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            SAMPLE_RATE: '1',
            // Flush as soon as a trace is quiet and forget 2 s after: tests poll the API.
            TRACE_IDLE_SECONDS: '0',
            LATE_SPAN_WINDOW_SECONDS: '2',
            // reads and ingest open: the auth tests turn it on per request
            AUTH_REQUIRED: 'false',
            // an operator's own searchable key, on top of the defaults (test/indexed-keys.test.ts)
            INDEXED_TAG_KEYS: 'tenant.id',
            ...vars,
          },
        },
      }),
    ],
    test: { name, include, exclude, setupFiles: ['./test/apply-migrations.ts'], testTimeout: 30_000 },
  };
}

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          environment: 'node',
          include: ['worker/**/*.test.ts', 'durable/**/*.test.ts', 'web/src/**/*.test.ts'],
        },
      },
      workersProject('workers', ['test/**/*.test.ts'], ['test/browser/**', 'test/process/**', ...varProjects.flatMap((p) => p.include)], {}),
      ...varProjects.map((p) => workersProject(p.name, p.include, [], p.vars)),
      {
        test: {
          name: 'process',
          environment: 'node',
          include: ['test/process/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
