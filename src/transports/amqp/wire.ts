/**
 * How a call looks on RabbitMQ: one durable queue per namespace (`<prefix>.<namespace>`), its
 * dead letters in `<prefix>.<namespace>.dlq` (via the `<prefix>.dlx` exchange); the service,
 * method, codec, deadline (epoch ms) and metadata ride in headers; a reply goes to `replyTo`
 * with the request's `correlationId`, an error reply carries `meshrpc-status` and a JSON
 * WireError body.
 */
export const DEFAULT_PREFIX = 'meshrpc';
export { H_CODEC, H_DEADLINE, H_META, H_METHOD, H_SERVICE, H_STATUS } from '../headers.js';

export const queueOf = (prefix: string, namespace: string): string => `${prefix}.${namespace}`;
export const deadLetterQueueOf = (prefix: string, namespace: string): string => `${prefix}.${namespace}.dlq`;
export const deadLetterExchangeOf = (prefix: string): string => `${prefix}.dlx`;
