/**
 * The outbound path every client adapter shares: start a call (cancelled already? deadline from
 * the options or the default, and already passed?), run the node's client interceptors, then the
 * transport's own send; and the one rule for retrying (only a call known never to have reached a
 * handler, at most MAX_RETRIES times, within the same deadline). Failures found before anything
 * was sent are `notProcessed`, so a caller above may try elsewhere.
 */
import { deadlineOf, type CallOptions, type CallTarget } from '../core/caller.js';
import { MeshError } from '../core/errors.js';
import { Failures } from '../core/failures.js';
import { runClientChain, optionsAfter, type ClientInterceptor } from './interceptor.js';

/** Deadline of a call whose options set none, in every transport and the gateway. */
export const DEFAULT_TIMEOUT = 30_000;

/** Calls that never reached a handler are retried at most this often (on another instance, or after a pause). */
export const MAX_RETRIES = 2;

const NO_OPTIONS: CallOptions = Object.freeze({});

/** The absolute deadline of a call starting now, or the notProcessed error that stops it before it is sent. */
export function startDeadline(options: CallOptions | undefined, defaultTimeout: number, now = Date.now()): number {
  if (options?.signal?.aborted) throw Failures.cancelledBeforeStart();
  const deadline = deadlineOf(options, now) ?? now + defaultTimeout;
  if (deadline <= now) throw Failures.deadlineBeforeStart();
  return deadline;
}

/**
 * May a call that failed with `err` on attempt number `attempt` (0-based) be tried again? Only
 * when no handler took it; the caller still checks that its deadline leaves time for another try.
 */
export function mayRetry(err: unknown, attempt: number, max = MAX_RETRIES): err is MeshError {
  return err instanceof MeshError && err.notProcessed && attempt < max;
}

/** A transport's send: the call with its options and its absolute deadline (already checked). */
export type Send<I, O> = (target: CallTarget, input: I, options: CallOptions, deadline: number) => Promise<O>;

export class Outbound {
  readonly defaultTimeout: number;
  readonly #interceptors: ClientInterceptor[] = [];

  constructor(defaultTimeout: number = DEFAULT_TIMEOUT) {
    this.defaultTimeout = defaultTimeout;
  }

  /** Add client interceptors (the first added runs outermost). */
  use(...interceptors: ClientInterceptor[]): this {
    this.#interceptors.push(...interceptors);
    return this;
  }

  get interceptors(): readonly ClientInterceptor[] {
    return this.#interceptors;
  }

  /** The whole outbound path; `send` only translates the call onto its wire. */
  call<I, O>(target: CallTarget, input: I, options: CallOptions | undefined, send: Send<I, O>): Promise<O> {
    let deadline: number;
    try {
      deadline = startDeadline(options, this.defaultTimeout);
    } catch (err) {
      return Promise.reject(err);
    }
    const opts = options ?? NO_OPTIONS;
    if (this.#interceptors.length === 0) return send(target, input, opts, deadline);
    return runClientChain(this.#interceptors, target, opts, deadline, (call) => {
      const after = optionsAfter(call);
      return send(target, input, after, Math.min(deadline, call.deadline ?? deadline));
    });
  }
}
