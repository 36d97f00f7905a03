/** Server adapters and clients per engine, NATS as the mesh, and the engine selector. */
export { NatsServer, type NatsServerOptions } from './nats/server.js';
export { NatsClient, type NatsClientOptions } from './nats/client.js';
export { NatsMesh, type NatsMeshOptions } from './nats/mesh.js';
export { createMesh, parseTransport, type CreateMeshOptions, type TransportKind } from './select.js';
export { GrpcServer, type GrpcServerOptions } from './grpc/server.js';
export { GrpcClient, GrpcProtoClient, type GrpcClientOptions } from './grpc/client.js';
export { bindProtoServices, loadProtos, type ProtoService, type ProtoMethod } from './grpc/proto-services.js';
export { AmqpServer, type AmqpServerOptions } from './amqp/server.js';
export { AmqpClient, type AmqpClientOptions } from './amqp/client.js';
export { KafkaServer, type KafkaServerOptions, type KafkaLike } from './kafka/server.js';
export { KafkaClient, type KafkaClientOptions } from './kafka/client.js';
