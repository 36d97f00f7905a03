/**
 * Interoperability with a gRPC client nobody here wrote: Debian's python3-grpcio, with stubs from
 * Debian's protoc and gRPC Python plugin (installed by .ci/run: `apt-get install -y python3-grpcio
 * protobuf-compiler protobuf-compiler-grpc`), calls the generic contract and the greeter under the
 * proto `meshrpc expose --proto` generated. Without those packages the test skips with a printed reason, unless
 * MESHRPC_REQUIRE_BROKERS=1 (CI), where it fails.
 */
import { spawnSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler, defineService } from 'meshrpc';
import { GrpcServer } from '../../src/transports/index.js';
import { Microservice } from '../../src/microservice/index.js';
import { greeterHandler } from '../../examples/greeter/greeter.mesh.js';
import { Greeter } from '../../examples/greeter/service.js';
import { requireBrokers } from '../helpers/brokers.js';

// Debian's interpreter: a pyenv or venv python3 earlier on PATH would not see the apt packages.
const PYTHON = process.env.MESHRPC_PYTHON ?? '/usr/bin/python3';
const PROTO_DIR = fileURLToPath(new URL('../fixtures/transports/', import.meta.url));
// The greeter's proto as `meshrpc expose --proto` generated it.
const GREETER_DIR = fileURLToPath(new URL('../../examples/greeter/', import.meta.url));
const SCRIPT = fileURLToPath(new URL('./grpc_client.py', import.meta.url));

const probe = spawnSync(PYTHON, ['-c', 'import grpc, google.protobuf'], { encoding: 'utf8' });
const protoc = spawnSync('sh', ['-c', 'command -v protoc && test -x /usr/bin/grpc_python_plugin'], { encoding: 'utf8' });
const pythonReady = probe.status === 0 && protoc.status === 0;
if (!pythonReady) {
  const reason = `${PYTHON} cannot import grpc, or protoc / grpc_python_plugin is missing (apt-get install -y python3-grpcio protobuf-compiler protobuf-compiler-grpc)`;
  if (requireBrokers()) throw new Error(`${reason} and MESHRPC_REQUIRE_BROKERS=1: failing instead of skipping`);
  console.warn(`[skipped] Python gRPC interop: ${reason}`);
}

describe.skipIf(!pythonReady)('python3-grpcio calls meshrpc', () => {
  let ms: Microservice;
  let server: GrpcServer;
  beforeAll(async () => {
    server = new GrpcServer({ address: '127.0.0.1:0', protos: [`${GREETER_DIR}greeter.proto`] });
    ms = new Microservice({ stopTimeoutMs: 1000 }).registerServer('grpc', server);
    ms.publish(greeterHandler(new Greeter()));
    ms.publish(createHandler(defineService<{ sleep(ms: number): Promise<number> }>('slow', { sleep: ['ms'] }), {
      sleep: (ms: number) => new Promise<number>((r) => setTimeout(() => r(ms), ms)),
    }));
    ms.registerNamespace('greeter').registerService('greeter', 'hello', (_ctx, bytes) => Buffer.from(`Hello ${Buffer.from(bytes)}`));
    await ms.start();
  });
  afterAll(() => ms?.stop());

  it('calls the generic contract and the generated greeter service', async () => {
    const child = spawn(PYTHON, [SCRIPT, `127.0.0.1:${server.port}`, PROTO_DIR, GREETER_DIR], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(code, err).toBe(0);
    expect(JSON.parse(out)).toEqual({
      hello: 'Hello Max',
      generic_greet: 'Hello, Py',
      greet: 'Hello, Python',
      postcard: { address: '1 Mesh Road', recipient: 'World', message: 'hi' },
      not_found: 'NOT_FOUND',
      deadline: 'DEADLINE_EXCEEDED',
    });
  });
});
