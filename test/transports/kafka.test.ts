/**
 * Kafka. Unit tests (always): header mapping, commit only after success, dead-lettering with the
 * error, the producer client — with a fake kafkajs. Integration (only with KAFKA_BROKERS set: no
 * Kafka broker runs on these machines): a real round trip through a consumer group.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Consumer, EachMessagePayload, KafkaMessage, Producer } from 'kafkajs';
import { MeshError, createClient, createHandler, defineService, jsonCodec } from 'meshrpc';
import { KafkaClient, KafkaServer, type KafkaLike } from '../../src/transports/index.js';
import { fromKafkaMessage, nextOffset, toKafkaMessage } from '../../src/transports/kafka/wire.js';
import { Microservice } from '../../src/microservice/index.js';
import { kafkaBrokers } from '../helpers/brokers.js';

interface Jobs {
  record(id: number): Promise<void>;
  fail(): Promise<void>;
}
const jobsSpec = defineService<Jobs>('jobs', { record: ['id'], fail: [] });

function fakeKafka() {
  const commits: Array<{ topic: string; partition: number; offset: string }> = [];
  const sent: Array<{ topic: string; messages: Array<{ value: unknown; headers?: Record<string, unknown>; key?: unknown }> }> = [];
  let eachMessage: ((p: EachMessagePayload) => Promise<void>) | undefined;
  let subscribed: string[] = [];
  const consumer = {
    connect: async () => {},
    subscribe: async ({ topics }: { topics: string[] }) => void (subscribed = topics),
    run: async (cfg: { eachMessage: (p: EachMessagePayload) => Promise<void> }) => void (eachMessage = cfg.eachMessage),
    commitOffsets: async (o: typeof commits) => void commits.push(...o),
    stop: async () => {},
    disconnect: async () => {},
  } as unknown as Consumer;
  const producer = {
    connect: async () => {},
    send: async (r: (typeof sent)[number]) => void sent.push(r),
    disconnect: async () => {},
  } as unknown as Producer;
  const kafka: KafkaLike = { consumer: () => consumer, producer: () => producer };
  const deliver = (topic: string, offset: string, msg: Partial<KafkaMessage>) =>
    eachMessage!({ topic, partition: 0, message: { offset, key: null, value: null, timestamp: '0', attributes: 0, size: 0, headers: {}, ...msg } as unknown as KafkaMessage, heartbeat: async () => {}, pause: () => () => {} });
  return { kafka, commits, sent, deliver, subscribed: () => subscribed };
}

describe('Kafka (unit, fake kafkajs)', () => {
  it('maps calls to messages and back', () => {
    const { topic, message } = toKafkaMessage({ namespace: 'greeter', service: 'hello', method: '' }, Buffer.from('Max'), { metadata: { tenant: 'acme' }, stickyKey: 'k', timeout: 1000 }, 'json');
    expect(topic).toBe('greeter');
    expect(message.key).toBe('k');
    const headers = Object.fromEntries(Object.entries(message.headers!).map(([k, v]) => [k, Buffer.from(String(v))]));
    const call = fromKafkaMessage({ headers });
    expect(call).toMatchObject({ service: 'hello', method: '', metadata: { tenant: 'acme' } });
    expect(call.deadline).toBeGreaterThan(Date.now());
    expect(() => fromKafkaMessage({ headers: {} })).toThrow('meshrpc-service');
    // A peer's metadata key "__proto__" stays an entry.
    const odd = fromKafkaMessage({ headers: { ...headers, 'meshrpc-md-__proto__': Buffer.from('p') } });
    expect(Object.entries(odd.metadata)).toContainEqual(['__proto__', 'p']);
    expect(nextOffset('9007199254740993')).toBe('9007199254740994');
  });

  it('commits only after success; failures go to <topic>.dlq with the error, then commit', async () => {
    const f = fakeKafka();
    const seen: number[] = [];
    const server = new KafkaServer({ kafka: f.kafka });
    const ms = new Microservice().registerServer('kafka', server);
    ms.publish(createHandler(jobsSpec, { record: async (id: number) => void seen.push(id), fail: async () => { throw new MeshError('INTERNAL', 'no'); } }));
    await ms.start();
    expect(f.subscribed()).toEqual(['default']);
    const headers = (method: string) => ({ 'meshrpc-service': Buffer.from('jobs'), 'meshrpc-method': Buffer.from(method) });
    await f.deliver('default', '7', { value: Buffer.from(JSON.stringify({ id: 7 })), headers: headers('record') });
    expect(seen).toEqual([7]);
    expect(f.commits).toEqual([{ topic: 'default', partition: 0, offset: '8' }]);
    expect(f.sent).toEqual([]);
    await f.deliver('default', '8', { value: Buffer.from('{}'), headers: headers('fail') });
    expect(f.sent).toHaveLength(1);
    expect(f.sent[0].topic).toBe('default.dlq');
    expect(JSON.parse(String(f.sent[0].messages[0].headers!['meshrpc-error']))).toMatchObject({ code: 'INTERNAL', message: 'no' });
    expect(f.commits.at(-1)).toEqual({ topic: 'default', partition: 0, offset: '9' });
    await ms.stop();
  });

  it('does not commit when even dead-lettering fails (the message comes again)', async () => {
    const f = fakeKafka();
    const server = new KafkaServer({ kafka: f.kafka });
    server.registerNamespace('default');
    await server.start();
    const failing = { send: async () => { throw new Error('broker down'); } } as unknown as Producer;
    const consumer = { commitOffsets: async () => { throw new Error('must not commit'); } };
    await expect(server.handleMessage({ topic: 'default', partition: 0, message: { offset: '1', headers: {}, value: null } as unknown as KafkaMessage, heartbeat: async () => {}, pause: () => () => {} }, consumer, failing)).rejects.toThrow('broker down');
    await server.stop();
  });

  it('start needs namespaces; the producer client resolves once Kafka has the message', async () => {
    await expect(new KafkaServer({ kafka: fakeKafka().kafka }).start()).rejects.toThrow('no namespaces registered');
    const f = fakeKafka();
    const client = await KafkaClient.connect({ kafka: f.kafka });
    await createClient(jobsSpec, client).record(3);
    expect(f.sent[0]).toMatchObject({ topic: 'default' });
    expect(jsonCodec.decode(f.sent[0].messages[0].value as Buffer)).toEqual({ id: 3 });
    await client.close();
  });
});

const brokers = kafkaBrokers();
describe.skipIf(!brokers)('Kafka integration (needs KAFKA_BROKERS; skipped when unset because no Kafka broker runs on these machines)', () => {
  it('a message sent by the client is handled by the consumer group server', async () => {
    const ns = `meshrpc-test-${randomUUID().slice(0, 8)}`;
    const seen: number[] = [];
    const server = new KafkaServer({ brokers, groupId: `g-${ns}` });
    server.registerNamespace(ns);
    server.registerService(ns, 'jobs', createHandler({ ...jobsSpec, namespace: ns }, { record: async (id: number) => void seen.push(id), fail: async () => {} }).endpoint, { methods: ['record', 'fail'] });
    const client = await KafkaClient.connect({ brokers });
    try {
      await client.send({ namespace: ns, service: 'jobs', method: 'record' }, jsonCodec.encode({ id: 1 })); // creates the topic
      await server.start();
      await new Promise((r) => setTimeout(r, 3000));
      await client.send({ namespace: ns, service: 'jobs', method: 'record' }, jsonCodec.encode({ id: 2 }));
      const until = Date.now() + 20_000;
      while (!seen.includes(2) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      expect(seen).toContain(2);
    } finally {
      await server.stop();
      await client.close();
    }
  }, 60_000);
});
