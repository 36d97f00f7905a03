/** Every transport in one import, for tests and tools inside this repository. Users import the
 * one they need (`meshrpc/grpc`, `meshrpc/nats`, `meshrpc/amqp`, `meshrpc/kafka`), so a process
 * loads only that engine's client library. */
export * from './grpc/index.js';
export * from './nats/index.js';
export * from './amqp/index.js';
export * from './kafka/index.js';
export { createMesh, parseTransport, type CreatedMesh, type CreateMeshOptions, type TransportKind } from './select.js';
