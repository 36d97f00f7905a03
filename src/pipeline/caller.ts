/**
 * The base of a client adapter: a Caller whose `call` is the shared outbound path (deadline,
 * client interceptors) ending in the subclass's `send`, which only puts the call on its wire.
 */
import type { Caller, CallOptions, CallTarget } from '../core/caller.js';
import type { Codec } from '../core/codec.js';
import type { ClientInterceptor } from './interceptor.js';
import { DEFAULT_TIMEOUT, Outbound, type Send } from './outbound.js';
import { traceOutbound } from '../observability/tracing.js';

export abstract class OutboundCaller implements Caller {
  abstract readonly codec: Codec;
  protected readonly outbound: Outbound;
  readonly #send: Send<Uint8Array, Uint8Array>;

  constructor(defaultTimeout: number = DEFAULT_TIMEOUT) {
    this.outbound = traceOutbound(new Outbound(defaultTimeout)); // a CLIENT span per call when an SDK is registered
    this.#send = (target, payload, options, deadline) => this.sendCall(target, payload, options, deadline);
  }

  /** Client interceptors for every call this caller makes (the first added runs outermost). */
  use(...interceptors: ClientInterceptor[]): this {
    this.outbound.use(...interceptors);
    return this;
  }

  call(target: CallTarget, payload: Uint8Array, options?: CallOptions): Promise<Uint8Array> {
    return this.outbound.call(target, payload, options, this.#send);
  }

  /** Put one started call on the wire: `deadline` is absolute and still ahead, `options` final. */
  protected abstract sendCall(target: CallTarget, payload: Uint8Array, options: CallOptions, deadline: number): Promise<Uint8Array>;
}
