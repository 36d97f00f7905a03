/**
 * gRPC: the generic MessageService contract and the greeter under its own proto, error codes as
 * gRPC statuses, grpc-timeout as the deadline, cancellation, metadata, health, graceful stop.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Metadata, credentials, makeGenericClientConstructor, status, type ServiceError } from '@grpc/grpc-js';
import { MeshError, createClient, createHandler, currentContext, defineService } from 'meshrpc';
import { GrpcClient, GrpcProtoClient, GrpcServer } from '../../src/transports/index.js';
import { Microservice } from '../../src/microservice/index.js';
import { healthServiceDefinition } from '../../src/transports/grpc/protos.js';
import { greeterClient, greeterHandler } from '../../examples/greeter/greeter.mesh.js';
import { Greeter } from '../../examples/greeter/service.js';

const GREETER_PROTO = fileURLToPath(new URL('../fixtures/transports/greeter.proto', import.meta.url));

interface Probe {
  sleep(ms: number): Promise<number>;
  fail(code: string): Promise<void>;
  whoami(): Promise<{ meta: Record<string, string>; remaining: number | null }>;
  waitForCancel(): Promise<string>;
}
const probeSpec = defineService<Probe>('probe', { sleep: ['ms'], fail: ['code'], whoami: [], waitForCancel: [] });
let cancelSeen: Promise<string> | undefined;
const probe: Probe = {
  sleep: (ms) => new Promise((r) => setTimeout(() => r(ms), ms)),
  fail: async (code) => {
    throw new MeshError(code as 'NOT_FOUND', `failed with ${code}`, { details: { n: 1 } });
  },
  whoami: async () => {
    const ctx = currentContext()!;
    return { meta: ctx.metadata, remaining: Number.isFinite(ctx.remaining) ? ctx.remaining : null };
  },
  waitForCancel: () => {
    const signal = currentContext()!.signal;
    cancelSeen = new Promise((r) => signal.addEventListener('abort', () => r((signal.reason as MeshError).code)));
    return new Promise(() => {});
  },
};

describe('gRPC server and clients', () => {
  let ms: Microservice;
  let server: GrpcServer;
  let address: string;
  let generic: GrpcClient;
  let proto: GrpcProtoClient;

  beforeAll(async () => {
    server = new GrpcServer({ address: '127.0.0.1:0', protos: [GREETER_PROTO] });
    ms = new Microservice({ stopTimeoutMs: 2000 }).registerServer('grpc', server);
    ms.publish(greeterHandler(new Greeter()));
    ms.publish(createHandler(probeSpec, probe));
    ms.registerNamespace('greeter').registerService('greeter', 'hello', (_ctx, bytes) => Buffer.from(`Hello ${Buffer.from(bytes)}`));
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

  it('serves typed services over the generic contract and their own proto', async () => {
    expect(await greeterClient(generic).greet('Max')).toBe('Hello, Max');
    expect(await greeterClient(proto).greet('Max')).toBe('Hello, Max');
    const card = { address: '1 Mesh Road', recipient: 'World', message: 'hi' };
    expect(await greeterClient(proto).sendPostcard(card)).toMatchObject(card);
    expect(server.protoServices.map((s) => [s.fullName, s.methods.map((m) => `${m.rpc}->${m.method}`)])).toEqual([
      ['greeter.Greeter', ['Greet->greet', 'SendPostcard->sendPostcard']],
    ]);
  });

  it('runs the seed-style byte endpoint by namespace alone', async () => {
    const Client = makeGenericClientConstructor((await import('../../src/transports/grpc/protos.js')).messageServiceDefinition, 'x');
    const raw = new Client(address, credentials.createInsecure()) as unknown as {
      Command(req: unknown, cb: (err: ServiceError | null, res: { Data: Buffer; Error: string }) => void): void;
      close(): void;
    };
    const res = await new Promise<{ Data: Buffer }>((resolve, reject) => raw.Command({ Namespace: 'greeter', Data: Buffer.from('Max') }, (e, r) => (e ? reject(e) : resolve(r))));
    expect(res.Data.toString()).toBe('Hello Max');
    const err = await new Promise<ServiceError>((resolve) => raw.Command({ Namespace: 'nowhere', Data: Buffer.alloc(0) }, (e) => resolve(e!)));
    expect(err.code).toBe(status.NOT_FOUND);
    raw.close();
    const out = await generic.call({ namespace: 'greeter', service: 'hello', method: '' }, Buffer.from('Ann'));
    expect(Buffer.from(out).toString()).toBe('Hello Ann');
  });

  it('maps every error code to the gRPC status of the same number, and back', async () => {
    const c = createClient(probeSpec, generic);
    for (const code of ['NOT_FOUND', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'UNAVAILABLE', 'UNAUTHENTICATED'] as const) {
      const err = (await c.fail(code).catch((e: unknown) => e)) as MeshError;
      expect(err).toBeInstanceOf(MeshError);
      expect(err).toMatchObject({ code, message: `failed with ${code}`, details: { n: 1 } });
    }
    const viaProto = (await generic.call({ service: 'greeter', method: 'nope' }, Buffer.from('{}')).catch((e: unknown) => e)) as MeshError;
    expect(viaProto.code).toBe('UNIMPLEMENTED');
    const raw = (err: MeshError) => (err.cause as ServiceError | undefined)?.code;
    expect(raw((await generic.call({ service: 'ghost', method: 'x' }, new Uint8Array()).catch((e: unknown) => e)) as MeshError)).toBe(status.NOT_FOUND);
    await expect(generic.call({ service: 'greeter', method: 'greet' }, Buffer.from('[1'))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('grpc-timeout becomes the deadline; metadata reaches the handler', async () => {
    const c = createClient(probeSpec, generic);
    const who = await c.with({ timeout: 4000, metadata: { tenant: 'acme' } }).whoami();
    expect(who.meta).toEqual({ tenant: 'acme' });
    expect(who.remaining).toBeGreaterThan(3000);
    expect(who.remaining).toBeLessThanOrEqual(4000);
    const t0 = Date.now();
    await expect(c.with({ timeout: 150 }).sleep(2000)).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(Date.now() - t0).toBeLessThan(800);
  });

  it('a cancelled call cancels the handler context', async () => {
    const ac = new AbortController();
    const call = createClient(probeSpec, generic).with({ signal: ac.signal }).waitForCancel();
    await expect.poll(() => cancelSeen !== undefined).toBe(true);
    ac.abort();
    await expect(call).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(await cancelSeen).toBe('CANCELLED');
  });

  it('serves grpc.health.v1', async () => {
    const Health = makeGenericClientConstructor(healthServiceDefinition, 'Health');
    const h = new Health(address, credentials.createInsecure()) as unknown as {
      Check(req: { service: string }, cb: (e: ServiceError | null, r: { status: string }) => void): void;
      close(): void;
    };
    const check = (service: string) => new Promise<string>((resolve) => h.Check({ service }, (e, r) => resolve(e ? `error ${e.code}` : r.status)));
    expect(await check('')).toBe('SERVING');
    expect(await check('rpc.MessageService')).toBe('SERVING');
    expect(await check('greeter.Greeter')).toBe('SERVING');
    expect(await check('greeter')).toBe('SERVING');
    expect(await check('nope')).toBe(`error ${status.NOT_FOUND}`);
    h.close();
  });
});

const GENERATED_PROTO = fileURLToPath(new URL('../../examples/greeter/greeter.proto', import.meta.url));

describe('gRPC with the generated examples/greeter/greeter.proto', () => {
  it('serves and calls the greeter under the proto `meshrpc expose --proto` wrote', async () => {
    const server = new GrpcServer({ address: '127.0.0.1:0', protos: [GENERATED_PROTO] });
    const ms = new Microservice().registerServer('grpc', server);
    ms.publish(greeterHandler(new Greeter()));
    await ms.start();
    const client = new GrpcProtoClient(`127.0.0.1:${server.port}`, GENERATED_PROTO);
    try {
      expect(await greeterClient(client).greet('Gen')).toBe('Hello, Gen');
      const card = { address: '1 Mesh Road', recipient: 'World', message: 'hi' };
      expect(await greeterClient(client).sendPostcard(card)).toMatchObject(card);
    } finally {
      client.close();
      await ms.stop();
    }
  });
});

describe('gRPC lifecycle', () => {
  it('a proto that does not fit the registered services fails start with the reason', async () => {
    const ms = new Microservice().registerServer('grpc', new GrpcServer({ address: '127.0.0.1:0', protos: [GREETER_PROTO] }));
    await expect(ms.start()).rejects.toThrow('server "grpc" failed to start: proto does not follow the meshrpc convention: proto service greeter.Greeter matches no registered service');
  });

  it('a port already in use fails start naming the server', async () => {
    const a = new GrpcServer({ address: '127.0.0.1:0' });
    await a.start();
    const ms = new Microservice().registerServer('grpc', new GrpcServer({ address: `127.0.0.1:${a.port}` }));
    await expect(ms.start()).rejects.toThrow(/server "grpc" failed to start: cannot listen on 127.0.0.1:\d+/);
    await a.stop();
  });

  it('a graceful stop loses none of the calls in flight', async () => {
    const server = new GrpcServer({ address: '127.0.0.1:0' });
    const ms = new Microservice({ stopTimeoutMs: 3000 }).registerServer('grpc', server);
    let started = 0;
    ms.publish(createHandler(probeSpec, { ...probe, sleep: (ms: number) => (started++, probe.sleep(ms)) }));
    await ms.start();
    const client = new GrpcClient(`127.0.0.1:${server.port}`);
    const c = createClient(probeSpec, client);
    const calls = Array.from({ length: 20 }, (_, i) => c.sleep(300 + 10 * i));
    // Stop once every call is in a handler (a loaded machine may take longer than any fixed pause
    // to connect; a call not yet sent when the server stops is refused, which is another case).
    for (const end = Date.now() + 5000; started < 20 && Date.now() < end; ) await new Promise((r) => setTimeout(r, 5));
    expect(started).toBe(20);
    await ms.stop();
    expect((await Promise.allSettled(calls)).filter((r) => r.status === 'fulfilled')).toHaveLength(20);
    await expect(c.with({ timeout: 1000 }).sleep(1)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    client.close();
  });
});
