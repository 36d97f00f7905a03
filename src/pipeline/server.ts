/**
 * The server contract of the Microservice container (the seed framework's ServerInterface):
 * start, stop, and a two-level registry of namespace -> service -> byte-level Endpoint. Every
 * server adapter (gRPC, NATS, RabbitMQ, Kafka) extends DispatchServer, so the registry rules are
 * the same everywhere: a namespace must be registered before services go into it, and breaking
 * that rule is a FAILED_PRECONDITION MeshError at registration time, never a crash later. Its
 * `inbound` is the shared inbound path (pipeline/inbound.ts): a subclass translates its wire
 * into `inbound.serve(ctx, payload, reply)` and drains with `inbound.drain(timeout)`.
 */
import { Failures } from '../core/failures.js';
import type { CallContext } from '../core/context.js';
import type { Dispatcher, Endpoint, ServiceInfo } from '../core/endpoint.js';
import { Inbound } from './inbound.js';
import { traceInbound } from '../observability/tracing.js';
import type { ServerInterceptor } from './interceptor.js';

/** What a server is registered as in the container, e.g. "grpc" or "nats". */
export type ServerType = string;

export type EndpointFn = (ctx: CallContext, payload: Uint8Array) => Promise<Uint8Array> | Uint8Array;

export interface StopOptions {
  /** How long in-flight calls may take to finish before the server closes anyway. */
  timeoutMs?: number;
}

export interface Server {
  start(): Promise<void>;
  /** Refuse new calls, let in-flight ones finish (up to the timeout), release resources. */
  stop(options?: StopOptions): Promise<void>;
  registerNamespace(namespace: string): void;
  /** `info` carries a typed service's method list; byte endpoints may omit it. */
  registerService(namespace: string, service: string, endpoint: Endpoint | EndpointFn, info?: Partial<ServiceInfo>): void;
}

/** Wrap a plain function as an Endpoint (Go's `Handle(ctx, []byte) ([]byte, error)`). */
export function toEndpoint(endpoint: Endpoint | EndpointFn): Endpoint {
  return typeof endpoint === 'function' ? { handle: endpoint } : endpoint;
}

/** How long a graceful stop waits for calls in flight, in every server and mesh node. */
export const DEFAULT_STOP_TIMEOUT = 10_000;

/** The container's namespace rules, shared by every Server (DispatchServer, MeshServer). */
export function checkNamespace(namespace: string): void {
  if (typeof namespace !== 'string' || namespace.length === 0) {
    throw Failures.emptyNamespace();
  }
}

export function checkRegistered(registered: boolean, namespace: string, service: string): void {
  if (!registered) {
    throw Failures.namespaceNotRegistered({ namespace, service });
  }
}

/** The registry, interceptors and drain bookkeeping every adapter shares. */
export abstract class DispatchServer implements Server {
  readonly inbound = traceInbound(new Inbound()); // a SERVER span per call when an SDK is registered

  get dispatcher(): Dispatcher {
    return this.inbound.dispatcher;
  }

  /** Server interceptors for every call this server serves (the first added runs outermost). */
  use(...interceptors: ServerInterceptor[]): this {
    this.inbound.use(...interceptors);
    return this;
  }

  abstract start(): Promise<void>;
  abstract stop(options?: StopOptions): Promise<void>;

  registerNamespace(namespace: string): void {
    checkNamespace(namespace);
    this.dispatcher.registerNamespace(namespace);
    this.onNamespace(namespace);
  }

  registerService(namespace: string, service: string, endpoint: Endpoint | EndpointFn, info: Partial<ServiceInfo> = {}): void {
    checkRegistered(this.dispatcher.hasNamespace(namespace), namespace, service);
    if (typeof service !== 'string' || service.length === 0) {
      throw Failures.emptyServiceName();
    }
    const full: ServiceInfo = { ...info, namespace, name: service };
    const ep = toEndpoint(endpoint);
    this.dispatcher.register(full, ep, { createNamespace: false });
    this.onService(full, ep);
  }

  /** Hooks for adapters that subscribe per namespace or service (NATS, AMQP, Kafka). */
  protected onNamespace(_namespace: string): void {}
  protected onService(_info: ServiceInfo, _endpoint: Endpoint): void {}
}
