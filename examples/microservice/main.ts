/**
 * One process, one set of endpoints, three transports: the greeter served over the mesh
 * (MESHRPC_TRANSPORT picks the built-in mesh or NATS-as-mesh), over gRPC (the generic
 * MessageService contract and greeter.proto) and over NATS request/reply; plus the seed's
 * byte-level "hello" endpoint in a "greeter" namespace. SIGTERM/SIGINT stop it gracefully.
 *
 *   npx tsx examples/microservice/main.ts
 *   npx tsx examples/microservice/caller.ts grpc Max     (or mesh | grpc-proto | nats | hello)
 *
 * Settings: MESH_ADDR (default 127.0.0.1:11999), GRPC_ADDR (127.0.0.1:50051), NATS_URL.
 */
import { fileURLToPath } from 'node:url';
import { createMesh, Microservice, MeshServer } from 'meshrpc';
import { startTelemetryFromEnv } from 'meshrpc/observability';
import { GrpcServer } from 'meshrpc/grpc';
import { NatsServer } from 'meshrpc/nats';
import { greeterHandler } from '../greeter/greeter.mesh.js';
import { Greeter } from '../greeter/service.js';

const proto = fileURLToPath(new URL('../greeter/greeter.proto', import.meta.url));
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

// Traces when OTEL_* ask, started before the node and the servers so they trace their calls.
await startTelemetryFromEnv({ serviceName: 'greeter' });
const mesh = await createMesh({ name: 'greeter' });
const grpc = new GrpcServer({ address: process.env.GRPC_ADDR ?? '127.0.0.1:50051', protos: [proto] });

const service = new Microservice({ name: 'greeter', log: (level, msg) => console.error(`[${level}] ${msg}`) })
  .registerServer('mesh', new MeshServer(mesh, process.env.MESH_ADDR ?? '127.0.0.1:11999'))
  .registerServer('grpc', grpc)
  .registerServer('nats', new NatsServer({ servers: natsUrl, prefix: process.env.NATS_PREFIX }));

// The typed greeter, on every server in one call.
service.publish(greeterHandler(new Greeter(process.env.GREETER_ID)));

// The seed's byte endpoint: Handle(ctx, bytes) -> bytes, service "hello" in namespace "greeter".
service.registerNamespace('greeter');
service.registerService('greeter', 'hello', (_ctx, request) => Buffer.from(`Hello ${Buffer.from(request).toString()}`));

await service.start();
service.handleSignals();
console.log(`READY ${grpc.port}`);
