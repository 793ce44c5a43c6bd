import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // A project may have no files yet (test/faults/); that is not a failure.
    passWithNoTests: true,
    // Stopping test containers (global setup teardown) can take longer than the default 10 s.
    teardownTimeout: 60_000,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/faults/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          // One file at a time: they share one PostgreSQL and one broker on 2 cores, and fault tests stop them.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
