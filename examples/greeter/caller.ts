/**
 * A small caller: joins the mesh through any node and calls the greeter.
 *
 *   MESHRPC_CLUSTER_NODES=127.0.0.1:11999 npx tsx examples/greeter/caller.ts Max
 *   MESHRPC_TRANSPORT=nats://127.0.0.1:4222 npx tsx examples/greeter/caller.ts Max
 */
import { createMesh } from 'meshrpc';
import { startTelemetryFromEnv } from 'meshrpc/observability';
import { greeterClient } from './greeter.mesh.js';

const telemetry = await startTelemetryFromEnv({ serviceName: 'greeter-caller' }); // traces when OTEL_* ask
const mesh = await createMesh({ name: 'caller' });
await mesh.listen();
await mesh.waitFor(['greeter'], 10_000);

const greeter = greeterClient(mesh);
console.log(await greeter.greet(process.argv[2] ?? 'Max'));
console.log(
  await greeter.sendPostcard({ address: '1 Mesh Road', recipient: 'World', message: 'Hello from meshrpc' }),
);
await mesh.close();
await telemetry?.shutdown();
