/**
 * Runs the conformance cases (cases.ts) against every transport: in-process, the built-in mesh,
 * NATS as the mesh, NATS server/client, gRPC, RabbitMQ, and Kafka where KAFKA_BROKERS is set.
 * Brokers are real (NATS 127.0.0.1:4222, RabbitMQ 127.0.0.1:5672): without them the broker
 * transports skip saying why, or fail under MESHRPC_REQUIRE_BROKERS=1.
 */
import { randomUUID } from 'node:crypto';
import { describe, it } from 'vitest';
import { LocalCaller, Mesh, type NodeInterceptors, type Publishable } from 'meshrpc';
import { Microservice } from '../../src/microservice/index.js';
import { AmqpClient, AmqpServer, GrpcClient, GrpcServer, NatsClient, NatsMesh, NatsServer } from '../../src/transports/index.js';
import type { DispatchServer } from '../../src/pipeline/server.js';
import { AMQP_URL, NATS_URL, broker } from '../helpers/brokers.js';
import { conformance, type Transport } from './cases.js';

const natsUp = await broker('NATS', NATS_URL);
const amqpUp = await broker('RabbitMQ', AMQP_URL);
const FRAME = 64 * 1024;

const local: Transport = {
  name: 'in-process (LocalCaller)',
  async start(services, interceptors) {
    const caller = new LocalCaller().use(interceptors);
    for (const s of services) caller.dispatcher.register(s.info, s.endpoint);
    return { caller, stopServer: () => caller.inbound.drain(5000).then(() => {}), close: async () => {} };
  },
  oversized: { skip: 'nothing leaves the process, so there is no wire limit' },
  cancelReachesHandler: true,
};

const mesh: Transport = {
  name: 'built-in mesh',
  async start(services, interceptors) {
    const server = new Mesh({ name: 'probe', nodes: [], maxFrameSize: FRAME }).use({ server: interceptors.server });
    for (const s of services) server.publish(s);
    await server.listen('127.0.0.1:0');
    const caller = new Mesh({ name: 'caller', nodes: [server.address!], maxFrameSize: FRAME }).use({ client: interceptors.client });
    await caller.listen();
    await caller.waitFor('probe', 5000);
    return { caller, stopServer: () => server.close(), close: async () => void (await caller.close(), await server.close()) };
  },
  oversized: FRAME + 1024,
  cancelReachesHandler: true,
};

const natsMesh: Transport = {
  name: 'NATS as the mesh',
  async start(services, interceptors) {
    const prefix = `c${randomUUID().slice(0, 8)}`;
    const server = new NatsMesh({ name: 'probe', servers: NATS_URL, prefix }).use({ server: interceptors.server });
    for (const s of services) server.publish(s);
    await server.listen();
    const caller = new NatsMesh({ name: 'caller', servers: NATS_URL, prefix }).use({ client: interceptors.client });
    await caller.listen();
    await caller.waitFor('probe', 5000);
    return { caller, stopServer: () => server.close(), close: async () => void (await caller.close(), await server.close()) };
  },
  oversized: 1024 * 1024 + 1024, // the NATS server's default max_payload is 1 MiB
  cancelReachesHandler: { skip: 'NATS request/reply has no cancel message' },
};

/** A container server of one DispatchServer, publishing `services` behind `interceptors`. */
async function served(server: DispatchServer, services: Publishable[], interceptors: NodeInterceptors) {
  server.use(...(interceptors.server ?? []));
  const ms = new Microservice({ stopTimeoutMs: 5000 }).registerServer('it', server);
  for (const s of services) ms.publish(s);
  await ms.start();
  return ms;
}

const nats: Transport = {
  name: 'NATS server and client',
  async start(services, interceptors) {
    const prefix = `c${randomUUID().slice(0, 8)}`;
    const ms = await served(new NatsServer({ servers: NATS_URL, prefix }), services, interceptors);
    const client = (await NatsClient.connect({ servers: NATS_URL, prefix })).use(...(interceptors.client ?? []));
    return { caller: client, stopServer: () => ms.stop(), close: async () => void (await client.close(), await ms.stop()) };
  },
  oversized: 1024 * 1024 + 1024,
  cancelReachesHandler: { skip: 'NATS request/reply has no cancel message' },
  unknownService: { code: 'UNAVAILABLE', why: 'a plain NATS client sees "no responders" and cannot tell an unknown service from one with no live instance' },
};

const grpc: Transport = {
  name: 'gRPC',
  async start(services, interceptors) {
    const server = new GrpcServer({ address: '127.0.0.1:0', channelOptions: { 'grpc.max_receive_message_length': FRAME } });
    const ms = await served(server, services, interceptors);
    const client = new GrpcClient(`127.0.0.1:${server.port}`).use(...(interceptors.client ?? []));
    return { caller: client, stopServer: () => ms.stop(), close: async () => void (client.close(), await ms.stop()) };
  },
  oversized: FRAME + 1024,
  cancelReachesHandler: true,
};

const amqp: Transport = {
  name: 'RabbitMQ',
  async start(services, interceptors) {
    const prefix = `c${randomUUID().slice(0, 8)}`;
    const ms = await served(new AmqpServer({ url: AMQP_URL, prefix }), services, interceptors);
    const client = (await AmqpClient.connect({ url: AMQP_URL, prefix })).use(...(interceptors.client ?? []));
    return { caller: client, stopServer: () => ms.stop(), close: async () => void (await client.close(), await ms.stop()) };
  },
  oversized: { skip: 'RabbitMQ accepts messages up to 128 MiB and meshrpc sets no lower limit' },
  cancelReachesHandler: { skip: 'a published request cannot be recalled' },
};

conformance(local);
conformance(mesh);
if (natsUp) {
  conformance(natsMesh);
  conformance(nats);
} else {
  describe('conformance over NATS', () => it.skip(`NATS is not reachable at ${NATS_URL}`, () => {}));
}
if (amqpUp) conformance(amqp);
else describe('conformance over RabbitMQ', () => it.skip(`RabbitMQ is not reachable at ${AMQP_URL}`, () => {}));
conformance(grpc);

// Kafka carries no reply, so only the cases that need none could apply; with no Kafka broker on
// these machines they are not written yet (test/transports/kafka.test.ts covers the adapter).
describe('conformance over Kafka', () => {
  it.skip(`not run: Kafka has no reply channel for the request/reply cases${process.env.KAFKA_BROKERS ? '' : ', and KAFKA_BROKERS is not set'}`, () => {});
});

