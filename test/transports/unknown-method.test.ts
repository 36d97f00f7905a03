/**
 * The one rule for calls that name something a server does not have (docs/ERRORS.md):
 * an unknown method on a service that answers is UNIMPLEMENTED, an unknown service is NOT_FOUND
 * where the answering side knows it is not served, and UNAVAILABLE (retryable) where nobody
 * answered and the transport cannot tell "never existed" from "not started yet". Checked over
 * every transport with a real server, real sockets and the real brokers, and at the gateway.
 * Kafka is one-way (nothing answers the caller); its server uses the same Dispatcher.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { Dispatcher, LocalCaller, Mesh, MeshError, type Caller, type CallTarget, type MeshNode } from 'meshrpc';
import { createGateway, type Gateway } from '../../src/gateway/index.js';
import { AmqpClient, AmqpServer, GrpcClient, GrpcProtoClient, GrpcServer, NatsClient, NatsMesh, NatsServer } from '../../src/transports/index.js';
import { Microservice } from '../../src/microservice/index.js';
import { greeterHandler } from '../../examples/greeter/greeter.mesh.js';
import { Greeter } from '../../examples/greeter/service.js';
import { AMQP_URL, NATS_URL, broker } from '../helpers/brokers.js';

const natsUp = await broker('NATS', NATS_URL);
const amqpUp = await broker('RabbitMQ', AMQP_URL);
const GREETER_PROTO = fileURLToPath(new URL('../fixtures/transports/greeter.proto', import.meta.url));

const unknownMethod: CallTarget = { service: 'greeter', method: 'noSuchMethod' };
const unknownService: CallTarget = { service: 'noSuchService', method: 'sayHello' };
const payload = Buffer.from('{"name":"Max"}');

async function codeOf(caller: Caller, target: CallTarget): Promise<string> {
  const err = await caller.call(target, payload, { timeout: 5000 }).then(
    () => 'no error',
    (e: unknown) => e,
  );
  if (!(err instanceof MeshError)) throw new Error(`expected a MeshError, got ${String(err)}`);
  return err.code;
}

/** The gateway over `node`: 501 UNIMPLEMENTED for a method greeter lacks (POST or GET), 404 NOT_FOUND for an unknown service. */
async function checkGateway(node: MeshNode): Promise<void> {
  const gateway: Gateway = createGateway(node, { accessLog: false });
  const address = await gateway.listen('127.0.0.1:0');
  try {
    const codeAt = async (res: Response) => [res.status, ((await res.json()) as { error: { code: string } }).error.code];
    const post = (path: string) => fetch(`http://${address}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(await codeAt(await post('/greeter/noSuchMethod'))).toEqual([501, 'UNIMPLEMENTED']);
    expect(await codeAt(await fetch(`http://${address}/greeter/noSuchMethod`))).toEqual([501, 'UNIMPLEMENTED']);
    expect(await codeAt(await post('/noSuchService/sayHello'))).toEqual([404, 'NOT_FOUND']);
  } finally {
    await gateway.close();
  }
}

describe('unknown service and unknown method', () => {
  it('in process (LocalCaller)', async () => {
    const dispatcher = new Dispatcher();
    const { info, endpoint } = greeterHandler(new Greeter());
    dispatcher.register(info, endpoint);
    const local = new LocalCaller(dispatcher);
    expect(await codeOf(local, unknownMethod)).toBe('UNIMPLEMENTED');
    expect(await codeOf(local, unknownService)).toBe('NOT_FOUND');
  });

  describe('built-in mesh', () => {
    const nodes: Mesh[] = [];
    let caller: Mesh;
    beforeAll(async () => {
      const server = new Mesh({ name: 'greeter' }).publish(greeterHandler(new Greeter()));
      nodes.push(server);
      await server.listen('127.0.0.1:0');
      caller = new Mesh({ name: 'caller', nodes: [server.address!] });
      nodes.push(caller);
      await caller.listen();
      await caller.waitFor('greeter', 5000);
    });
    afterAll(() => Promise.all(nodes.map((n) => n.close())));

    it('over a link', async () => {
      expect(await codeOf(caller, unknownMethod)).toBe('UNIMPLEMENTED');
      expect(await codeOf(caller, unknownService)).toBe('NOT_FOUND');
    });

    it('on the node that serves it', async () => {
      expect(await codeOf(nodes[0], unknownMethod)).toBe('UNIMPLEMENTED');
    });

    it('at the gateway (HTTP status from the one code table)', () => checkGateway(caller));
  });

  describe('gRPC', () => {
    let ms: Microservice;
    let generic: GrpcClient;
    let proto: GrpcProtoClient;
    let address: string;
    beforeAll(async () => {
      const server = new GrpcServer({ address: '127.0.0.1:0', protos: [GREETER_PROTO] });
      ms = new Microservice({ stopTimeoutMs: 2000 }).registerServer('grpc', server);
      ms.publish(greeterHandler(new Greeter()));
      await ms.start();
      address = `127.0.0.1:${server.port}`;
      generic = new GrpcClient(address);
      proto = new GrpcProtoClient(address, GREETER_PROTO);
    });
    afterAll(async () => {
      generic?.close();
      proto?.close();
      await ms?.stop();
    });

    it('through the generic MessageService contract', async () => {
      expect(await codeOf(generic, unknownMethod)).toBe('UNIMPLEMENTED');
      expect(await codeOf(generic, unknownService)).toBe('NOT_FOUND');
    });

    it('through a service proto (a method the proto lacks)', async () => {
      expect(await codeOf(proto, unknownMethod)).toBe('UNIMPLEMENTED');
    });

    it('from any gRPC client: paths the server does not serve are gRPC UNIMPLEMENTED (12)', async () => {
      const raw = new grpc.Client(address, grpc.credentials.createInsecure());
      const statusOf = (path: string) =>
        new Promise<number | undefined>((resolve) => {
          raw.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), (err) => resolve(err?.code));
        });
      try {
        expect(await statusOf('/greeter.Greeter/NoSuchMethod')).toBe(grpc.status.UNIMPLEMENTED);
        expect(await statusOf('/nosuch.Service/Greet')).toBe(grpc.status.UNIMPLEMENTED);
      } finally {
        raw.close();
      }
    });
  });

  describe.skipIf(!natsUp)('NATS', () => {
    const prefix = `t${randomUUID().slice(0, 8)}`;
    let ms: Microservice;
    let client: NatsClient;
    const meshes: NatsMesh[] = [];
    beforeAll(async () => {
      ms = new Microservice({ stopTimeoutMs: 2000 }).registerServer('nats', new NatsServer({ servers: NATS_URL, prefix }));
      ms.publish(greeterHandler(new Greeter()));
      await ms.start();
      client = await NatsClient.connect({ servers: NATS_URL, prefix });
    });
    afterAll(async () => {
      await client?.close();
      await ms?.stop();
      await Promise.all(meshes.map((m) => m.close()));
    });

    it('request/reply (NatsServer, NatsClient): nobody answers an unknown service', async () => {
      expect(await codeOf(client, unknownMethod)).toBe('UNIMPLEMENTED');
      expect(await codeOf(client, unknownService)).toBe('UNAVAILABLE');
    });

    it('as the mesh (NatsMesh), which knows the services of the cluster, and at a gateway on it', async () => {
      const p = `m${randomUUID().slice(0, 8)}`;
      const server = new NatsMesh({ name: 'greeter', servers: NATS_URL, prefix: p, announceInterval: 200 }).publish(greeterHandler(new Greeter()));
      const caller = new NatsMesh({ name: 'caller', servers: NATS_URL, prefix: p, announceInterval: 200 });
      meshes.push(server, caller);
      await Promise.all([server.listen(), caller.listen()]);
      await caller.waitFor('greeter', 5000);
      expect(await codeOf(caller, unknownMethod)).toBe('UNIMPLEMENTED');
      expect(await codeOf(caller, unknownService)).toBe('NOT_FOUND');
      await checkGateway(caller);
    });
  });

  describe.skipIf(!amqpUp)('RabbitMQ', () => {
    const prefix = `t${randomUUID().slice(0, 8)}`;
    let ms: Microservice;
    let client: AmqpClient;
    beforeAll(async () => {
      ms = new Microservice({ stopTimeoutMs: 2000 }).registerServer('amqp', new AmqpServer({ url: AMQP_URL, prefix }));
      ms.publish(greeterHandler(new Greeter()));
      await ms.start();
      client = await AmqpClient.connect({ url: AMQP_URL, prefix });
    });
    afterAll(async () => {
      await client?.close();
      await ms?.stop();
    });

    it('request/reply', async () => {
      expect(await codeOf(client, unknownMethod)).toBe('UNIMPLEMENTED');
      expect(await codeOf(client, unknownService)).toBe('NOT_FOUND');
    });
  });
});
