/**
 * RabbitMQ against the broker on this machine: request/reply, the asynchronous consumer with
 * ack-after-success, dead-lettering, bounded prefetch, error codes and deadlines, a graceful stop,
 * and dropped connections. The drop is forced by destroying the client's and the server's
 * sockets (`connection.connection.stream.destroy()`); the shared broker is never restarted.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'amqplib';
import { MeshError, createClient, createHandler, defineService, jsonCodec } from 'meshrpc';
import { AmqpClient, AmqpServer } from '../../src/transports/index.js';
import { Microservice } from '../../src/microservice/index.js';
import { greeterClient, greeterHandler } from '../../examples/greeter/greeter.mesh.js';
import { Greeter } from '../../examples/greeter/service.js';
import { AMQP_URL, broker } from '../helpers/brokers.js';

const amqpUp = await broker('RabbitMQ', AMQP_URL);

interface Jobs {
  record(id: number): Promise<void>;
  fail(code: string): Promise<void>;
  sleep(ms: number): Promise<number>;
}
const jobsSpec = defineService<Jobs>('jobs', { record: ['id'], fail: ['code'], sleep: ['ms'] });

function jobs(seen: number[], concurrency?: { now: number; max: number }): Jobs {
  return {
    record: async (id) => {
      if (concurrency) {
        concurrency.now++;
        concurrency.max = Math.max(concurrency.max, concurrency.now);
        await new Promise((r) => setTimeout(r, 20));
        concurrency.now--;
      }
      seen.push(id);
    },
    fail: async (code) => {
      throw new MeshError(code as 'PERMISSION_DENIED', `refused: ${code}`);
    },
    sleep: (ms) => new Promise((r) => setTimeout(() => r(ms), ms)),
  };
}

// Like a connection reset by the network: the socket dies with an error (ECONNRESET-style).
const destroySocket = (link: { connection?: unknown }) =>
  (link.connection as { connection: { stream: { destroy(err: Error): void } } }).connection.stream.destroy(new Error('forced connection drop (test)'));

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
}

describe.skipIf(!amqpUp)('RabbitMQ server and client', () => {
  const prefix = `t${randomUUID().slice(0, 8)}`;
  const seen: number[] = [];
  const concurrency = { now: 0, max: 0 };
  let ms: Microservice;
  let server: AmqpServer;
  let client: AmqpClient;

  beforeAll(async () => {
    server = new AmqpServer({ url: AMQP_URL, prefix, prefetch: 4 });
    ms = new Microservice({ stopTimeoutMs: 3000 }).registerServer('amqp', server);
    ms.publish(greeterHandler(new Greeter()));
    ms.publish(createHandler(jobsSpec, jobs(seen, concurrency)));
    ms.registerNamespace('greeter').registerService('greeter', 'hello', (_ctx, bytes) => Buffer.from(`Hello ${Buffer.from(bytes)}`));
    await ms.start();
    client = await AmqpClient.connect({ url: AMQP_URL, prefix });
  });

  afterAll(async () => {
    await ms?.stop();
    await client?.close();
    // Remove this run's queues from the shared broker.
    const conn = await connect(AMQP_URL);
    const ch = await conn.createChannel();
    for (const ns of ['default', 'greeter']) {
      await ch.deleteQueue(`${prefix}.${ns}`).catch(() => {});
      await ch.deleteQueue(`${prefix}.${ns}.dlq`).catch(() => {});
    }
    await ch.deleteExchange(`${prefix}.dlx`).catch(() => {});
    await conn.close();
  });

  it('request/reply: typed greeter and the byte-level hello', async () => {
    expect(await greeterClient(client).greet('Max')).toBe('Hello, Max');
    const out = await client.call({ namespace: 'greeter', service: 'hello', method: '' }, Buffer.from('Max'));
    expect(Buffer.from(out).toString()).toBe('Hello Max');
  });

  it('request/reply: error codes, deadlines, unroutable namespaces', async () => {
    const c = createClient(jobsSpec, client);
    await expect(c.fail('PERMISSION_DENIED')).rejects.toMatchObject({ code: 'PERMISSION_DENIED', message: 'refused: PERMISSION_DENIED' });
    await expect(client.call({ service: 'ghost', method: 'x' }, new Uint8Array())).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const t0 = Date.now();
    await expect(c.with({ timeout: 150 }).sleep(2000)).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(Date.now() - t0).toBeLessThan(700);
    await expect(client.call({ namespace: 'nowhere', service: 'x', method: 'y' }, new Uint8Array(), { timeout: 2000 })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('async: acks after success with bounded prefetch; failures go to the dead-letter queue', async () => {
    seen.length = 0;
    for (let i = 0; i < 20; i++) await client.send({ service: 'jobs', method: 'record' }, jsonCodec.encode({ id: i }));
    await until(() => seen.length >= 20, 5000);
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(concurrency.max).toBeLessThanOrEqual(4);
    expect(concurrency.max).toBeGreaterThan(1);

    await client.send({ service: 'jobs', method: 'fail' }, jsonCodec.encode({ code: 'INTERNAL' }));
    await client.send({ service: 'ghost', method: 'x' }, new Uint8Array());
    const conn = await connect(AMQP_URL);
    const ch = await conn.createChannel();
    const dead: string[] = [];
    for (let i = 0; i < 40 && dead.length < 2; i++) {
      const m = await ch.get(`${prefix}.default.dlq`, { noAck: true });
      if (m) dead.push(String(m.properties.headers?.['meshrpc-service']));
      else await new Promise((r) => setTimeout(r, 50));
    }
    await conn.close();
    expect(dead.sort()).toEqual(['ghost', 'jobs']);
  });

  it('a send to a namespace nobody serves is refused, not lost', async () => {
    await expect(client.send({ namespace: 'nowhere', service: 'x', method: 'y' }, new Uint8Array(), { timeout: 2000 })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('dropped connections are re-established and no confirmed message is lost', async () => {
    seen.length = 0;
    const confirmed: number[] = [];
    const sending = (async () => {
      for (let i = 0; i < 60; i++) {
        await client.send({ service: 'jobs', method: 'record' }, jsonCodec.encode({ id: i }), { timeout: 10_000 });
        confirmed.push(i);
        if (i === 15) destroySocket(server.link!);
        if (i === 35) destroySocket(client.link);
      }
    })();
    await sending;
    await until(() => new Set(seen).size >= 60, 10_000);
    expect(confirmed).toHaveLength(60);
    expect(new Set(seen)).toEqual(new Set(confirmed));
    expect(server.link!.reconnects).toBeGreaterThanOrEqual(1);
    expect(client.link.reconnects).toBeGreaterThanOrEqual(1);
    // And request/reply works on the new connections.
    expect(await greeterClient(client).greet('again')).toBe('Hello, again');
  });

  it('a graceful stop finishes what it started; the rest waits in the queue for the next consumer', async () => {
    const p2 = `${prefix}g`;
    const done: number[] = [];
    const slow: Jobs = { ...jobs(done), record: async (id) => {
      await new Promise((r) => setTimeout(r, 100));
      done.push(id);
    } };
    const mk = () => {
      const s = new AmqpServer({ url: AMQP_URL, prefix: p2, prefetch: 3 });
      s.registerNamespace('default');
      s.registerService('default', 'jobs', createHandler(jobsSpec, slow).endpoint);
      return s;
    };
    const c2 = await AmqpClient.connect({ url: AMQP_URL, prefix: p2 });
    const first = mk();
    await first.start();
    for (let i = 0; i < 12; i++) await c2.send({ service: 'jobs', method: 'record' }, jsonCodec.encode({ id: i }));
    await new Promise((r) => setTimeout(r, 150));
    await first.stop({ timeoutMs: 3000 });
    const afterStop = done.length;
    expect(afterStop).toBeGreaterThan(0);
    expect(afterStop).toBeLessThan(12);
    const second = mk();
    await second.start();
    await until(() => new Set(done).size >= 12, 5000);
    expect(new Set(done).size).toBe(12);
    await second.stop();
    await c2.close();
    const conn = await connect(AMQP_URL);
    const ch = await conn.createChannel();
    await ch.deleteQueue(`${p2}.default`);
    await ch.deleteQueue(`${p2}.default.dlq`);
    await ch.deleteExchange(`${p2}.dlx`);
    await conn.close();
  });
});
