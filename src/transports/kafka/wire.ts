/**
 * How a call looks on Kafka (pure): topic = namespace (with an optional prefix), the service,
 * method, codec, deadline (epoch ms) and metadata in headers, the payload as the value, the
 * sticky key (if any) as the message key so one key's messages keep their order.
 */
import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import type { CallOptions, CallTarget } from '../../core/caller.js';
import { deadlineOf } from '../../core/caller.js';
import { codecByName, type Codec, type CodecName } from '../../core/codec.js';
import type { Metadata } from '../../core/context.js';
import { DEFAULT_NAMESPACE } from '../../core/endpoint.js';
import { Failures } from '../../core/failures.js';
import { deadlineFromEpoch, headerText as text, readMetadata, writeMetadata } from '../../pipeline/metadata.js';

import { H_CODEC, H_DEADLINE, H_ERROR, H_META, H_METHOD, H_SERVICE } from '../headers.js';

export { H_CODEC, H_DEADLINE, H_ERROR, H_META, H_METHOD, H_SERVICE };

export const topicOf = (prefix: string, namespace: string): string => `${prefix}${namespace}`;
export const deadLetterTopicOf = (topic: string): string => `${topic}.dlq`;

export function toKafkaMessage(target: CallTarget, payload: Uint8Array, options: CallOptions | undefined, defaultCodec: CodecName): { topic: string; message: Message } & { namespace: string } {
  const headers: IHeaders = { [H_SERVICE]: target.service };
  if (target.method) headers[H_METHOD] = target.method;
  const codec = options?.codec ?? defaultCodec;
  if (codec !== 'json') headers[H_CODEC] = codec;
  const deadline = deadlineOf(options);
  if (deadline !== undefined) headers[H_DEADLINE] = String(deadline);
  writeMetadata(options?.metadata, H_META, (k, v) => (headers[k] = v));
  const namespace = target.namespace ?? DEFAULT_NAMESPACE;
  return {
    namespace,
    topic: namespace,
    message: { key: options?.stickyKey ?? null, value: Buffer.from(payload.buffer, payload.byteOffset, payload.length), headers },
  };
}

export interface IncomingCall {
  service: string;
  method: string;
  deadline: number | undefined;
  metadata: Metadata;
  codec: Codec;
}

/** Read a consumed message's headers; a message without a service header is INVALID_ARGUMENT. */
export function fromKafkaMessage(message: Pick<KafkaMessage, 'headers'>): IncomingCall {
  const h = message.headers ?? {};
  const service = text(h[H_SERVICE]);
  if (!service) throw Failures.missingHeader({ header: H_SERVICE });
  return {
    service,
    method: text(h[H_METHOD]) ?? '',
    deadline: deadlineFromEpoch(text(h[H_DEADLINE])),
    metadata: readMetadata(Object.keys(h), (k) => h[k], H_META),
    codec: codecByName((text(h[H_CODEC]) ?? 'json') as CodecName),
  };
}

/** The offset to commit after processing `offset`: the next one to read. */
export const nextOffset = (offset: string): string => (BigInt(offset) + 1n).toString();
