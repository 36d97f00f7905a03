/**
 * A greeter instance: joins the mesh from the environment and serves the greeter. createMesh
 * picks the engine: the built-in mesh, or NATS when MESHRPC_TRANSPORT=nats://host:port.
 *
 *   MESHRPC_LISTEN_ADDR=127.0.0.1:11999 npx tsx examples/greeter/main.ts            # first node (seed)
 *   MESHRPC_LISTEN_ADDR=127.0.0.1:12000 MESHRPC_CLUSTER_NODES=127.0.0.1:11999 npx tsx examples/greeter/main.ts
 *   MESHRPC_TRANSPORT=nats://127.0.0.1:4222 npx tsx examples/greeter/main.ts        # on NATS
 *
 * GREETER_ID, when set, is appended to greetings so a caller can see which instance answered;
 * GREETER_ID=hostname uses the host name, which in a container is its id (replicas started with
 * `--scale` share one environment, so each names itself).
 */
import { hostname } from 'node:os';
import { createMesh } from 'meshrpc';
import { startTelemetryFromEnv } from 'meshrpc/observability';
import { greeterHandler } from './greeter.mesh.js';
import { publishGreeterHttp } from './http.js';
import { Greeter } from './service.js';

// Traces when OTEL_TRACES_EXPORTER / OTEL_EXPORTER_OTLP_ENDPOINT ask (docs/OBSERVABILITY.md); before the node.
const telemetry = await startTelemetryFromEnv({ serviceName: 'greeter' });
const mesh = await createMesh({ name: 'greeter' });
const instance = process.env.GREETER_ID === 'hostname' ? hostname() : process.env.GREETER_ID;
// A typed handler: gateways also get its JSON Schemas for their /openapi.json from it.
mesh.publish(greeterHandler(new Greeter(instance)));
publishGreeterHttp(mesh); // GET /greeter/check through the gateway
await mesh.listen(process.env.MESHRPC_LISTEN_ADDR ?? '0.0.0.0:11999');
console.log(`greeter listening on ${mesh.address}`);

// Graceful stop: peers stop routing here at once, in-flight calls finish, then we exit.
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    mesh.close().then(() => telemetry?.shutdown()).then(() => process.exit(0));
  });
}
