/**
 * examples/microservice end to end: one process serving the greeter over the mesh, gRPC and
 * NATS and the byte-level hello; the example caller reaches it over each; SIGTERM stops it
 * gracefully (exit 0).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { killAll, repoRoot, startTs } from '../helpers/procs.js';
import { NATS_URL, broker } from '../helpers/brokers.js';
import { freePort } from '../fixtures/transports/nats-server.js';

const natsUp = await broker('NATS', NATS_URL);
const run = promisify(execFile);

describe.skipIf(!natsUp)('examples/microservice', () => {
  afterAll(killAll);

  it('serves the greeter over mesh, gRPC and NATS at once, and stops on SIGTERM', async () => {
    const env = { MESH_ADDR: `127.0.0.1:${await freePort()}`, GRPC_ADDR: '127.0.0.1:0', NATS_URL, NATS_PREFIX: `ex${randomUUID().slice(0, 8)}`, MESHRPC_TRANSPORT: '' };
    const main = await startTs('examples/microservice/main.ts', env, 'READY', 20_000);
    const grpcEnv = { ...env, GRPC_ADDR: `127.0.0.1:${main.ready[0]}` };
    const call = async (how: string) =>
      (await run(process.execPath, ['--import', 'tsx', 'examples/microservice/caller.ts', how, 'Max'], { cwd: repoRoot, env: { ...process.env, ...grpcEnv }, timeout: 20_000 })).stdout.trim();
    const results = await Promise.all(['mesh', 'grpc', 'grpc-proto', 'nats', 'hello'].map(call));
    expect(results).toEqual(['Hello, Max', 'Hello, Max', 'Hello, Max', 'Hello, Max', 'Hello Max']);
    expect(await main.stop()).toBe(0);
  }, 60_000);
});
