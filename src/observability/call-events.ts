/**
 * Events from inside a transport's send that interceptors cannot see: a call that no handler took
 * being tried again (on another instance, or after a pause). Tracing turns them into span events
 * on the active client span, metrics into a counter; others may listen on Node's
 * diagnostics_channel `meshrpc:call:retry` (as undici and node:http publish theirs).
 *
 * meshrpc's own listeners are a plain list, not channel subscriptions, so loading tracing or
 * metrics subscribes nothing process-wide; the channel is published to only when someone
 * subscribed to it.
 */
import diagnostics from 'node:diagnostics_channel';
import type { CallTarget } from '../core/caller.js';
import type { MeshError } from '../core/errors.js';

export interface RetryEvent {
  /** The id of the node that retried, when the sender knows it. */
  nodeId?: string;
  /** The call, when the sender knows it (the built-in mesh); else `destination` names where it went. */
  target?: CallTarget;
  destination?: string;
  /** 1 for the first retry. */
  attempt: number;
  /** Why the last try failed (a notProcessed MeshError). */
  error: MeshError;
  /** `failover`: tried on another instance; `backoff`: tried again after a pause. */
  kind: 'failover' | 'backoff';
  /** The instance that failed, when there was one to leave out. */
  instance?: string;
}

export const retryChannel = diagnostics.channel('meshrpc:call:retry');

const listeners = new Set<(event: RetryEvent) => void>();

export function publishRetry(event: RetryEvent): void {
  for (const listener of listeners) listener(event);
  if (retryChannel.hasSubscribers) retryChannel.publish(event);
}

/** Listen to retries in this process; returns the function that stops listening. */
export function onRetry(listener: (event: RetryEvent) => void): () => void {
  const fn = (event: RetryEvent) => listener(event);
  listeners.add(fn);
  return () => listeners.delete(fn);
}
