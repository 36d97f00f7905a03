/**
 * Service specs: what a service is called, which methods it has and their named parameters.
 * `meshrpc expose` emits these shapes (with schemas, compiled validators and wire conversions);
 * until then, or for a quick service, `defineService` builds one by hand.
 */

/** A JSON Schema object (draft 2020-12), kept loose on purpose: it is data for tools. */
export type JsonSchema = Record<string, unknown>;

/** One problem found by a validator: where, what the type wanted, and what came. */
export interface ValidationProblem {
  path: string;
  expected: string;
  got: string;
}

export interface MethodSpec {
  /** Parameter names in declaration order; the wire carries `{ [name]: value }`. */
  readonly params: readonly string[];
  readonly paramsSchema?: JsonSchema;
  readonly resultSchema?: JsonSchema;
  /** Compiled check of the decoded arguments object; returns every problem, or none. */
  readonly validateParams?: (args: Record<string, unknown>) => ValidationProblem[] | undefined;
  /**
   * Conversions for values JSON cannot carry as themselves (Date, Uint8Array, bigint): applied
   * after validation on the server and before encoding on the client, and the reverse for results.
   */
  readonly paramsFromWire?: (args: Record<string, unknown>) => Record<string, unknown>;
  readonly paramsToWire?: (args: Record<string, unknown>) => Record<string, unknown>;
  readonly resultFromWire?: (value: unknown) => unknown;
  readonly resultToWire?: (value: unknown) => unknown;
}

export interface ServiceSpec<T = unknown> {
  /** The service's name on the mesh, e.g. "greeter". */
  readonly name: string;
  /** Dispatcher namespace; services published on the mesh use "default". */
  readonly namespace?: string;
  readonly methods: Readonly<Record<string, MethodSpec>>;
  /** Hash of the contract (methods, parameters, types), to tell versions apart. */
  readonly contractHash?: string;
  /** Phantom: carries the service interface for typed clients and handlers. */
  readonly __service?: T;
}

/** The names of T's members that are functions: the methods a spec must describe. */
export type MethodNames<T> = {
  [K in keyof T]-?: T[K] extends (...args: never[]) => unknown ? K : never;
}[keyof T] & string;

/**
 * Build a spec by hand: `defineService<Greeter>('greeter', { greet: ['name'] })`.
 * The type parameter makes the compiler insist on exactly the interface's methods.
 */
export function defineService<T>(
  name: string,
  methods: { readonly [K in MethodNames<T>]: readonly string[] | MethodSpec },
  options: { namespace?: string; contractHash?: string } = {},
): ServiceSpec<T> {
  if (!/^[A-Za-z][\w.-]*$/.test(name)) {
    throw new TypeError(`invalid service name "${name}": use letters, digits, '.', '_' or '-'`);
  }
  const normalized: Record<string, MethodSpec> = {};
  for (const [method, value] of Object.entries(methods as Record<string, readonly string[] | MethodSpec>)) {
    normalized[method] = Array.isArray(value) ? { params: value as readonly string[] } : (value as MethodSpec);
  }
  return { name, namespace: options.namespace, methods: normalized, contractHash: options.contractHash };
}
