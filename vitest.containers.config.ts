import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// `npm run test:containers`: the compose stories on podman (test/containers/*.container-test.ts),
// minutes long and one at a time; not part of `npm test`. Same module aliases as the main config.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['test/containers/**/*.container-test.ts'],
    globalSetup: ['test/containers/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 600_000,
  },
});
