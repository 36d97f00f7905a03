/**
 * Typed clients from a spec: an object with one async method per service method, calling
 * through any Caller. `client.with(options)` returns a copy whose calls carry per-call options
 * (timeout, sticky key, metadata, signal). Inside a handler, calls inherit the served call's
 * deadline and trace metadata, so a chain of services shares one time budget.
 */
import { deadlineOf, mergeCallOptions, type Caller, type CallOptions, type CallTarget } from '../core/caller.js';
import { codecByName } from '../core/codec.js';
import { currentContext } from '../core/context.js';
import type { MethodNames, MethodSpec, ServiceSpec } from '../core/spec.js';

/** T's methods, each returning a Promise of what the interface method returns. */
export type Promisified<T> = {
  [K in MethodNames<T>]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

export type Client<T> = Promisified<T> & {
  /** A client whose calls carry these options (merged over this client's). */
  with(options: CallOptions): Client<T>;
};

/** Metadata keys that flow from a served call into the calls it makes. */
const PROPAGATED_METADATA = ['traceparent', 'tracestate'] as const;

/** Merge per-call options with the served call's deadline and trace metadata. */
export function effectiveOptions(options: CallOptions): CallOptions {
  const ctx = currentContext();
  if (!ctx) return options;
  const merged: CallOptions = { ...options };
  if (ctx.deadline !== undefined) {
    const own = deadlineOf(options);
    merged.deadline = own === undefined ? ctx.deadline : Math.min(own, ctx.deadline);
    merged.timeout = undefined;
  }
  for (const key of PROPAGATED_METADATA) {
    const value = ctx.metadata[key];
    if (value !== undefined && merged.metadata?.[key] === undefined) {
      merged.metadata = { ...merged.metadata, [key]: value };
    }
  }
  return merged;
}

/**
 * Encode named arguments, call, decode the result: the one path every typed call takes (a
 * caller with `callValue` takes the arguments as they are, and no codec runs).
 * `options.codec` should be set (createClient does it once), else the caller's codec is used.
 */
export async function invokeMethod(
  caller: Caller,
  target: CallTarget,
  spec: MethodSpec,
  argv: readonly unknown[],
  options: CallOptions,
): Promise<unknown> {
  let args: Record<string, unknown> = {};
  const params = spec.params;
  for (let i = 0; i < params.length && i < argv.length; i++) {
    if (argv[i] !== undefined) args[params[i]] = argv[i];
  }
  if (spec.paramsToWire) args = spec.paramsToWire(args);
  let result: unknown;
  if (caller.callValue) {
    result = await caller.callValue(target, args, effectiveOptions(options));
  } else {
    const codec = options.codec ? codecByName(options.codec) : caller.codec;
    result = codec.decode(await caller.call(target, codec.encode(args), effectiveOptions(options)));
  }
  return spec.resultFromWire ? spec.resultFromWire(result) : result;
}

export function createClient<T>(spec: ServiceSpec<T>, caller: Caller, options: CallOptions = {}): Client<T> {
  const client: Record<string, unknown> = {};
  // Name the codec once here, so each call passes the same options object on.
  const callOptions: CallOptions = options.codec ? options : { ...options, codec: caller.codec.name };
  for (const [method, methodSpec] of Object.entries(spec.methods)) {
    const target: CallTarget = { namespace: spec.namespace, service: spec.name, method };
    client[method] = (...argv: unknown[]) => invokeMethod(caller, target, methodSpec, argv, callOptions);
  }
  client.with = (more: CallOptions) => createClient(spec, caller, mergeCallOptions(options, more));
  return client as Client<T>;
}
