/**
 * Interceptors: where a concern that must see every call on every transport goes (authorization,
 * tracing, metrics, retries, logging), as in grpc-js and connect-es. Both sides use the same
 * onion shape: an interceptor gets the call and `next`, may read and change metadata, may refuse
 * the call by throwing a MeshError (short-circuit: `next` never runs), and observes the result,
 * the error and the duration by awaiting `next()`. The first registered is the outermost.
 *
 * A chain is composed once, when interceptors are added, never per call; with none, the
 * pipeline calls the dispatcher (or the transport) directly, so an empty chain costs nothing.
 */
import type { CallOptions, CallTarget } from '../core/caller.js';
import type { CallContext, Metadata } from '../core/context.js';
import { runWithContext } from '../core/context.js';

/**
 * A server-side interceptor. `ctx` is the served call (service, method, deadline, metadata,
 * caller); `next()` resolves with what the handler returned: the reply bytes, or on a structured
 * wire (gRPC under a service's own proto) the result in its wire form. It runs inside the call's
 * context, so `currentContext()` and nested typed calls see the served call.
 */
export type ServerInterceptor = (ctx: CallContext, next: () => Promise<unknown>) => Promise<unknown>;

/** A call as a client-side interceptor sees it; change `metadata` or shorten `deadline` in place. */
export interface OutboundCall {
  readonly target: CallTarget;
  /** Absolute deadline, epoch ms; undefined only in a per-client chain whose options set none (the transport's default applies). */
  deadline: number | undefined;
  /** This call's own copy of the metadata to send. */
  readonly metadata: Metadata;
  /** The options the call was made with (their metadata and deadline are superseded by the fields above). */
  readonly options: CallOptions;
}

/** A client-side interceptor: `next()` sends the call (through the interceptors after this one). */
export type ClientInterceptor = (call: OutboundCall, next: () => Promise<unknown>) => Promise<unknown>;

export type Serve<I, O> = (ctx: CallContext, input: I) => Promise<O>;

/**
 * `terminal` wrapped in the interceptors, first outermost; the chain runs inside ctx. With no
 * interceptors it is `terminal` itself.
 */
export function composeServer<I, O>(interceptors: readonly ServerInterceptor[], terminal: Serve<I, O>): Serve<I, O> {
  if (interceptors.length === 0) return terminal;
  let fn = terminal as Serve<I, unknown>;
  for (let i = interceptors.length - 1; i >= 0; i--) {
    const interceptor = interceptors[i];
    const next = fn;
    fn = (ctx, input) => interceptor(ctx, () => next(ctx, input));
  }
  const chain = fn;
  return (ctx, input) => runWithContext(ctx, () => chain(ctx, input)) as Promise<O>;
}

/** The options a transport sends with after a client chain ran: the chain's metadata and deadline. */
export function optionsAfter(call: OutboundCall): CallOptions {
  const options: CallOptions = { ...call.options, metadata: call.metadata, timeout: undefined };
  options.deadline = call.deadline;
  return options;
}

/**
 * Run a client chain around `send`. Each interceptor's `next` runs the rest; a synchronous throw
 * anywhere becomes a rejection.
 */
export function runClientChain<T>(
  interceptors: readonly ClientInterceptor[],
  target: CallTarget,
  options: CallOptions,
  deadline: number | undefined,
  send: (call: OutboundCall) => Promise<T>,
): Promise<T> {
  const call: OutboundCall = { target, deadline, metadata: { ...options.metadata }, options };
  const step = (i: number): Promise<unknown> => {
    try {
      return i === interceptors.length ? send(call) : interceptors[i](call, () => step(i + 1));
    } catch (err) {
      return Promise.reject(err);
    }
  };
  return step(0) as Promise<T>;
}

/** A node's interceptors: around the calls it serves and the calls it makes. */
export interface NodeInterceptors {
  server?: ServerInterceptor[];
  client?: ClientInterceptor[];
}
