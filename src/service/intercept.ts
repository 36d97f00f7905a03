/**
 * Per-client interceptors: `intercept(caller, ...interceptors)` is a Caller that runs them around
 * every call it makes, over any transport (typed clients built on it included). A node's own
 * interceptors (`node.use`) run after these, inside the node's outbound path.
 */
import { deadlineOf, type Caller, type CallOptions } from '../core/caller.js';
import { optionsAfter, runClientChain, type ClientInterceptor } from '../pipeline/interceptor.js';

const NO_OPTIONS: CallOptions = Object.freeze({});

export function intercept(caller: Caller, ...interceptors: ClientInterceptor[]): Caller {
  if (interceptors.length === 0) return caller;
  const wrapped: Caller = {
    get codec() {
      return caller.codec;
    },
    call: (target, payload, options = NO_OPTIONS) =>
      runClientChain(interceptors, target, options, deadlineOf(options), (c) => caller.call(target, payload, optionsAfter(c))),
  };
  if (caller.callValue) {
    wrapped.callValue = (target, args, options = NO_OPTIONS) =>
      runClientChain(interceptors, target, options, deadlineOf(options), (c) => caller.callValue!(target, args, optionsAfter(c)));
  }
  return wrapped;
}
