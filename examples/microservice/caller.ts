/**
 * Calls the microservice example over one transport: mesh | grpc | grpc-proto | nats | hello.
 *
 *   npx tsx examples/microservice/caller.ts nats Max
 */
import { fileURLToPath } from 'node:url';
import { createMesh, type Caller } from 'meshrpc';
import { GrpcClient, GrpcProtoClient } from 'meshrpc/grpc';
import { NatsClient } from 'meshrpc/nats';
import { greeterClient } from '../greeter/greeter.mesh.js';

const [how = 'mesh', name = 'Max'] = process.argv.slice(2);
const grpcAddr = process.env.GRPC_ADDR ?? '127.0.0.1:50051';
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

let caller: Caller & { close(): unknown };
switch (how) {
  case 'mesh': {
    const mesh = await createMesh({ name: 'caller', nodes: process.env.MESH_ADDR ?? '127.0.0.1:11999' });
    await mesh.listen();
    await mesh.waitFor('greeter', 10_000);
    caller = mesh;
    break;
  }
  case 'grpc':
  case 'hello':
    caller = new GrpcClient(grpcAddr);
    break;
  case 'grpc-proto':
    caller = new GrpcProtoClient(grpcAddr, fileURLToPath(new URL('../greeter/greeter.proto', import.meta.url)));
    break;
  case 'nats':
    caller = await NatsClient.connect({ servers: natsUrl, prefix: process.env.NATS_PREFIX });
    break;
  default:
    throw new Error(`unknown transport "${how}" (mesh | grpc | grpc-proto | nats | hello)`);
}

if (how === 'hello') {
  // The byte endpoint over the generic gRPC contract: namespace "greeter", bytes in, bytes out.
  const out = await caller.call({ namespace: 'greeter', service: 'hello', method: '' }, Buffer.from(name));
  console.log(Buffer.from(out).toString());
} else {
  console.log(await greeterClient(caller).greet(name));
}
await caller.close();
