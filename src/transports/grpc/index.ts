/** `meshrpc/grpc`: serve and call meshrpc services over gRPC (@grpc/grpc-js). */
export { GrpcServer, type GrpcServerOptions } from './server.js';
export { GrpcClient, GrpcProtoClient, type GrpcClientOptions } from './client.js';
export type { GrpcClientTls } from './security.js';
export { bindProtoServices, loadProtos, type ProtoService, type ProtoMethod } from './proto-services.js';
