/**
 * Kafka as a container server (kafkajs): one consumer group; each namespace is a topic; the
 * service is named in a header. A message's offset is committed only after its endpoint
 * succeeded — or, when it failed, after the message was written to `<topic>.dlq` with the error
 * in a header (so a poison message neither blocks the partition nor gets lost). Messages are
 * processed in order per partition; stop() stops fetching, lets the message in hand finish (up
 * to the timeout) and leaves the group.
 */
import { Kafka, type Consumer, type EachMessagePayload, type KafkaConfig, type Producer } from 'kafkajs';
import { CallContext } from '../../core/context.js';
import { MeshError } from '../../core/errors.js';
import { Failures } from '../../core/failures.js';
import { DEFAULT_STOP_TIMEOUT, DispatchServer, type StopOptions } from '../../pipeline/server.js';
import { kafkaRefusal, kafkaSecurity, type KafkaSecurityOptions } from './security.js';
import { H_ERROR, deadLetterTopicOf, fromKafkaMessage, nextOffset, topicOf } from './wire.js';

/** The slice of kafkajs the server uses (so tests can pass a fake). */
export interface KafkaLike {
  consumer(config: { groupId: string }): Consumer;
  producer(config?: object): Producer;
}

/**
 * TLS and SASL: kafkajs's `ssl` and `sasl`, or `tls` files and MESHRPC_KAFKA_* variables; see
 * security.ts. All of them are ignored when `kafka` is given.
 */
export interface KafkaServerOptions extends KafkaSecurityOptions {
  /** Broker list; default KAFKA_BROKERS (comma-separated). Ignored when `kafka` is given. */
  brokers?: string[];
  kafka?: KafkaLike;
  groupId?: string;
  /** Prepended to namespace to form the topic. Default "". */
  topicPrefix?: string;
  clientId?: string;
  /** kafkajs's `retry` for connecting and requests (its default: 5 retries, from 300 ms). */
  retry?: KafkaConfig['retry'];
  /** Partitions processed at once (each still in order). Default 4. */
  concurrency?: number;
  log?: (msg: string) => void;
}

export class KafkaServer extends DispatchServer {
  readonly #o: KafkaServerOptions;
  readonly #namespaces: string[] = [];
  #consumer: Consumer | undefined;
  #producer: Producer | undefined;

  constructor(options: KafkaServerOptions = {}) {
    super();
    this.#o = options;
  }

  protected override onNamespace(namespace: string): void {
    if (this.#consumer) throw Failures.topicsFixed();
    if (!this.#namespaces.includes(namespace)) this.#namespaces.push(namespace);
  }

  async start(): Promise<void> {
    if (this.#consumer) throw Failures.alreadyStarted({ what: 'Kafka server' });
    if (this.#namespaces.length === 0) throw Failures.nothingToConsume();
    const kafka = this.#o.kafka ?? newKafka(this.#o);
    const consumer = kafka.consumer({ groupId: this.#o.groupId ?? 'meshrpc' });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    try {
      await producer.connect();
      await consumer.connect();
      await consumer.subscribe({ topics: this.#namespaces.map((ns) => topicOf(this.#o.topicPrefix ?? '', ns)), fromBeginning: false });
      await consumer.run({
        autoCommit: false,
        partitionsConsumedConcurrently: this.#o.concurrency ?? 4,
        eachMessage: (payload) => this.handleMessage(payload, consumer, producer),
      });
    } catch (err) {
      await consumer.disconnect().catch(() => {});
      await producer.disconnect().catch(() => {});
      const brokers = this.#o.kafka ? undefined : this.#o.brokers;
      throw kafkaRefusal(err, brokers) ?? Failures.consumerNotStarted({ broker: 'Kafka', why: (err as Error).message }, { cause: err });
    }
    this.#consumer = consumer;
    this.#producer = producer;
  }

  /** One message: dispatch, dead-letter on failure, then commit. Exposed for tests. */
  async handleMessage({ topic, partition, message }: EachMessagePayload, consumer: Pick<Consumer, 'commitOffsets'>, producer: Pick<Producer, 'send'>): Promise<void> {
    const namespace = topic.slice((this.#o.topicPrefix ?? '').length);
    try {
      const call = fromKafkaMessage(message);
      const ctx = new CallContext({ namespace, service: call.service, method: call.method, deadline: call.deadline, metadata: call.metadata, codec: call.codec });
      await this.inbound.call(ctx, message.value ?? Buffer.alloc(0));
    } catch (err) {
      const wire = MeshError.from(err).toWire();
      this.#o.log?.(`dead-lettering ${topic}[${partition}]@${message.offset}: ${wire.code} ${wire.message}`);
      // If this send throws, the offset stays uncommitted and the message comes again.
      await producer.send({
        topic: deadLetterTopicOf(topic),
        acks: -1,
        messages: [{ key: message.key, value: message.value, headers: { ...message.headers, [H_ERROR]: JSON.stringify(wire) } }],
      });
    }
    await consumer.commitOffsets([{ topic, partition, offset: nextOffset(message.offset) }]);
  }

  async stop(options: StopOptions = {}): Promise<void> {
    const consumer = this.#consumer;
    if (!consumer) return;
    this.#consumer = undefined;
    await consumer.stop().catch(() => {});
    await this.inbound.drain(options.timeoutMs ?? DEFAULT_STOP_TIMEOUT);
    await consumer.disconnect().catch(() => {});
    await this.#producer?.disconnect().catch(() => {});
    this.#producer = undefined;
  }
}

/** A kafkajs client with the brokers, client id, and TLS and SASL settings of the options. */
export function newKafka(options: KafkaSecurityOptions & { brokers?: string[]; clientId?: string; retry?: KafkaConfig['retry'] }): Kafka {
  const config: KafkaConfig = { clientId: options.clientId ?? 'meshrpc', brokers: options.brokers ?? brokersFromEnv(), ...kafkaSecurity(options) };
  if (options.retry) config.retry = options.retry;
  return new Kafka(config);
}

export function brokersFromEnv(): string[] {
  const list = (process.env.KAFKA_BROKERS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) throw Failures.noBrokers({ broker: 'Kafka', how: 'pass `brokers` or set KAFKA_BROKERS' });
  return list;
}
