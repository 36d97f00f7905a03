/**
 * A greeter instance: joins the mesh from the environment and serves the greeter.
 *
 *   MESHRPC_LISTEN_ADDR=127.0.0.1:11999 npx tsx examples/greeter/main.ts            # first node (seed)
 *   MESHRPC_LISTEN_ADDR=127.0.0.1:12000 MESHRPC_CLUSTER_NODES=127.0.0.1:11999 npx tsx examples/greeter/main.ts
 *
 * GREETER_ID, when set, is appended to greetings so a caller can see which instance answered.
 */
import { Mesh } from 'meshrpc';
import { greeterHandler } from './greeter.mesh.js';
import { publishGreeterHttp } from './http.js';
import { Greeter } from './service.js';

const mesh = new Mesh({ name: 'greeter' });
mesh.publish(greeterHandler(new Greeter(process.env.GREETER_ID)));
publishGreeterHttp(mesh); // GET /greeter/check through the gateway, and schemas for its OpenAPI
await mesh.listen(process.env.MESHRPC_LISTEN_ADDR ?? '0.0.0.0:11999');
console.log(`greeter listening on ${mesh.address}`);

// Graceful stop: peers stop routing here at once, in-flight calls finish, then we exit.
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    mesh.close().then(() => process.exit(0));
  });
}
