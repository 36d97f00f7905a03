/**
 * The Kafka producer client. `send` publishes one call to its namespace's topic and resolves once
 * every in-sync replica has it (acks -1, idempotent producer). As a Caller it suits methods whose
 * result nobody waits for: `call` resolves with the codec's `null` once Kafka has the message,
 * so a typed client's `void` methods work over it (Kafka carries no reply).
 */
import type { KafkaConfig, Producer } from 'kafkajs';
import type { CallOptions, CallTarget } from '../../core/caller.js';
import { codecByName, type Codec, type CodecName } from '../../core/codec.js';
import { Failures } from '../../core/failures.js';
import { OutboundCaller } from '../../pipeline/caller.js';
import { newKafka, type KafkaLike } from './server.js';
import { kafkaRefusal, type KafkaSecurityOptions } from './security.js';
import { toKafkaMessage, topicOf } from './wire.js';

/** TLS and SASL as for KafkaServer (`ssl`, `sasl`, `tls`, MESHRPC_KAFKA_*); see security.ts. */
export interface KafkaClientOptions extends KafkaSecurityOptions {
  brokers?: string[];
  kafka?: Pick<KafkaLike, 'producer'>;
  topicPrefix?: string;
  clientId?: string;
  /** kafkajs's `retry` for connecting and requests (its default: 5 retries, from 300 ms). */
  retry?: KafkaConfig['retry'];
  codec?: CodecName;
}

export class KafkaClient extends OutboundCaller {
  readonly codec: Codec;
  readonly #producer: Producer;
  readonly #prefix: string;

  private constructor(producer: Producer, options: KafkaClientOptions) {
    // A queued message has no deadline unless the call names one (it may wait for a consumer).
    super(Infinity);
    this.#producer = producer;
    this.codec = codecByName(options.codec);
    this.#prefix = options.topicPrefix ?? '';
  }

  static async connect(options: KafkaClientOptions = {}): Promise<KafkaClient> {
    const kafka = options.kafka ?? newKafka(options);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    try {
      await producer.connect();
    } catch (err) {
      throw kafkaRefusal(err, options.kafka ? undefined : options.brokers) ?? Failures.brokerUnreachable({ broker: 'Kafka', why: (err as Error).message }, { cause: err });
    }
    return new KafkaClient(producer, options);
  }

  async send(target: CallTarget, payload: Uint8Array, options?: CallOptions): Promise<void> {
    const { namespace, message } = toKafkaMessage(target, payload, options, this.codec.name);
    try {
      await this.#producer.send({ topic: topicOf(this.#prefix, namespace), acks: -1, messages: [message] });
    } catch (err) {
      throw Failures.notAccepted({ broker: 'Kafka', why: (err as Error).message }, { cause: err });
    }
  }

  protected async sendCall(target: CallTarget, payload: Uint8Array, options: CallOptions, deadline: number): Promise<Uint8Array> {
    await this.send(target, payload, { ...options, timeout: undefined, deadline: Number.isFinite(deadline) ? deadline : undefined });
    return (options.codec ? codecByName(options.codec) : this.codec).encode(null);
  }

  close(): Promise<void> {
    return this.#producer.disconnect();
  }
}
