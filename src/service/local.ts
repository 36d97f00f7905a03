/**
 * A Caller that dispatches in the same process, through the same codec and context path as a
 * remote call: for monoliths being cut apart (swap it for a mesh later) and for tests.
 */
import { deadlineOf, type Caller, type CallOptions, type CallTarget } from '../core/caller.js';
import { codecByName, type Codec, type CodecName } from '../core/codec.js';
import { CallContext } from '../core/context.js';
import { DEFAULT_NAMESPACE, Dispatcher } from '../core/endpoint.js';
import { MeshError } from '../core/errors.js';

export class LocalCaller implements Caller {
  readonly codec: Codec;
  readonly dispatcher: Dispatcher;

  constructor(dispatcher: Dispatcher = new Dispatcher(), codec: CodecName = 'json') {
    this.dispatcher = dispatcher;
    this.codec = codecByName(codec);
  }

  async call(target: CallTarget, payload: Uint8Array, options: CallOptions = {}): Promise<Uint8Array> {
    const deadline = deadlineOf(options);
    if (deadline !== undefined && deadline <= Date.now()) {
      throw new MeshError('DEADLINE_EXCEEDED', 'deadline exceeded before the call started');
    }
    const ctx = new CallContext({
      namespace: target.namespace ?? DEFAULT_NAMESPACE,
      service: target.service,
      method: target.method,
      deadline,
      metadata: options.metadata,
      codec: options.codec ? codecByName(options.codec) : this.codec,
      transportSignal: options.signal,
    });
    try {
      return await this.dispatcher.dispatch(ctx, payload);
    } catch (err) {
      throw MeshError.from(err);
    } finally {
      ctx.finish();
    }
  }
}
