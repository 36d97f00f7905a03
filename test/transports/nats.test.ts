/**
 * NATS request/reply as a container server and a client, against the real nats-server here:
 * typed and byte endpoints, error codes, deadlines, metadata, max_payload, queue-group
 * balancing, and a graceful stop that loses no call in flight.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeshError, currentContext, createClient, createHandler, defineService } from 'meshrpc';
import { NatsClient, NatsServer } from '../../src/transports/index.js';
import { Microservice } from '../../src/microservice/index.js';
import { greeterClient, greeterHandler } from '../../examples/greeter/greeter.mesh.js';
import { Greeter } from '../../examples/greeter/service.js';
import { NATS_URL, broker } from '../helpers/brokers.js';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { readRequestHeaders } from '../../src/transports/nats/wire.js';

const natsUp = await broker('NATS', NATS_URL);

interface Probe {
  sleep(ms: number): Promise<number>;
  fail(code: string): Promise<void>;
  crash(): Promise<void>;
  whoami(): Promise<{ id: string; meta: Record<string, string>; remaining: number }>;
  echo(data: string): Promise<number>;
}
const probeSpec = defineService<Probe>('probe', { sleep: ['ms'], fail: ['code'], crash: [], whoami: [], echo: ['data'] });
const probeImpl = (id: string): Probe => ({
  sleep: (ms) => new Promise((r) => setTimeout(() => r(ms), ms)),
  fail: async (code) => {
    throw new MeshError(code as 'PERMISSION_DENIED', `refused with ${code}`, { details: { why: 'test' } });
  },
  crash: async () => {
    throw new TypeError('x is undefined');
  },
  whoami: async () => ({ id, meta: currentContext()!.metadata, remaining: currentContext()!.remaining }),
  echo: async (data) => data.length,
});

describe('NATS request headers', () => {
  it('keep a peer\'s metadata key named __proto__ as an entry', () => {
    const h = natsHeaders();
    h.set('meshrpc-md-__proto__', 'p');
    h.set('meshrpc-md-tenant', 'acme');
    expect(Object.entries(readRequestHeaders(h).metadata)).toEqual([['__proto__', 'p'], ['tenant', 'acme']]);
  });
});

describe.skipIf(!natsUp)('NATS server and client', () => {
  const prefix = `t${randomUUID().slice(0, 8)}`;
  let ms: Microservice;
  let second: NatsServer;
  let client: NatsClient;
  let probe: ReturnType<typeof createClient<Probe>>;

  beforeAll(async () => {
    ms = new Microservice({ stopTimeoutMs: 2000 });
    ms.registerServer('nats', new NatsServer({ servers: NATS_URL, prefix }));
    ms.publish(greeterHandler(new Greeter()));
    ms.publish(createHandler(probeSpec, probeImpl('one')));
    ms.registerNamespace('greeter').registerService('greeter', 'hello', (_ctx, bytes) => Buffer.from(`Hello ${Buffer.from(bytes)}`));
    await ms.start();
    client = await NatsClient.connect({ servers: NATS_URL, prefix });
    probe = createClient(probeSpec, client);
  });

  afterAll(async () => {
    await second?.stop();
    await ms?.stop();
    await client?.close();
  });

  it('serves the typed greeter and the byte-level hello endpoint', async () => {
    const greeter = greeterClient(client);
    expect(await greeter.greet('Max')).toBe('Hello, Max');
    const card = { address: '1 Mesh Road', recipient: 'World', message: 'hi' };
    expect(await greeter.sendPostcard(card)).toEqual(card);
    const out = await client.call({ namespace: 'greeter', service: 'hello', method: '' }, Buffer.from('Max'));
    expect(Buffer.from(out).toString()).toBe('Hello Max');
  });

  it('carries error codes, messages, names and details', async () => {
    const err = await probe.fail('PERMISSION_DENIED').catch((e: unknown) => e as MeshError);
    expect(err).toBeInstanceOf(MeshError);
    expect(err).toMatchObject({ code: 'PERMISSION_DENIED', message: 'refused with PERMISSION_DENIED', details: { why: 'test' } });
    await expect(probe.crash()).rejects.toMatchObject({ code: 'UNKNOWN', message: 'x is undefined', remoteName: 'TypeError' });
    await expect(client.call({ service: 'probe', method: 'nope' }, new Uint8Array())).rejects.toMatchObject({ code: 'UNIMPLEMENTED' });
    await expect(client.call({ service: 'probe', method: 'echo' }, Buffer.from('[1]'))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const t0 = Date.now();
    await expect(client.call({ service: 'nobody', method: 'x' }, new Uint8Array(), { timeout: 3000 })).rejects.toMatchObject({ code: 'UNAVAILABLE', notProcessed: true });
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('turns the deadline into the request timeout and the handler deadline', async () => {
    const t0 = Date.now();
    await expect(probe.with({ timeout: 150 }).sleep(1000)).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(Date.now() - t0).toBeLessThan(600);
    const who = await probe.with({ timeout: 5000, metadata: { tenant: 'acme', traceparent: '00-abc-def-01' } }).whoami();
    expect(who.remaining).toBeGreaterThan(4000);
    expect(who.remaining).toBeLessThanOrEqual(5000);
    expect(who.meta).toEqual({ tenant: 'acme', traceparent: '00-abc-def-01' });
  });

  // No timing asserted: a refusal that were retried as "nobody listening" would end as
  // UNAVAILABLE after the retries, so the code alone tells "final at once" apart.
  it('fails with RESOURCE_EXHAUSTED over max_payload, not retried', async () => {
    const max = client.connection.info!.max_payload;
    await expect(probe.echo('x'.repeat(max + 10))).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    // A payload within the limit whose headers take it over: refused by the NATS client when
    // publishing, and just as final (not retried as if nobody had been listening).
    await expect(client.call({ service: 'probe', method: 'echo' }, new Uint8Array(max))).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
  });

  it('balances a service over instances with a queue group', async () => {
    second = new NatsServer({ servers: NATS_URL, prefix });
    second.registerNamespace('default');
    second.registerService('default', 'probe', createHandler(probeSpec, probeImpl('two')).endpoint);
    await second.start();
    const seen = new Set<string>();
    for (let i = 0; i < 40 && seen.size < 2; i++) seen.add((await probe.whoami()).id);
    expect(seen).toEqual(new Set(['one', 'two']));
  });

  it('a graceful stop loses none of the calls in flight', async () => {
    const server = new NatsServer({ servers: NATS_URL, prefix: `${prefix}x` });
    server.registerNamespace('default');
    server.registerService('default', 'probe', createHandler(probeSpec, probeImpl('x')).endpoint);
    await server.start();
    const nc = await NatsClient.connect({ servers: NATS_URL, prefix: `${prefix}x` });
    const c = createClient(probeSpec, nc);
    const calls = Array.from({ length: 20 }, (_, i) => c.sleep(100 + i * 10));
    await new Promise((r) => setTimeout(r, 50));
    await server.stop({ timeoutMs: 3000 });
    const results = await Promise.allSettled(calls);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(20);
    // After the stop, nobody serves it: fast UNAVAILABLE, not a hang.
    await expect(c.with({ timeout: 2000 }).sleep(1)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await nc.close();
  });

  it('an abort signal cancels a call at once, and its late reply is ignored', async () => {
    const controller = new AbortController();
    const t0 = Date.now();
    const call = probe.with({ timeout: 5000, signal: controller.signal }).sleep(300);
    setTimeout(() => controller.abort(), 30);
    await expect(call).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(Date.now() - t0).toBeLessThan(250);
    // The reply to the cancelled call arrives later and must not settle anything else.
    const after = probe.sleep(400);
    expect(await after).toBe(400);
  });

  it('a connection closed under calls in flight fails them with UNAVAILABLE, not a hang', async () => {
    const own = await NatsClient.connect({ servers: NATS_URL, prefix });
    const c = createClient(probeSpec, own).with({ timeout: 10_000 });
    const calls = Array.from({ length: 5 }, () => c.sleep(1000).catch((e: unknown) => e));
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    await own.connection.close();
    const results = await Promise.all(calls);
    expect(Date.now() - t0).toBeLessThan(500);
    for (const r of results) expect(r).toMatchObject({ code: 'UNAVAILABLE' });
  });
});
