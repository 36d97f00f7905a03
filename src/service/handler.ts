/**
 * Binding an implementation to a spec: the result is one Endpoint that decodes the named
 * arguments, validates them (when the spec carries a compiled validator), calls the method and
 * encodes its result. Publish it on a mesh, a Microservice or any server adapter.
 */
import type { CallContext } from '../core/context.js';
import { DEFAULT_NAMESPACE, type Endpoint, type ServiceInfo } from '../core/endpoint.js';
import { Failures } from '../core/failures.js';
import type { MethodSpec, ServiceSpec } from '../core/spec.js';

export interface ServiceHandler<T = unknown> {
  readonly spec: ServiceSpec<T>;
  readonly info: ServiceInfo;
  readonly endpoint: Endpoint;
}

type AnyMethod = (...args: unknown[]) => unknown;

interface BoundMethod {
  spec: MethodSpec;
  fn: AnyMethod;
}

export function createHandler<T>(spec: ServiceSpec<T>, impl: T): ServiceHandler<T> {
  const bound = new Map<string, BoundMethod>();
  for (const [name, methodSpec] of Object.entries(spec.methods)) {
    const fn = (impl as Record<string, unknown>)[name];
    if (typeof fn !== 'function') {
      throw new TypeError(`implementation of "${spec.name}" has no method "${name}"`);
    }
    bound.set(name, { spec: methodSpec, fn: (fn as AnyMethod).bind(impl) });
  }

  const methodOf = (ctx: CallContext): BoundMethod => {
    const method = bound.get(ctx.method);
    if (!method) throw Failures.unknownMethod({ service: spec.name, method: ctx.method });
    return method;
  };

  const endpoint: Endpoint = {
    handle(ctx: CallContext, payload: Uint8Array): Promise<Uint8Array> | Uint8Array {
      const method = methodOf(ctx);
      const result = invoke(method, argsOf(ctx.codec.decode(payload), method.spec));
      const encode = (value: unknown) => ctx.codec.encode(resultToWire(value, method.spec));
      return isThenable(result) ? Promise.resolve(result).then(encode) : encode(result);
    },
    handleValue(ctx: CallContext, args: Record<string, unknown>): Promise<unknown> | unknown {
      const method = methodOf(ctx);
      const result = invoke(method, argsOf(args, method.spec));
      return isThenable(result) ? Promise.resolve(result).then((value) => resultToWire(value, method.spec)) : resultToWire(result, method.spec);
    },
  };

  const info: ServiceInfo = {
    namespace: spec.namespace ?? DEFAULT_NAMESPACE,
    name: spec.name,
    methods: Object.keys(spec.methods),
  };
  if (spec.contractHash) info.contractHash = spec.contractHash;
  return { spec, info, endpoint };
}

/** The implementation called with the named arguments in parameter order. */
function invoke(method: BoundMethod, args: Record<string, unknown>): unknown {
  const params = method.spec.params;
  const argv = new Array<unknown>(params.length);
  for (let i = 0; i < params.length; i++) argv[i] = args[params[i]];
  return method.fn(...argv);
}

/** A result in its wire form; `undefined` travels as null. */
function resultToWire(value: unknown, spec: MethodSpec): unknown {
  const wire = spec.resultToWire ? spec.resultToWire(value) : value;
  return wire === undefined ? null : wire;
}

/** Decoded arguments, checked to be an object of named parameters and validated. */
function argsOf(decoded: unknown, spec: MethodSpec): Record<string, unknown> {
  if (decoded === undefined || decoded === null) {
    return checked({}, spec);
  }
  if (typeof decoded !== 'object' || Array.isArray(decoded)) {
    throw Failures.argumentsNotObject({ got: Array.isArray(decoded) ? 'array' : typeof decoded });
  }
  return checked(decoded as Record<string, unknown>, spec);
}

function checked(args: Record<string, unknown>, spec: MethodSpec): Record<string, unknown> {
  if (spec.validateParams) {
    const problems = spec.validateParams(args);
    if (problems && problems.length > 0) throw Failures.invalidArguments({ problems });
  }
  return spec.paramsFromWire ? spec.paramsFromWire(args) : args;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}
