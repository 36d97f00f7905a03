/**
 * gRPC over TLS from PEM files, on loopback: a GrpcServer with mutual TLS (`tls: { ca, cert,
 * key }`) serves a GrpcClient and a GrpcProtoClient whose certificate that CA signed, also when
 * the client's files come from MESHRPC_GRPC_TLS_*; a client without a certificate, with one of
 * another CA, without the server's CA, or in plaintext gets UNAVAILABLE, never a handler. A
 * server with only its certificate and key serves one-way TLS.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeshError } from 'meshrpc';
import { GrpcClient, GrpcProtoClient, GrpcServer, type GrpcClientOptions } from '../../src/transports/index.js';
import { grpcChannelCredentials } from '../../src/transports/grpc/security.js';
import { Microservice } from '../../src/microservice/index.js';
import { greeterClient, greeterHandler } from '../../examples/greeter/greeter.mesh.js';
import { Greeter } from '../../examples/greeter/service.js';
import { engineCerts, type EngineCerts } from '../helpers/engine-certs.js';

const GREETER_PROTO = fileURLToPath(new URL('../fixtures/transports/greeter.proto', import.meta.url));

let certs: EngineCerts;
beforeAll(async () => {
  certs = await engineCerts('grpc-tls');
});
afterAll(async () => {
  await certs?.remove();
});

/** A greeter on a GrpcServer with these TLS files; counts the calls that reached the handler. */
async function serve(tls: () => { ca?: string; cert: string; key: string }) {
  let served = 0;
  const greeter = new Greeter();
  const counting = Object.assign(Object.create(greeter) as Greeter, {
    greet: (name: string) => {
      served++;
      return greeter.greet(name);
    },
  });
  const server = new GrpcServer({ address: '127.0.0.1:0', protos: [GREETER_PROTO], tls: tls() });
  const ms = new Microservice({ stopTimeoutMs: 1000 }).registerServer('grpc', server);
  ms.publish(greeterHandler(counting));
  await ms.start();
  return { address: `127.0.0.1:${server.port}`, served: () => served, stop: () => ms.stop() };
}

async function refused(address: string, options: GrpcClientOptions): Promise<MeshError> {
  const client = new GrpcClient(address, options);
  try {
    const err = await greeterClient(client).with({ timeout: 5000 }).greet('x').then(
      () => new Error('the call went through'),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MeshError);
    return err as MeshError;
  } finally {
    client.close();
  }
}

describe('gRPC with mutual TLS', () => {
  let server: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    server = await serve(() => ({ ca: certs.ca, ...certs.server }));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('a GrpcClient and a GrpcProtoClient with a certificate from the CA call through', async () => {
    const generic = new GrpcClient(server.address, { tls: certs.clientTls });
    const proto = new GrpcProtoClient(server.address, [GREETER_PROTO], { tls: certs.clientTls });
    try {
      expect(await greeterClient(generic).greet('generic')).toBe('Hello, generic');
      expect(await greeterClient(proto).greet('proto')).toBe('Hello, proto');
    } finally {
      generic.close();
      proto.close();
    }
  });

  it('a client takes its files from MESHRPC_GRPC_TLS_CA / _CERT / _KEY', async () => {
    const env = { MESHRPC_GRPC_TLS_CA: certs.ca, MESHRPC_GRPC_TLS_CERT: certs.client.cert, MESHRPC_GRPC_TLS_KEY: certs.client.key };
    const client = new GrpcClient(server.address, grpcChannelCredentials({}, env));
    try {
      expect(await greeterClient(client).greet('env')).toBe('Hello, env');
    } finally {
      client.close();
    }
  });

  it('without a client certificate, with one of another CA, without the server\'s CA, or in plaintext: UNAVAILABLE, no handler runs', async () => {
    const before = server.served();
    // grpc-js's own reasons; where it has one to give, it is the TLS failure.
    const cases: Array<[string, GrpcClientOptions, RegExp]> = [
      ['no client certificate', { tls: { ca: certs.ca } }, /alert certificate required/],
      ['another CA\'s certificate', { tls: { ca: certs.ca, ...certs.stranger } }, /connect/],
      ['the server\'s CA not trusted', { tls: { ...certs.client } }, /self-signed certificate/],
      ['plaintext', {}, /connect/],
    ];
    for (const [name, options, reason] of cases) {
      const err = await refused(server.address, options);
      expect(err.code, name).toBe('UNAVAILABLE');
      expect(err.message, name).toMatch(reason);
    }
    expect(server.served()).toBe(before);
  });

  it('a server\'s TLS needs its certificate and key: FAILED_PRECONDITION at start, naming the variables', async () => {
    const server = new GrpcServer({ address: '127.0.0.1:0', tls: { ca: certs.ca } });
    await expect(server.start()).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringMatching(/MESHRPC_GRPC_TLS_CERT/) });
  });
});

describe('gRPC with one-way TLS (the server\'s certificate only)', () => {
  it('a client that trusts the CA calls through; one that does not gets UNAVAILABLE', async () => {
    const server = await serve(() => ({ ...certs.server }));
    const client = new GrpcClient(server.address, { tls: { ca: certs.ca } });
    try {
      expect(await greeterClient(client).greet('one-way')).toBe('Hello, one-way');
      expect((await refused(server.address, { tls: {} })).code).toBe('UNAVAILABLE');
    } finally {
      client.close();
      await server.stop();
    }
  });

  it('serverName checks the certificate against a name other than the address\'s host', async () => {
    const server = await serve(() => ({ ...certs.server }));
    const byName = new GrpcClient(server.address, { tls: { ca: certs.ca, serverName: 'localhost' } });
    try {
      expect(await greeterClient(byName).greet('named')).toBe('Hello, named');
      const err = await refused(server.address, { tls: { ca: certs.ca, serverName: 'elsewhere.example' } });
      expect(err.code).toBe('UNAVAILABLE');
    } finally {
      byName.close();
      await server.stop();
    }
  });
});
