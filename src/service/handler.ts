/**
 * Binding an implementation to a spec: the result is one Endpoint that decodes the named
 * arguments, validates them (when the spec carries a compiled validator), calls the method and
 * encodes its result. Publish it on a mesh, a Microservice or any server adapter.
 */
import type { CallContext } from '../core/context.js';
import { DEFAULT_NAMESPACE, type Endpoint, type ServiceInfo } from '../core/endpoint.js';
import { MeshError } from '../core/errors.js';
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

  const endpoint: Endpoint = {
    handle(ctx: CallContext, payload: Uint8Array): Promise<Uint8Array> | Uint8Array {
      const method = bound.get(ctx.method);
      if (!method) {
        throw new MeshError('UNIMPLEMENTED', `service "${spec.name}" has no method "${ctx.method}"`);
      }
      const args = decodeArgs(ctx, payload, method.spec);
      const params = method.spec.params;
      const argv = new Array<unknown>(params.length);
      for (let i = 0; i < params.length; i++) argv[i] = args[params[i]];
      const result = method.fn(...argv);
      const encode = (value: unknown) => {
        const wire = method.spec.resultToWire ? method.spec.resultToWire(value) : value;
        return ctx.codec.encode(wire === undefined ? null : wire);
      };
      return isThenable(result) ? Promise.resolve(result).then(encode) : encode(result);
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

function decodeArgs(ctx: CallContext, payload: Uint8Array, spec: MethodSpec): Record<string, unknown> {
  const decoded = ctx.codec.decode(payload);
  if (decoded === undefined || decoded === null) {
    return checked({}, spec);
  }
  if (typeof decoded !== 'object' || Array.isArray(decoded)) {
    throw new MeshError('INVALID_ARGUMENT', 'arguments must be an object of named parameters', {
      details: { problems: [{ path: '', expected: 'object', got: Array.isArray(decoded) ? 'array' : typeof decoded }] },
    });
  }
  return checked(decoded as Record<string, unknown>, spec);
}

function checked(args: Record<string, unknown>, spec: MethodSpec): Record<string, unknown> {
  if (spec.validateParams) {
    const problems = spec.validateParams(args);
    if (problems && problems.length > 0) {
      const summary = problems.map((p) => `${p.path || '(arguments)'}: expected ${p.expected}, got ${p.got}`).join('; ');
      throw new MeshError('INVALID_ARGUMENT', `invalid arguments: ${summary}`, { details: { problems } });
    }
  }
  return spec.paramsFromWire ? spec.paramsFromWire(args) : args;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}
