/**
 * The inbound path every server adapter shares: a transport turns its wire input into a
 * CallContext plus payload and hands both here; the rest is written once. In order: the expiry
 * check (a call whose deadline passed on the way is refused before any handler runs), drain
 * accounting (the call counts until its reply is sent), the node's server interceptors, the
 * dispatcher, and error mapping (whatever was thrown reaches `reply` as a MeshError that no
 * longer claims it was not processed). The transport then only writes `reply`'s answer to its
 * wire. The shape follows connect-es's universal handler: one core, protocols at its edges.
 */
import type { CallContext } from '../core/context.js';
import { Dispatcher } from '../core/endpoint.js';
import { MeshError } from '../core/errors.js';
import { Failures } from '../core/failures.js';
import { InFlight } from './inflight.js';
import { composeServer, type Serve, type ServerInterceptor } from './interceptor.js';

/**
 * How the pipeline answers a call: exactly once, with an error or the result. A reply that keeps
 * working after it returns (a stream still sending its body) returns a promise, and the call
 * counts as in flight until that settles.
 */
export type Reply<T> = (err: MeshError | undefined, result: T | undefined) => void | Promise<void>;

export class Inbound {
  readonly dispatcher: Dispatcher;
  readonly #inflight = new InFlight();
  readonly #interceptors: ServerInterceptor[] = [];
  #bytes: Serve<Uint8Array, Uint8Array>;
  #values: Serve<Record<string, unknown>, unknown>;

  constructor(dispatcher: Dispatcher = new Dispatcher()) {
    this.dispatcher = dispatcher;
    this.#bytes = this.#dispatchBytes;
    this.#values = this.#dispatchValues;
  }

  readonly #dispatchBytes: Serve<Uint8Array, Uint8Array> = (ctx, payload) => this.dispatcher.dispatch(ctx, payload);
  readonly #dispatchValues: Serve<Record<string, unknown>, unknown> = (ctx, args) => this.dispatcher.dispatchValue(ctx, args);

  /** Add server interceptors (after those already added: the first added runs outermost). */
  use(...interceptors: ServerInterceptor[]): this {
    this.#interceptors.push(...interceptors);
    this.#bytes = composeServer(this.#interceptors, this.#dispatchBytes);
    this.#values = composeServer(this.#interceptors, this.#dispatchValues);
    return this;
  }

  get interceptors(): readonly ServerInterceptor[] {
    return this.#interceptors;
  }

  /** Calls being served now. */
  get inFlight(): number {
    return this.#inflight.count;
  }

  /** Resolves true once nothing is in flight, false if `timeoutMs` passed first. */
  drain(timeoutMs: number): Promise<boolean> {
    return this.#inflight.drain(timeoutMs);
  }

  /** Serve a call of codec-encoded bytes. */
  serve(ctx: CallContext, payload: Uint8Array, reply: Reply<Uint8Array>): void {
    this.#run(this.#bytes, ctx, payload, reply);
  }

  /** Serve a call of decoded named arguments (structured wires: see Endpoint.handleValue). */
  serveValue(ctx: CallContext, args: Record<string, unknown>, reply: Reply<unknown>): void {
    this.#run(this.#values, ctx, args, reply);
  }

  /** Serve a call whose endpoint is not the dispatcher's (the mesh's byte streams), through the same steps. */
  serveWith<I, O>(ctx: CallContext, input: I, endpoint: Serve<I, O>, reply: Reply<O>): void {
    this.#run(composeServer(this.#interceptors, endpoint), ctx, input, reply);
  }

  /** Count `fn()` as a call in flight until it settles (work that is not a dispatched call, e.g. a NATS byte stream). */
  track<T>(fn: () => Promise<T>): Promise<T> {
    this.#inflight.enter();
    let p: Promise<T>;
    try {
      p = fn();
    } catch (err) {
      p = Promise.reject(err);
    }
    return p.finally(this.#leave);
  }

  /** `serve` as a promise, for transports that await (queues, the in-process caller). */
  call(ctx: CallContext, payload: Uint8Array): Promise<Uint8Array> {
    return new Promise((resolve, reject) => this.serve(ctx, payload, (err, out) => (err ? reject(err) : resolve(out!))));
  }

  #run<I, O>(fn: Serve<I, O>, ctx: CallContext, input: I, reply: Reply<O>): void {
    if (ctx.deadline !== undefined && ctx.deadline <= Date.now()) {
      ctx.finish();
      void reply(Failures.deadlineOnArrival(), undefined);
      return;
    }
    this.#inflight.enter();
    let p: Promise<O>;
    try {
      p = fn(ctx, input);
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(
      // A result after the deadline is not sent as one: the caller has failed the call (or is
      // about to, on a timer a busy loop runs late), so every side sees DEADLINE_EXCEEDED.
      (out) => (ctx.deadline !== undefined && ctx.deadline <= Date.now() ? this.#answer(ctx, reply, Failures.deadlineExceeded(), undefined) : this.#answer(ctx, reply, undefined, out)),
      (err: unknown) => this.#answer(ctx, reply, asServedError(err), undefined),
    );
  }

  #answer<O>(ctx: CallContext, reply: Reply<O>, err: MeshError | undefined, out: O | undefined): void {
    let after: void | Promise<void> = undefined;
    try {
      after = reply(err, out);
    } finally {
      ctx.finish();
      if (after) after.then(this.#leave, this.#leave);
      else this.#inflight.leave();
    }
  }

  readonly #leave = () => this.#inflight.leave();
}

/**
 * What a served call failed with, as a MeshError. It reached this node's handler path, so it
 * never tells the caller "not processed", even when the handler failed on a nested call that was.
 */
export function asServedError(err: unknown): MeshError {
  return MeshError.from(err).processed();
}
