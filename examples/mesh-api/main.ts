/**
 * The API gateway of the original meshRPC README, on meshrpc: a gateway node other nodes join
 * (mesh port 11999), every greeter method at POST /greeter/<method>, the greeter's own HTTP
 * handler at /greeter/check, and custom routes written the Fastify way on a typed client.
 *
 *   npx tsx examples/mesh-api/main.ts                      # http 0.0.0.0:8282, mesh 0.0.0.0:11999
 *   MESHRPC_CLUSTER_NODES=127.0.0.1:11999 MESHRPC_LISTEN_ADDR=127.0.0.1:0 npx tsx examples/greeter/main.ts
 *
 *   curl localhost:8282/greeter/greet/Max                         -> "Hello, Max"
 *   curl -X POST localhost:8282/greeter/sendPostcard/Max/World/Hello -> the postcard as JSON
 *   curl localhost:8282/greeter/check                             -> All ok! <ISO time>
 *   curl -d '{"name":"Max"}' localhost:8282/greeter/greet          -> "Hello, Max"
 *
 * Settings: APP_HTTP_PORT, MESHRPC_LISTEN_ADDR, MESHRPC_CLUSTER_NODES, MESHRPC_CLUSTER_TAGNAME, and
 * MESHRPC_TRANSPORT=nats://127.0.0.1:4222 to run the gateway (and its greeters) on NATS instead.
 */
import { gatewayConfigFromEnv, startGateway, stopOnSignals } from 'meshrpc/gateway';
import { greeterClient } from '../greeter/greeter.mesh.js';

const config = gatewayConfigFromEnv();
if (config.require.length === 0) config.require = ['greeter']; // /readyz waits for a greeter

const running = await startGateway(config, {
  setup(gateway) {
    // A typed client: it implements GreeterService, and its calls go over the mesh.
    const greeter = greeterClient(gateway.node);

    // $ curl http://localhost:8282/greeter/greet/Max
    gateway.app.get<{ Params: { name: string } }>('/greeter/greet/:name', async (request, reply) => {
      const message = await greeter.greet(request.params.name);
      return reply.type('application/json; charset=utf-8').send(JSON.stringify(message));
    });

    // $ curl -X POST http://localhost:8282/greeter/sendPostcard/Max/World/Hello
    gateway.app.post<{ Params: { recipient: string; address: string; message: string } }>(
      '/greeter/sendPostcard/:recipient/:address/:message',
      async (request) => {
        const { recipient, address, message } = request.params;
        return greeter.sendPostcard({ recipient, address, message });
      },
    );
    // Errors thrown here (a MeshError from the greeter, say) answer with the gateway's JSON error body.
  },
});
console.log(`mesh-api: http ${running.httpAddress}, mesh ${running.meshAddress}`);
stopOnSignals(running);
