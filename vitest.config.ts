import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Integration tests start real processes on loopback; on a 2-core machine running
// every file at once only makes them slow and flaky, so at most two run together.
export default defineConfig({
  resolve: {
    // Examples and generated code import 'meshrpc' as a user would; inside this repo that is src/.
    alias: { meshrpc: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
  },
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
