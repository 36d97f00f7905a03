/**
 * Header names every broker transport uses for what travels beside the payload, defined once so
 * NATS, RabbitMQ and Kafka messages read alike to anyone inspecting them.
 */
export const H_SERVICE = 'meshrpc-service';
export const H_METHOD = 'meshrpc-method';
export const H_CODEC = 'meshrpc-codec';
/** Absolute deadline, epoch milliseconds (queued transports: the message may wait). */
export const H_DEADLINE = 'meshrpc-deadline';
/** Milliseconds left (request/reply transports: relative, so clocks need not agree). */
export const H_TIMEOUT = 'meshrpc-timeout';
/** On a reply: the error code; the body is then a JSON WireError. */
export const H_STATUS = 'meshrpc-status';
export const H_ERROR = 'meshrpc-error';
/** Prefix of metadata entries: `meshrpc-md-<key>`. */
export const H_META = 'meshrpc-md-';
