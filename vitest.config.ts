/**
 * Two projects: `unit` runs the pure core in plain Node; `workers` runs the Worker and the
 * Durable Object inside workerd with real local D1, R2, DO storage and alarms.
 */
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

const migrations = await readD1Migrations('./migrations');

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
      {
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
              },
            },
          }),
        ],
        test: {
          name: 'workers',
          include: ['test/**/*.test.ts'],
          exclude: ['test/browser/**', 'test/process/**'],
          setupFiles: ['./test/apply-migrations.ts'],
          testTimeout: 30_000,
        },
      },
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
