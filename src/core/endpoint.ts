/**
 * The byte-level core every transport shares: an Endpoint turns request bytes into reply bytes,
 * and the Dispatcher finds the endpoint for (namespace, service) and runs it inside the call's
 * context. Server adapters (mesh, gRPC, NATS, AMQP, Kafka) only translate their wire into a
 * CallContext plus bytes and call `dispatch`.
 */
import { CallContext, runWithContext } from './context.js';
import { MeshError } from './errors.js';
import { Failures } from './failures.js';

export interface Endpoint {
  handle(ctx: CallContext, payload: Uint8Array): Promise<Uint8Array> | Uint8Array;
  /**
   * The same call without a codec, for transports whose wire already decodes messages (gRPC
   * protos): named arguments in their wire form in, the result in its wire form out. Typed
   * handlers have it; byte-level endpoints don't, and `Dispatcher.dispatchValue` encodes for them.
   */
  handleValue?(ctx: CallContext, args: Record<string, unknown>): Promise<unknown> | unknown;
}

/** What a node tells others about one published service. */
export interface ServiceInfo {
  namespace: string;
  name: string;
  /** Method names, when the endpoint is a typed service. */
  methods?: string[];
  contractHash?: string;
  /** True when the service publishes a plain HTTP handler (forwarded by the gateway). */
  http?: boolean;
}

export interface Registration {
  info: ServiceInfo;
  endpoint: Endpoint;
}

export const DEFAULT_NAMESPACE = 'default';

export class Dispatcher {
  readonly #namespaces = new Map<string, Map<string, Registration>>();

  /** Namespaces must exist before services are registered in them (the container's contract). */
  registerNamespace(namespace: string): void {
    if (!this.#namespaces.has(namespace)) this.#namespaces.set(namespace, new Map());
  }

  hasNamespace(namespace: string): boolean {
    return this.#namespaces.has(namespace);
  }

  register(info: ServiceInfo, endpoint: Endpoint, { createNamespace = true } = {}): void {
    let services = this.#namespaces.get(info.namespace);
    if (!services) {
      if (!createNamespace) {
        throw Failures.namespaceNotRegistered({ namespace: info.namespace });
      }
      services = new Map();
      this.#namespaces.set(info.namespace, services);
    }
    if (services.has(info.name)) {
      throw Failures.serviceExists({ key: `${info.namespace}/${info.name}` });
    }
    services.set(info.name, { info, endpoint });
  }

  lookup(namespace: string, name: string): Registration | undefined {
    return this.#namespaces.get(namespace)?.get(name);
  }

  services(): ServiceInfo[] {
    const out: ServiceInfo[] = [];
    for (const services of this.#namespaces.values()) for (const r of services.values()) out.push(r.info);
    return out;
  }

  /** Run the endpoint for ctx's service inside ctx; unknown services are NOT_FOUND. */
  dispatch(ctx: CallContext, payload: Uint8Array): Promise<Uint8Array> {
    const reg = this.lookup(ctx.namespace, ctx.service);
    if (!reg) return Promise.reject(unknownService(ctx));
    return settle(ctx, () => reg.endpoint.handle(ctx, payload));
  }

  /**
   * Run the endpoint on already-decoded arguments (see Endpoint.handleValue). An endpoint
   * without handleValue gets them encoded with ctx's codec, and its reply decoded.
   */
  dispatchValue(ctx: CallContext, args: Record<string, unknown>): Promise<unknown> {
    const reg = this.lookup(ctx.namespace, ctx.service);
    if (!reg) return Promise.reject(unknownService(ctx));
    const { endpoint } = reg;
    if (endpoint.handleValue) return settle(ctx, () => endpoint.handleValue!(ctx, args));
    return settle(ctx, () => endpoint.handle(ctx, ctx.codec.encode(args))).then((out) => ctx.codec.decode(out));
  }
}

function unknownService(ctx: CallContext): MeshError {
  return Failures.unknownService({ service: ctx.service, namespace: ctx.namespace });
}

/** fn inside ctx as one promise layer (this is on every call's path), sync throws included. */
function settle<T>(ctx: CallContext, fn: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(runWithContext(ctx, fn));
  } catch (err) {
    return Promise.reject(err);
  }
}
