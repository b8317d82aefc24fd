import { defineConfig } from 'vitest/config';

// Two cores: test files run two at a time, each in its own process with its
// own PostgreSQL database and Redis key prefix.
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname.replace(/\/$/, ''),
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ['test/support/global-setup.ts'],
  },
});
