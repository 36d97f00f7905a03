/**
 * The client side of every transport: a Caller sends one call's bytes and returns the reply's.
 * Typed clients are built on any Caller, so they never know which transport carries them.
 */
import type { Codec, CodecName } from './codec.js';
import type { Metadata } from './context.js';

export interface CallTarget {
  namespace?: string;
  service: string;
  method: string;
}

export interface CallOptions {
  /** Milliseconds from now until the call fails with DEADLINE_EXCEEDED. */
  timeout?: number;
  /** Absolute deadline (epoch ms); the earlier of this and `timeout` wins. */
  deadline?: number;
  /** Calls with the same key go to the same instance while it lives. */
  stickyKey?: string;
  metadata?: Metadata;
  signal?: AbortSignal;
  /** Codec the payload was encoded with (the reply uses the same). */
  codec?: CodecName;
}

export interface Caller {
  /** The codec typed clients use unless a call says otherwise. */
  readonly codec: Codec;
  call(target: CallTarget, payload: Uint8Array, options?: CallOptions): Promise<Uint8Array>;
  /**
   * The same call without a codec, for transports whose wire carries structured messages (gRPC
   * protos): named arguments in their wire form in, the result in its wire form out. Typed
   * clients use it when a caller has it.
   */
  callValue?(target: CallTarget, args: Record<string, unknown>, options?: CallOptions): Promise<unknown>;
}

/** The absolute deadline implied by options, or undefined when they set none. */
export function deadlineOf(options: CallOptions | undefined, now = Date.now()): number | undefined {
  if (!options) return undefined;
  const fromTimeout = options.timeout === undefined ? undefined : now + options.timeout;
  if (fromTimeout === undefined) return options.deadline;
  if (options.deadline === undefined) return fromTimeout;
  return Math.min(fromTimeout, options.deadline);
}

/** Options for `client.with(more)`: later wins, metadata merged. */
export function mergeCallOptions(base: CallOptions, more: CallOptions): CallOptions {
  const merged: CallOptions = { ...base, ...more };
  if (base.metadata || more.metadata) merged.metadata = { ...base.metadata, ...more.metadata };
  return merged;
}
