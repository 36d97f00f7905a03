/**
 * The adapter kit, for those writing a transport (the entry `meshrpc/transport`): a server
 * adapter translates its wire into a CallContext and calls `Inbound.serve`; a client adapter
 * passes its send to `Outbound.call`. Everything between (deadlines, expiry, interceptors,
 * drain, error mapping, the retry rule) is here, written once. See docs/ARCHITECTURE.md.
 */
export { Inbound, asServedError, type Reply } from './inbound.js';
export { Outbound, startDeadline, mayRetry, DEFAULT_TIMEOUT, MAX_RETRIES, type Send } from './outbound.js';
export {
  composeServer,
  runClientChain,
  optionsAfter,
  type ServerInterceptor,
  type ClientInterceptor,
  type OutboundCall,
  type NodeInterceptors,
  type Serve,
} from './interceptor.js';
export { InFlight } from './inflight.js';
export { readMetadata, writeMetadata, headerText, deadlineFromTimeout, deadlineFromEpoch } from './metadata.js';
export {
  DispatchServer,
  toEndpoint,
  checkNamespace,
  checkRegistered,
  DEFAULT_STOP_TIMEOUT,
  type Server,
  type ServerType,
  type EndpointFn,
  type StopOptions,
} from './server.js';
export { RoundRobin, LeastLoaded, Rendezvous, strategyByName, type Strategy, type StrategyName, type Instance, type SelectContext } from './balancer.js';
export { CallContext, setMetadata, type CallContextInit, type Metadata } from '../core/context.js';
export { Dispatcher, DEFAULT_NAMESPACE, type Endpoint, type Registration, type ServiceInfo } from '../core/endpoint.js';
