import { defineConfig } from 'vitest/config';

// Integration tests start real processes on loopback; on a 2-core machine running
// every file at once only makes them slow and flaky, so at most two run together.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
