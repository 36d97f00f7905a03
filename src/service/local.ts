/**
 * A Caller that dispatches in the same process, through the same pipeline as a remote call
 * (outbound: deadline and client interceptors; inbound: expiry, server interceptors, dispatcher,
 * error mapping): for monoliths being cut apart (swap it for a mesh later) and for tests.
 */
import type { Caller, CallOptions, CallTarget } from '../core/caller.js';
import { codecByName, type Codec, type CodecName } from '../core/codec.js';
import { CallContext, type CallerInfo } from '../core/context.js';
import { DEFAULT_NAMESPACE, Dispatcher } from '../core/endpoint.js';
import { MeshError } from '../core/errors.js';
import { Inbound } from '../pipeline/inbound.js';
import type { NodeInterceptors } from '../pipeline/interceptor.js';
import { Outbound } from '../pipeline/outbound.js';

export class LocalCaller implements Caller {
  readonly codec: Codec;
  readonly inbound: Inbound;
  readonly #outbound = new Outbound();

  constructor(dispatcher: Dispatcher | Inbound = new Dispatcher(), codec: CodecName = 'json') {
    this.inbound = dispatcher instanceof Inbound ? dispatcher : new Inbound(dispatcher);
    this.codec = codecByName(codec);
  }

  get dispatcher(): Dispatcher {
    return this.inbound.dispatcher;
  }

  /** Interceptors around the calls this caller makes (`client`) and serves (`server`). */
  use(interceptors: NodeInterceptors): this {
    if (interceptors.client) this.#outbound.use(...interceptors.client);
    if (interceptors.server) this.inbound.use(...interceptors.server);
    return this;
  }

  call(target: CallTarget, payload: Uint8Array, options?: CallOptions): Promise<Uint8Array> {
    return this.#outbound.call(target, payload, options, this.#send);
  }

  readonly #send = (target: CallTarget, payload: Uint8Array, options: CallOptions, deadline: number) =>
    serveLocally(this.inbound, target, payload, options, deadline, this.codec);
}

/** One call served in this process: the context a remote server would build, then the inbound path. */
export function serveLocally(
  inbound: Inbound,
  target: CallTarget,
  payload: Uint8Array,
  options: CallOptions,
  deadline: number,
  codec: Codec,
  caller?: CallerInfo,
): Promise<Uint8Array> {
  const ctx = new CallContext({
    caller,
    namespace: target.namespace ?? DEFAULT_NAMESPACE,
    service: target.service,
    method: target.method,
    deadline,
    // The handler's copy: server interceptors may change it, the caller's object stays as it was.
    metadata: options.metadata && { ...options.metadata },
    codec: options.codec ? codecByName(options.codec) : codec,
    transportSignal: options.signal,
  });
  // The caller's side of the deadline and of its signal, as a remote caller's timer would: the
  // call fails at once, whatever the handler does with its own (fired) signal.
  const signal = ctx.signal;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(MeshError.from(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    inbound.serve(ctx, payload, (err, out) => {
      signal.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(out!);
    });
  });
}
