/** `meshrpc/nats`: serve and call over NATS request/reply, and NATS as the mesh itself. */
export { NatsServer, type NatsServerOptions } from './server.js';
export { NatsClient, type NatsClientOptions } from './client.js';
export { NatsMesh, type NatsMeshOptions } from './mesh.js';
export type { NatsSecurityOptions } from './security.js';
