import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Integration tests start real processes on loopback; on a 2-core machine running
// every file at once only makes them slow and flaky, so at most two run together.
export default defineConfig({
  resolve: {
    // Examples and generated code import 'meshrpc' as a user would; inside this repo that is src/
    // (the same map as tsconfig.json's paths, which tsx and tsc read).
    alias: Object.entries({
      meshrpc: 'src/index.ts',
      'meshrpc/runtime': 'src/runtime/index.ts',
      'meshrpc/transport': 'src/pipeline/index.ts',
      'meshrpc/gateway': 'src/gateway/index.ts',
      'meshrpc/grpc': 'src/transports/grpc/index.ts',
      'meshrpc/nats': 'src/transports/nats/index.ts',
      'meshrpc/amqp': 'src/transports/amqp/index.ts',
      'meshrpc/kafka': 'src/transports/kafka/index.ts',
      'meshrpc/observability': 'src/observability/index.ts',
      'meshrpc/codegen': 'src/codegen/index.ts',
    }).map(([name, file]) => ({ find: new RegExp(`^${name}$`), replacement: fileURLToPath(new URL(`./${file}`, import.meta.url)) })),
  },
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
