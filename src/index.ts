/**
 * meshrpc's public API: the core, typed services, the built-in mesh and the Microservice
 * container. Heavier parts have their own entry points, so a process loads only what it uses:
 * `meshrpc/gateway` (Fastify), `meshrpc/grpc`, `meshrpc/nats`, `meshrpc/amqp`, `meshrpc/kafka`
 * and `meshrpc/codegen` (a TypeScript compiler). Internals may move freely.
 */
export { ErrorCodes, codeFromNumber, httpStatusOf, isErrorCode, type ErrorCode } from './core/codes.js';
export { MeshError, isMeshError, type MeshErrorOptions, type WireError } from './core/errors.js';
export { jsonCodec, msgpackCodec, codecByName, codecById, type Codec, type CodecName } from './core/codec.js';
export { CallContext, currentContext, runWithContext, type CallContextInit, type CallerIdentity, type CallerInfo, type Metadata } from './core/context.js';
export {
  defineService,
  type JsonSchema,
  type MethodNames,
  type MethodSpec,
  type ServiceSpec,
  type ValidationProblem,
} from './core/spec.js';
export { Dispatcher, DEFAULT_NAMESPACE, type Endpoint, type Registration, type ServiceInfo } from './core/endpoint.js';
export { deadlineOf, type Caller, type CallOptions, type CallTarget } from './core/caller.js';
export { createHandler, type ServiceHandler } from './service/handler.js';
export { createClient, invokeMethod, effectiveOptions, type Client, type Promisified } from './service/client.js';
export { LocalCaller } from './service/local.js';
export { intercept } from './service/intercept.js';
export type { ServerInterceptor, ClientInterceptor, OutboundCall, NodeInterceptors } from './pipeline/interceptor.js';
export { waitForServices, type MeshNode, type MemberSummary, type NodeCapabilities, type Publishable, type SecurityStatus, type ServiceView } from './core/node.js';
export { Mesh, type StreamEndpoint, type OpenedStream } from './mesh/mesh.js';
export type { MeshOptions } from './mesh/options.js';
export { authorize, type AuthorizationPolicy } from './security/authorize.js';
export { RoundRobin, LeastLoaded, Rendezvous, type Strategy, type Instance, type SelectContext } from './pipeline/balancer.js';
export type { StreamReply } from './core/stream.js';

// Generated code imports its runtime from 'meshrpc/runtime' (src/runtime/), versioned on its own.
export {
  Microservice,
  MeshServer,
  DispatchServer,
  toEndpoint,
  type MicroserviceOptions,
  type Server,
  type ServerType,
  type EndpointFn,
  type StopOptions,
} from './microservice/index.js';
// NATS as the mesh is picked by MESHRPC_TRANSPORT; its engine loads only when chosen.
export { createMesh, parseTransport, type CreatedMesh, type CreateMeshOptions, type TransportKind } from './transports/select.js';
