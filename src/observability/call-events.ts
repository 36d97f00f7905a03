/**
 * Events from inside a transport's send that interceptors cannot see, published on Node's
 * diagnostics_channel (as undici and node:http do): a call that no handler took being tried
 * again (on another instance, or after a pause). Tracing turns them into span events on the
 * active client span, metrics into a counter. Publishing checks `hasSubscribers` first, so a
 * retry costs nothing extra when nobody listens; the channel is looked up once.
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

export function publishRetry(event: RetryEvent): void {
  if (retryChannel.hasSubscribers) retryChannel.publish(event);
}

export function onRetry(listener: (event: RetryEvent) => void): () => void {
  const fn = (message: unknown) => listener(message as RetryEvent);
  retryChannel.subscribe(fn);
  return () => retryChannel.unsubscribe(fn);
}
